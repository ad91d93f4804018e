import Foundation
public import KernelCore
public import KernelStore

/// Where a host finds its built-in modules and how it scans modules.
public struct ModuleOptions: Sendable {
    /// Folders searched for built-in modules: `libKernelBuiltins.so` and `kernel-modules/*.so` in each. Default:
    /// the folder of this process's executable (SwiftPM builds the dynamic products beside `kernel`), or
    /// `$KERNEL_BUILTIN_MODULES` (colon-separated folders; empty for none).
    public var builtinDirectories: [String]
    public var scanner: ModuleScanner

    public init(builtinDirectories: [String]? = nil, scanner: ModuleScanner = ModuleScanner()) {
        self.builtinDirectories = builtinDirectories ?? Self.defaultBuiltinDirectories()
        self.scanner = scanner
    }

    public static let builtinLibraryNames = ["libKernelBuiltins.so"]

    public static func defaultBuiltinDirectories() -> [String] {
        if let env = ProcessInfo.processInfo.environment["KERNEL_BUILTIN_MODULES"] {
            return env.split(separator: ":").map(String.init)
        }
        let exe = FileSystem.realPath("/proc/self/exe") ?? "/proc/self/exe"
        return [String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])]
    }

    /// The built-in module files present.
    public func builtinModulePaths() -> [String] {
        var paths: [String] = []
        for dir in builtinDirectories {
            for name in Self.builtinLibraryNames {
                let p = FileSystem.join(dir, name)
                if FileSystem.isFile(p) { paths.append(p) }
            }
            let folder = FileSystem.join(dir, "kernel-modules")
            for entry in (FileSystem.list(folder) ?? []).sorted(by: { $0.name < $1.name }) where entry.name.hasSuffix(".so") {
                paths.append(FileSystem.join(folder, entry.name))
            }
        }
        return paths
    }
}

/// Scans modules with the store's cache: a module whose file (path, device, inode, size, mtime) and host ABI
/// match a cached scan is not opened at all; the others go to one scanner child, and their results (broken
/// verdicts included) are cached.
public struct ModuleCatalog: Sendable {
    public var options: ModuleOptions
    public var store: KernelStore?

    public init(options: ModuleOptions = ModuleOptions(), store: KernelStore?) {
        self.options = options
        self.store = store
    }

    /// One result per job, in order. Paths are made absolute.
    public func scan(_ jobs: [ModuleScanJob]) -> [ModuleScanResult] {
        var jobs = jobs
        for i in jobs.indices { jobs[i].path = Self.absolute(jobs[i].path) }
        let keys = jobs.map { FileKey.stat($0.path) }
        let cached = (try? store?.cachedModuleScans(for: keys.compactMap { $0 }, hostABI: HostABI.cacheKey)) ?? [:]
        var results = [ModuleScanResult?](repeating: nil, count: jobs.count)
        var misses: [Int] = []
        for (i, job) in jobs.enumerated() {
            guard let key = keys[i] else {
                results[i] = ModuleScanResult(path: job.path, state: .skipped, reason: "no such file")
                continue
            }
            if let hit = cached[job.path], var result = ModuleScanResult(decoding: [UInt8](hit.result)) {
                result.key = key
                result.fromCache = true
                results[i] = result
            } else {
                misses.append(i)
            }
        }
        if !misses.isEmpty {
            var unique: [Int] = []
            var seen = Set<String>()
            for i in misses where seen.insert(jobs[i].path).inserted { unique.append(i) }
            let scanned = options.scanner.scan(unique.map { jobs[$0] })
            var byPath: [String: ModuleScanResult] = [:]
            var fresh: [CachedModuleScan] = []
            for (i, var result) in zip(unique, scanned) {
                result.key = keys[i]
                byPath[jobs[i].path] = result
                if result.state != .skipped, let key = keys[i] {
                    fresh.append(CachedModuleScan(key: key, hostABI: HostABI.cacheKey, state: result.state.rawValue,
                                                  result: Data(result.encoded().utf8)))
                }
            }
            try? store?.storeModuleScans(fresh)
            for i in misses { results[i] = byPath[jobs[i].path] }
        }
        return results.map { $0! }
    }

    /// The cached verdicts (`ok`, `refused`, `broken`) of the modules whose files are unchanged, by path: stat
    /// and one cache read, no decoding. What a warm start needs to know that nothing must be scanned.
    public func verdicts(_ jobs: [ModuleScanJob]) -> [String: String] {
        let keys = jobs.compactMap { FileKey.stat(Self.absolute($0.path)) }
        let cached = (try? store?.cachedModuleScans(for: keys, hostABI: HostABI.cacheKey)) ?? [:]
        return cached.mapValues(\.state)
    }

    /// What a scanned module contributes, parsed, with lazy in-process handlers for its hooks. Refused and
    /// broken modules contribute nothing; their verdict is a diagnostic (an error).
    public static func components(of result: ModuleScanResult, job: ModuleScanJob, fromPlugin: Bool) -> ModuleComponents {
        var module = ModuleComponents(path: result.path, moduleName: result.descriptor?.name ?? FileSystem.baseName(result.path))
        guard result.state == .ok else {
            let severity: Severity = result.state == .skipped ? .note : .error
            module.diagnostics.append(Diagnostic(id: "module.\(result.state.rawValue)", severity, "native module \(result.stateDescription)",
                                                 at: SourceLocation(file: result.path)))
            return module
        }
        for c in result.contributions {
            ModuleComponentParser.add(c.kind, json: c.json, to: &module, fromPlugin: fromPlugin)
        }
        if !result.hooks.isEmpty || !result.evaluators.isEmpty || !result.commands.isEmpty {
            var liveJob = job
            liveJob.path = result.path
            let live = LiveModules.module(result.path, key: result.key, job: liveJob)
            for h in result.hooks {
                module.nativeHooks.append(NativeModuleHook(event: h.event, matcher: h.matcher, name: h.name,
                                                           modulePath: result.path, index: h.index, module: live))
            }
            for e in result.evaluators {
                module.evaluators.append(NativeModuleEvaluator(name: e.name, modulePath: result.path, index: e.index,
                                                               module: live))
            }
            for c in result.commands {
                var definition = CommandDefinition(name: c.name, description: c.description, argumentHint: c.argumentHint,
                                                   body: "", bodyLine: 1, file: result.path)
                definition.nativeModule = result.path
                module.commands.append(definition)
                module.nativeCommands.append(NativeModuleCommand(name: c.name, description: c.description,
                                                                 argumentHint: c.argumentHint, modulePath: result.path,
                                                                 index: c.index, module: live))
            }
        }
        return module
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
