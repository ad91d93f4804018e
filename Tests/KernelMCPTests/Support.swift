import Foundation
import KernelCore
import KernelMCP
import KernelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The package's root and its MCP fixtures.
enum Paths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let fixtures = root + "/Tests/Fixtures/mcp"
    static let broken = fixtures + "/broken_server.py"
    static let helloWorld = root + "/Plugins/hello-world"

    /// The Python with PyPI's `mcp` installed: `$KERNEL_MCP_PYTHON`, else `.venv-test/bin/python` of the checkout
    /// (`.ci/install-deps` creates it). Nil when neither exists.
    static let sdkPython: String? = {
        let candidates = [ProcessInfo.processInfo.environment["KERNEL_MCP_PYTHON"], root + "/.venv-test/bin/python"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether tests needing the Python SDK run: the interpreter exists, or this is CI (where its absence fails).
    static var sdkAvailable: Bool {
        if sdkPython != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] != nil { return true }
        print("skipped: the Python MCP SDK is not installed (.ci/install-deps creates .venv-test; or set KERNEL_MCP_PYTHON)")
        return false
    }
}

/// A registry entry for the server object `json`, named `name` (a plugin's when `plugin` is given).
func target(_ json: String, name: String = "t", plugin: String? = nil, projectDir: String = NSTemporaryDirectory(),
            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MCPServerTarget {
    var d = Diagnostics()
    let root = try JSONReader.parse("{\"\(name)\": \(json)}").root
    let defs = MCPParser.parseServers(root, file: "<test>", diagnostics: &d)
    let def = try #require(defs.first, "\(d.items)")
    let provenance = Provenance(source: plugin == nil ? .user : .plugin, scope: .user, pluginID: plugin.map { "\($0)@local" },
                                pluginName: plugin, pluginRoot: plugin == nil ? nil : Paths.helloWorld)
    return MCPServerTarget(entry: RegistryEntry(name: plugin.map { "\($0):\(name)" } ?? name, item: def, provenance: provenance),
                           projectDir: projectDir, environment: environment)
}

/// A server object running the broken-server fixture in `mode`, writing its pids to `pidfile`.
func brokenServer(_ mode: String, pidfile: String) -> String {
    "{\"command\": \"python3\", \"args\": [\"\(Paths.broken)\", \"\(mode)\"], \"env\": {\"MCP_FIXTURE_PIDFILE\": \"\(pidfile)\"}}"
}

enum Procs {
    /// The pids the fixture wrote.
    static func pids(_ file: String) -> [Int32] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
    }

    /// `/proc/<pid>/stat`'s state letter and process group, nil when there is no such process.
    static func stat(_ pid: Int32) -> (state: Character, pgid: Int32, ppid: Int32)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 4, let state = fields[0].first, let ppid = Int32(fields[1]), let pgid = Int32(fields[2]) else { return nil }
        return (state, pgid, ppid)
    }

    /// Processes in process group `pgid` (alive or zombie).
    static func group(_ pgid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { stat($0)?.pgid == pgid }
    }

    /// Children of this test process that are zombies.
    static func zombieChildren(among pids: [Int32]) -> [Int32] {
        pids.filter { if let s = stat($0) { s.state == "Z" && s.ppid == getpid() } else { false } }
    }

    /// Checks that nothing of the fixture's pids, or of its process group, is left (running or unreaped).
    static func expectGone(_ pidfile: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let pids = pids(pidfile)
        try #require(!pids.isEmpty, "the fixture wrote no pids", sourceLocation: sourceLocation)
        // The server itself is this process's child: reaped by the time close returns. Its own children are
        // reparented when it dies; a SIGKILLed one is gone once its new parent reaps it (a moment later).
        #expect(zombieChildren(among: pids).isEmpty, "zombies left", sourceLocation: sourceLocation)
        #expect(stat(pids[0]) == nil, "the server is still there: \(String(describing: stat(pids[0])))", sourceLocation: sourceLocation)
        func running() -> [Int32] { group(pids[0]).filter { stat($0)?.state != "Z" } }
        for _ in 0..<200 where !running().isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(running().isEmpty, "process group \(pids[0]) still has live members: \(running().map { ($0, stat($0)!) })",
                sourceLocation: sourceLocation)
    }
}

/// Opens a session with `t` expecting it to fail: the failure, or nil (and the session closed) when it opened.
func openFailure(_ t: MCPServerTarget, _ options: MCPSessionOptions = .patient) async -> MCPFailure? {
    do {
        let session = try await MCPSession.open(t, options: options)
        await session.close()
        return nil
    } catch {
        return error
    }
}

/// The `kernel` executable built with the tests.
let kernelExecutable = builtExecutable(root: Paths.root)

extension MCPSessionOptions {
    /// The tests' options: 120 s for initialize and each request. While the whole suite runs on 2 cores, tests
    /// that wait on child processes can hold the cooperative pool long enough for the 30 s default to lapse
    /// before a healthy server's answer is read; a test about a timeout sets its own.
    static var patient: MCPSessionOptions {
        var o = MCPSessionOptions()
        o.initializeTimeout = 120
        o.requestTimeout = 120
        return o
    }
}
