import Foundation
import Testing
import KernelCore
import KernelStore
import KernelHooks
import KernelTasks

/// A fresh temporary folder, removed when the test ends.
final class TempDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "kernel-tasks-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ contents: String, executable: Bool = false) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: full)
        return full
    }

    func read(_ relative: String) -> String { (try? String(contentsOfFile: file(relative), encoding: .utf8)) ?? "" }
}

/// A fake agent: records each start (run id and prompt), then does what the run's env says: IGNORE_TERM (it and
/// its children ignore SIGTERM), CHILD (start a background child and write its pid there), BYTES (print that many
/// bytes), SLEEP (seconds), EXIT (status).
let fakeRunner = """
    #!/bin/sh
    printf '%s|%s\\n' "$QODER_TASK_RUN_ID" "$1" >> "$RECORD"
    if [ -n "$IGNORE_TERM" ]; then trap '' TERM; fi
    if [ -n "$CHILD" ]; then sleep 300 & echo $! > "$CHILD"; fi
    if [ -n "$BYTES" ]; then head -c "$BYTES" /dev/zero | tr '\\0' 'x'; fi
    if [ -n "$SLEEP" ]; then sleep "$SLEEP"; fi
    echo "done"
    exit ${EXIT:-0}
    """

/// A home with blueprints, a store file, a manual clock and the fake runner.
final class Harness: @unchecked Sendable {
    let dir: TempDirectory
    let clock: ManualClock
    let store: KernelStore
    var hooks: HookEngine?
    var configure: (inout TaskEngine.Configuration) -> Void = { _ in }

    init(at start: String = "2026-03-02T00:00:10Z") throws {
        dir = try TempDirectory()
        clock = ManualClock(try Date(start, strategy: .iso8601))
        try dir.write("runner.sh", fakeRunner, executable: true)
        try FileManager.default.createDirectory(atPath: dir.file("project"), withIntermediateDirectories: true)
        store = try KernelStore(path: dir.file("home/plugins/kernel.sqlite"))
    }

    var home: String { dir.file("home") }
    var project: String { dir.file("project") }

    func blueprint(_ name: String, _ frontmatter: String, body: String = "Do {{thing}}.") throws {
        try dir.write("home/tasks/\(name).md", "---\n\(frontmatter)\n---\n\(body)\n")
    }

    func engine(store: KernelStore? = nil) -> TaskEngine {
        let catalog = BlueprintCatalog.load(userRoot: home, projectDir: project, plugins: [], projectTrusted: true)
        var config = TaskEngine.Configuration(logsDir: dir.file("home/plugins/tasks/logs"), workDir: dir.file("home/plugins/tasks/work"),
                                              projectDir: project)
        config.runner = [dir.file("runner.sh"), "{prompt}", "{cwd}"]
        config.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "RECORD": dir.file("record")]
        config.killGrace = 0.3
        configure(&config)
        return TaskEngine(store: store ?? self.store, catalog: catalog, configuration: config, clock: clock, hooks: hooks)
    }

    func at(_ iso: String) { clock.set(try! Date(iso, strategy: .iso8601)) }

    /// The runner's start records: (run id, prompt).
    var starts: [(String, String)] {
        dir.read("record").split(separator: "\n").map {
            let p = $0.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(p[0]), p.count > 1 ? String(p[1]) : "")
        }
    }
}

/// Waits (polling, at most `timeout` real seconds, never blocking a thread) until `condition` holds.
func eventually(_ timeout: Double = 120, _ condition: () throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return try condition()
}

func iso(_ d: Date?) -> String? { d.map { Date.ISO8601FormatStyle().format($0) } }
