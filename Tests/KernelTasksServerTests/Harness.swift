import Foundation
import Testing
import KernelCore
import KernelNet
import KernelStore
import KernelTasks
import KernelTasksServer
import KernelTestSupport

extension TemporaryDirectory {
    func file(_ relative: String) -> String { url(relative) }
    func text(_ relative: String) -> String { (try? read(relative)) ?? "" }
}

/// A fake agent: records `<run id>|<prompt, newlines as spaces>` per start, sleeps `$SLEEP` (a blueprint env), prints, exits `$EXIT`.
let fakeRunner = """
    #!/bin/sh
    printf '%s|%s\\n' "$QODER_TASK_RUN_ID" "$(printf '%s' "$1" | tr '\\n' ' ')" >> "$RECORD"
    echo "agent output for $QODER_TASK_NAME"
    if [ -n "$SLEEP" ]; then sleep "$SLEEP"; fi
    exit ${EXIT:-0}
    """

struct Reply {
    var status: Int
    var body: String
    var headers: [HTTPHeader]
    var json: Node { (try? JSONReader.parse(body).root) ?? Node(.null, line: 1, column: 1) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// A home with blueprints and a plugin, a store, and a real server on a loopback port.
final class ServerHarness: @unchecked Sendable {
    let dir: TemporaryDirectory
    let store: KernelStore
    var server: TaskServer!
    var task: Task<Void, any Error>?
    var environment: [String: String] = [:]
    var configure: (inout TaskServer.Configuration) -> Void = { _ in }
    var plugin: TaskPluginRoot?

    init(store: KernelStore? = nil, dir: TemporaryDirectory? = nil) throws {
        self.dir = try dir ?? TemporaryDirectory(prefix: "kernel-server")
        try self.dir.write("runner.sh", fakeRunner, executable: true)
        try FileManager.default.createDirectory(atPath: self.dir.file("project/.qoder"), withIntermediateDirectories: true)
        self.store = try store ?? KernelStore(path: self.dir.file("home/plugins/kernel.sqlite"))
    }

    var home: String { dir.file("home") }
    var project: String { dir.file("project") }

    func blueprint(_ name: String, _ frontmatter: String, body: String = "Do {{thing}}.") throws {
        try dir.write("home/tasks/\(name).md", "---\n\(frontmatter)\n---\n\(body)\n")
    }

    func makeEngine() -> TaskEngine {
        let catalog = BlueprintCatalog.load(userRoot: home, projectDir: project, plugins: plugin.map { [$0] } ?? [], projectTrusted: true)
        var config = TaskEngine.Configuration(logsDir: dir.file("home/plugins/tasks/logs"), workDir: dir.file("home/plugins/tasks/work"),
                                              projectDir: project)
        config.runner = [dir.file("runner.sh"), "{prompt}"]
        config.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "RECORD": dir.file("record")]
        config.killGrace = 0.3
        return TaskEngine(store: store, catalog: catalog, configuration: config)
    }

    /// Starts the server on a free port and waits until it listens.
    func start() async throws {
        var config = TaskServer.Configuration(userTasksDir: dir.file("home/tasks"), projectTasksDir: dir.file("project/.qoder/tasks"))
        config.port = 0
        config.poll = 0.5
        config.grace = 5
        config.reloadInterval = 0.2
        config.environment = environment
        configure(&config)
        let lines = dir.file("server.log")
        FileManager.default.createFile(atPath: lines, contents: nil)
        let handle = FileHandle(forWritingAtPath: lines)!
        let log = ServerLog(json: true) { line in handle.seekToEndOfFile(); handle.write(Data(line.utf8)) }
        server = TaskServer(configuration: config, store: store, log: log) { [self] in makeEngine() }
        let s = server!
        task = Task { try await s.run(signals: []) }
        for _ in 0..<500 where server.port == nil { try await Task.sleep(nanoseconds: 10_000_000) }
        _ = try #require(server.port)
    }

    func stop() async {
        await server.shutdown()
        _ = try? await task?.value
    }

    var base: String { "http://127.0.0.1:\(server.port!)" }

    func send(_ method: String, _ path: String, token: String? = nil, body: String? = nil, bytes: [UInt8]? = nil,
              headers: [(String, String)] = []) async throws -> Reply {
        var h = headers.map { HTTPHeader($0.0, $0.1) }
        if let token { h.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        if body != nil || bytes != nil { h.append(HTTPHeader("Content-Type", "application/json")) }
        let request = HTTPRequest(method: method, url: base + path, headers: h, body: bytes ?? Array((body ?? "").utf8), timeout: 30,
                                  maxRedirects: 0)
        let r = try await HTTPClient.send(request)
        return Reply(status: r.status, body: String(decoding: r.body, as: UTF8.self), headers: r.headers)
    }

    func token(_ scopes: [TokenScope] = [.manage], expires: Date? = nil) throws -> String {
        try TaskTokens(store: store).create(name: "test", scopes: scopes, expires: expires).token
    }

    /// The fake agent's record: (run id, prompt) per start.
    var record: [(String, String)] {
        dir.text("record").split(separator: "\n").map { line in
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
    }

    /// Waits until `condition` holds (at most 20 s; the test then fails on what it checks next).
    func eventually(_ condition: () throws -> Bool) async rethrows {
        for _ in 0..<400 {
            if try condition() { return }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    func run(_ id: String) throws -> TaskRun { try makeEngine().run(id) }
    func runs(_ name: String? = nil) throws -> [TaskRun] { try makeEngine().runs(blueprint: name, limit: 10_000) }
}

extension Node {
    /// `a.b.0.c`.
    func at(_ path: String) -> Node? {
        var cur: Node? = self
        for part in path.split(separator: ".") {
            guard let c = cur else { return nil }
            if let i = Int(part), let items = c.array { cur = i < items.count ? items[i] : nil } else { cur = c[String(part)] }
        }
        return cur
    }
}
