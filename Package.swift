// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Kernel",
    products: [
        .executable(name: "kernel", targets: ["kernel"]),
        .library(name: "Kernel", targets: ["KernelCore", "KernelStore", "KernelProcess", "KernelNative", "KernelHost", "KernelNet", "KernelHooks", "KernelMemory", "KernelTasks", "KernelFetch", "KernelMarketplace", "KernelMCP"]),
        // First-party native modules, built as shared objects beside `kernel` (see Plugins/README.md).
        .library(name: "KernelBuiltins", type: .dynamic, targets: ["KernelBuiltins"]),
        .library(name: "KernelTemplateModule", type: .dynamic, targets: ["KernelTemplateModule"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // The tasks server only (KernelTasksServer, `kernel-tasks-server`): never linked into `kernel`.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // C libraries from the system, with apt providers and typed shims.
        .systemLibrary(
            name: "CYAML",
            path: "Kernel/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Kernel/CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libarchive (zip, tar, gzip), opened with dlopen on first use like libcurl.
        .systemLibrary(
            name: "CArchive",
            path: "Kernel/CArchive",
            providers: [.apt(["libarchive-dev"])]
        ),

        // The core: diagnostics, JSON and YAML readers, the bundle model and its parsers, validation.
        .target(
            name: "KernelCore",
            dependencies: ["CYAML"],
            path: "Kernel/Core",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // The kernel's SQLite database (through GRDB): install receipts, component cache, trust; and tree hashing.
        .target(
            name: "KernelStore",
            dependencies: [
                "KernelCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Kernel/Store",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // The native module ABI: one C header, all a module sees.
        .target(
            name: "KernelABI",
            path: "Kernel/ABI",
            exclude: ["README.md"],
            publicHeadersPath: "."
        ),

        // Child processes: the one spawning helper (posix_spawn with descriptor plumbing, reaped) and the
        // captured, time-limited runs of hook handlers (swift-subprocess).
        .target(
            name: "KernelProcess",
            dependencies: [
                "KernelCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            path: "Kernel/Process",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // Native modules: loader and handshake, the out-of-process scanner, its cache, lazy in-process hooks.
        .target(
            name: "KernelNative",
            dependencies: ["KernelCore", "KernelStore", "KernelABI", "KernelProcess"],
            path: "Kernel/Native",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // The embedding API: installed plugins, enablement, the composed registry, the hook engine over it.
        .target(
            name: "KernelHost",
            dependencies: ["KernelCore", "KernelStore", "KernelNative", "KernelHooks"],
            path: "Kernel/Host",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // HTTP(S) and file:// transfers through libcurl: size caps, timeouts, redirect and protocol limits.
        .target(
            name: "KernelNet",
            dependencies: ["CCurl", "KernelCore"],
            path: "Kernel/Net",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // Archive and npm plugin sources: download, verify, unpack hostile archives safely; reproducible archives.
        .target(
            name: "KernelFetch",
            dependencies: ["CArchive", "KernelCore", "KernelNet", "KernelStore"],
            path: "Kernel/Fetch",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // The hook engine: matching, command/http/native/evaluator handlers, aggregation (`kernel hooks fire`).
        .target(
            name: "KernelHooks",
            dependencies: ["KernelCore", "KernelStore", "KernelNet", "KernelProcess"],
            path: "Kernel/Hooks",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // Static memory (AGENTS.md, rules, the on-demand walk, InstructionsLoaded) and saved workflows.
        .target(
            name: "KernelMemory",
            dependencies: ["KernelCore", "KernelStore", "KernelHost", "KernelHooks"],
            path: "Kernel/Memory",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Marketplaces: adding (git, HTTP, folders), the catalog and its search, install and update by name.
        .target(
            name: "KernelMarketplace",
            dependencies: ["KernelCore", "KernelStore", "KernelHost", "KernelNet", "KernelProcess", "KernelFetch"],
            path: "Kernel/Marketplace",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Tasks that run on their own: blueprints, the scheduler, the runner, run history (Kernel/Tasks/README.md).
        .target(
            name: "KernelTasks",
            dependencies: [
                "KernelCore",
                "KernelStore",
                "KernelHooks",
                "KernelProcess",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            path: "Kernel/Tasks",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // The tasks server: HTTP API, webhooks, API triggers and the dashboard over KernelTasks (Hummingbird).
        // Its own executable, so `kernel` does not link swift-nio: `kernel tasks serve` execs it.
        .target(
            name: "KernelTasksServer",
            dependencies: [
                "KernelCore",
                "KernelStore",
                "KernelTasks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Kernel/TasksServer",
            exclude: ["README.md"],
            resources: [.copy("openapi.json")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kernel-tasks-server",
            dependencies: ["KernelTasksServer", "KernelCLI", "KernelNative"],
            path: "Kernel/TasksServerExecutable",
            swiftSettings: swiftSettings
        ),

        // MCP live: sessions with registry servers (stdio children, HTTP), probing, calls, `kernel mcp serve`,
        // through the official Swift SDK (Kernel/MCP/README.md).
        .target(
            name: "KernelMCP",
            dependencies: [
                "KernelCore",
                "KernelHost",
                "KernelProcess",
                "KernelNet",
                .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "Kernel/MCP",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        // `kernel-mcp`: the command tree with the MCP SDK linked in; `kernel mcp probe|call|serve` and
        // `mcp list --probe` exec it, so `kernel` does not link the SDK (its FoundationNetworking costs ~13 ms of
        // start-up on every command).
        .executableTarget(
            name: "kernel-mcp",
            dependencies: ["KernelCLI", "KernelMCP", "KernelNative", "KernelHost", "KernelCore",
                           .product(name: "MCP", package: "swift-sdk")],
            path: "Kernel/MCPExecutable",
            swiftSettings: swiftSettings
        ),

        // The CLI commands, as a library so tests can run them in-process.
        .target(
            name: "KernelCLI",
            dependencies: [
                "KernelCore",
                "KernelHost",
                "KernelHooks",
                "KernelMemory",
                "KernelNative",
                "KernelTasks",
                "KernelFetch",
                "KernelMarketplace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Kernel/CLI",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kernel",
            dependencies: ["KernelCLI", "KernelNative"],
            path: "Kernel/Executable",
            swiftSettings: swiftSettings,
            // Release: lld with packed relative relocations (RELR, glibc 2.36+): the dynamic loader applies
            // ~90,000 relocations of the statically linked runtime from a 16 KiB table instead of 2 MiB.
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                                          .when(configuration: .release))]
        ),

        // `swift run -c release kernel-bench`: hook engine overhead and native handler cost; its `native-hook` and
        // `modules-warm` subcommands are module_bench.py's in-process figures.
        .executableTarget(
            name: "kernel-bench",
            dependencies: ["KernelHooks", "KernelCore", "KernelStore", "KernelNative", "KernelProcess"],
            path: "Tests/Benchmarks/HooksBench",
            swiftSettings: swiftSettings
        ),
        // `kernel-memory-bench`: the in-process cost of the on-demand memory walk (Tests/Benchmarks/memory_bench.py).
        .executableTarget(
            name: "kernel-memory-bench",
            dependencies: ["KernelMemory", "KernelCore"],
            path: "Tests/Benchmarks/MemoryBench",
            swiftSettings: swiftSettings
        ),
        // `swift build -c release --product tasks-bench`: tick cost, fire-to-spawn latency, store size.
        .executableTarget(
            name: "tasks-bench",
            dependencies: ["KernelTasks", "KernelStore", "KernelCore"],
            path: "Tests/Benchmarks/TasksBench",
            swiftSettings: swiftSettings
        ),
        // `kernel-mcp-bench calls N COMMAND ARGS…`: in-process cost of MCPSession.callTool (Tests/Benchmarks/mcp_bench.py).
        .executableTarget(
            name: "kernel-mcp-bench",
            dependencies: ["KernelMCP", "KernelCore"],
            path: "Tests/Benchmarks/MCPBench",
            swiftSettings: swiftSettings
        ),
        // First-party modules: the kernel's built-in subagents and commands (Swift), and the Swift template.
        .target(
            name: "KernelBuiltins",
            dependencies: ["KernelABI"],
            path: "Plugins/builtin/Sources",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KernelTemplateModule",
            dependencies: ["KernelABI"],
            path: "Plugins/template/swift/Sources",
            swiftSettings: swiftSettings
        ),

        // Test support shared by the test targets: a loopback HTTP server, temporary folders.
        .target(
            name: "KernelTestSupport",
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelCoreTests",
            dependencies: ["KernelCore", "KernelTestSupport"],
            path: "Tests/KernelCoreTests",
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelStoreTests",
            dependencies: ["KernelStore", "KernelCore", "KernelTestSupport"],
            path: "Tests/KernelStoreTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelHostTests",
            dependencies: ["KernelHost", "KernelHooks", "KernelCore", "KernelStore", "KernelTestSupport"],
            path: "Tests/KernelHostTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelNetTests",
            dependencies: ["KernelNet", "KernelTestSupport"],
            path: "Tests/KernelNetTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelHooksTests",
            dependencies: ["KernelHooks", "KernelHost", "KernelCore", "KernelStore", "KernelNet", "KernelTestSupport"],
            path: "Tests/KernelHooksTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelNativeTests",
            dependencies: ["KernelNative", "KernelHost", "KernelHooks", "KernelCore", "KernelStore", "KernelCLI", "kernel",
                           "KernelTestSupport"],
            path: "Tests/KernelNativeTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelMemoryTests",
            dependencies: ["KernelMemory", "KernelHooks", "KernelHost", "KernelCore", "KernelStore", "KernelTestSupport"],
            path: "Tests/KernelMemoryTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelTasksTests",
            dependencies: ["KernelTasks", "KernelCore", "KernelStore", "KernelHooks", "KernelHost", "KernelCLI", "kernel",
                           "KernelTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/KernelTasksTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelFetchTests",
            dependencies: ["KernelFetch", "KernelCore", "KernelNet", "KernelStore", "KernelTestSupport"],
            path: "Tests/KernelFetchTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelTasksServerTests",
            dependencies: ["KernelTasksServer", "KernelTasks", "KernelCore", "KernelStore", "KernelNet", "KernelTestSupport", "kernel",
                           "kernel-tasks-server"],
            path: "Tests/KernelTasksServerTests",
            exclude: ["Browser"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelMCPTests",
            dependencies: ["KernelMCP", "KernelHost", "KernelCore", "KernelCLI", "kernel", "kernel-mcp", "KernelTestSupport",
                           .product(name: "MCP", package: "swift-sdk")],
            path: "Tests/KernelMCPTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KernelCLITests",
            dependencies: ["KernelCLI", "KernelCore", "KernelFetch", "KernelNet", "KernelStore", "kernel", "kernel-mcp", "KernelTestSupport"],
            path: "Tests/KernelCLITests",
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer targets (Tests/Fuzz, run by Tests/Fuzz/run.sh): declared only when KERNEL_FUZZ=1, because they
// link only with `-sanitize=fuzzer` (they call libFuzzer's driver), so a plain `swift build` never sees them.
if Context.environment["KERNEL_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzFrontmatter", ["KernelCore"]), ("FuzzJSONReader", ["KernelCore"]), ("FuzzManifest", ["KernelCore"]),
        ("FuzzMarketplace", ["KernelCore"]), ("FuzzHooks", ["KernelCore"]), ("FuzzMCP", ["KernelCore"]),
        ("FuzzSettings", ["KernelCore"]), ("FuzzRenderer", ["KernelCore"]), ("FuzzMatcher", ["KernelCore"]),
        ("FuzzJSONScan", ["KernelCore", "KernelHooks"]), ("FuzzArchive", ["KernelFetch"]),
    ]
    // What every target shares (the libFuzzer entry point and driver hand-over): Tests/Fuzz/Support.
    package.targets.append(.target(name: "FuzzSupport", path: "Tests/Fuzz/Support", swiftSettings: swiftSettings))
    for t in fuzzTargets {
        package.targets.append(.executableTarget(
            name: t.name, dependencies: ["FuzzSupport"] + t.dependencies, path: "Tests/Fuzz/" + t.name,
            swiftSettings: swiftSettings
        ))
        package.products.append(.executable(name: t.name, targets: [t.name]))
    }
}
