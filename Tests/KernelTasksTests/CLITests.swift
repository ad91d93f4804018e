import Foundation
import Testing
import KernelCore
import KernelTestSupport

/// The `kernel` executable built with the tests.
let kernelBinary = builtExecutable(root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path)

struct CLIRun { var status: Int32; var stdout: String; var stderr: String }

/// A home and project for the CLI, with the fake runner configured in settings.
final class CLISandbox: @unchecked Sendable {
    let dir: TempDirectory
    init(settings: String = "") throws {
        dir = try TempDirectory()
        try dir.write("runner.sh", fakeRunner, executable: true)
        try dir.write("project/.git/HEAD", "ref: refs/heads/main\n")
        try dir.write("home/settings.json", """
            {"tasks": {"runner": ["\(dir.file("runner.sh"))", "{prompt}", "{cwd}"], "killGrace": 0.3}\(settings)}
            """)
    }

    func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: kernelBinary)
        p.arguments = args + ["--home", dir.file("home"), "--project", dir.file("project")]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.file("project"))
        var env = ProcessInfo.processInfo.environment
        env["RECORD"] = dir.file("record")
        env["NO_COLOR"] = "1"
        p.environment = env
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p
    }

    func run(_ args: [String], global: Bool = true) async throws -> CLIRun {
        let r = try await runChildOffPool(kernelBinary, args + (global ? ["--home", dir.file("home"), "--project", dir.file("project")] : []),
                                          cwd: dir.file("project"), environment: ["RECORD": dir.file("record")])
        return CLIRun(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func json(_ args: [String]) async throws -> Node {
        let r = try await run(args + ["--json"])
        return try JSONReader.parse(r.stdout).root
    }
}

@Suite struct TasksCLITests {
    @Test("kill -9 between claim and spawn: the next tick runs the claimed slot once, and only once")
    func killBetweenClaimAndSpawn() async throws {
        let s = try CLISandbox()
        // The marker and the hook's pid live in the sandbox (rewritten with its paths).
        let mark = s.dir.file("mark"), hookPID = s.dir.file("hook.pid")
        try s.dir.write("home/settings.json", """
            {"tasks": {"runner": ["\(s.dir.file("runner.sh"))", "{prompt}", "{cwd}"], "killGrace": 0.3},
             "hooks": {"TaskCreated": [{"hooks": [{"type": "command",
                "command": "if [ ! -f \(mark) ]; then echo $$ > \(hookPID); touch \(mark); sleep 60; fi"}]}]}}
            """)
        try s.dir.write("home/tasks/k.md", "---\ntriggers:\n  - type: every\n    every: 2s\n---\nslot run\n")
        #expect(try await s.run(["tasks", "list"]).status == 0)  // stores the first next fire
        try await Task.sleep(nanoseconds: 2_200_000_000)
        let tick = try s.start(["tasks", "tick"])
        #expect(try await eventually { FileManager.default.fileExists(atPath: mark) && !s.dir.read("hook.pid").isEmpty })
        kill(tick.processIdentifier, SIGKILL)
        try await offPool { tick.waitUntilExit() }
        if let pid = Int32(s.dir.read("hook.pid").trimmingCharacters(in: .whitespacesAndNewlines)) { killpg(pid, SIGKILL) }
        let claimed = try await s.json(["tasks", "history"])
        // The claim and the queued run were committed together (an earlier missed slot may be a skipped row).
        let queued = (claimed.array ?? []).filter { $0["state"]?.string == "queued" }
        #expect(queued.count == 1)
        let slot = queued.first?["slot"]?.string
        let second = try await s.run(["tasks", "tick", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let history = try await s.json(["tasks", "history"])
        let runs = history.array ?? []
        let succeeded = runs.filter { $0["state"]?.string == "succeeded" }
        #expect(succeeded.count == 1 && succeeded.first?["slot"]?.string == slot)
        #expect(runs.filter { $0["slot"]?.string == slot }.count == 1)
        #expect(s.dir.read("record").split(separator: "\n").count == 1)
    }

    @Test("list, show, render, run --wait, pause, resume and history through the CLI, as JSON")
    func commands() async throws {
        let s = try CLISandbox()
        try s.dir.write("home/tasks/audit.md", """
            ---
            name: dependency-audit
            description: Audit dependencies
            triggers:
              - type: schedule
                cron: "0 9 * * 1-5"
                timezone: Europe/Berlin
              - type: api
            ---
            Check {{repo}}.{{#if severity}} Severity: {{severity}}.{{/if}}
            """)
        try s.dir.write("home/tasks/broken.md", "---\ntriggers:\n  - type: schedule\n    cron: \"0 9 * *\"\n---\nx\n")
        let list = try await s.json(["tasks", "list"])
        #expect(list.array?.map { $0["name"]?.string ?? "" } == ["dependency-audit", "broken"])  // file-name order
        #expect(list.array?[1]["state"]?.string == "inactive")
        #expect(list.array?[1]["diagnostics"]?.array?.first?["column"]?.int == 12)  // the expression's first character
        #expect(list.array?[0]["state"]?.string == "active" && list.array?[0]["nextFire"]?.string != nil)
        let render = try await s.run(["tasks", "render", "dependency-audit", "--param", "repo=acme/web", "--param", "severity=high"])
        #expect(render.stdout == "Check acme/web. Severity: high.\n\n" || render.stdout == "Check acme/web. Severity: high.\n")
        let run = try await s.json(["tasks", "run", "dependency-audit", "--param", "repo=x", "--wait"])
        #expect(run["state"]?.string == "succeeded" && run["test"]?.bool == true)
        let logs = try await s.run(["tasks", "logs", run["id"]?.string ?? ""])
        #expect(logs.stdout == "done\n")
        #expect(try await s.run(["tasks", "pause", "dependency-audit", "--trigger", "1"]).status == 0)
        let shown = try await s.json(["tasks", "show", "dependency-audit"])
        #expect(shown["triggers"]?.array?[0]["paused"]?.bool == true && shown["recentRuns"]?.array?.count == 1)
        #expect(try await s.run(["tasks", "resume", "dependency-audit", "--trigger", "1"]).status == 0)
        #expect(try await s.json(["tasks", "show", "dependency-audit"])["triggers"]?.array?[0]["nextFire"]?.string != nil)
        let missing = try await s.run(["tasks", "show", "dependency-audt"])
        #expect(missing.status == 1 && missing.stderr.contains("did you mean 'dependency-audit'?"))
        let usage = try await s.run(["tasks", "history", "--limit", "x"])
        #expect(usage.status == 64)
        let unit = try await s.run(["tasks", "scheduler", "--print-systemd-unit"])
        #expect(unit.stdout.contains("ExecStart=\(kernelBinary) tasks scheduler --home"))
    }

    @Test("run --wait exits 1 when the run failed; tick --json reports what it did")
    func failureAndTick() async throws {
        let s = try CLISandbox()
        try s.dir.write("home/tasks/f.md", "---\nenv:\n  EXIT: \"4\"\ntriggers:\n  - type: api\n---\nfail\n")
        let r = try await s.run(["tasks", "run", "f", "--wait"])
        #expect(r.status == 1 && r.stdout.contains("failed") && r.stdout.contains("exit 4"))
        let tick = try await s.json(["tasks", "tick"])
        #expect(tick["queued"]?.array?.count == 0 && tick["finished"]?.array?.count == 0)
    }

    @Test("the scheduler drains on SIGTERM: the running run finishes, no new one starts")
    func schedulerDrains() async throws {
        let s = try CLISandbox()
        try s.dir.write("home/tasks/d.md", "---\nenv:\n  SLEEP: \"1\"\ntriggers:\n  - type: every\n    every: 1s\n---\nslow\n")
        let scheduler = try s.start(["tasks", "scheduler", "--poll", "0.2"])
        #expect(try await eventually {
            FileManager.default.fileExists(atPath: s.dir.file("record"))
        })
        let before = s.dir.read("record").split(separator: "\n").count
        scheduler.terminate()  // SIGTERM while a run sleeps
        let status = try await offPool { scheduler.waitUntilExit(); return scheduler.terminationStatus }
        #expect(status == 0)
        let runs = try await s.json(["tasks", "history", "--limit", "1000"]).array ?? []
        // Drained: nothing left running or queued, nothing cancelled, the run going at the signal finished.
        #expect(runs.allSatisfy { !["running", "queued", "cancelled"].contains($0["state"]?.string ?? "") })
        #expect(runs.first { $0["state"]?.string != "skipped" }?["state"]?.string == "succeeded")
        // No run started after the signal (one claimed just before it may have recorded its start since).
        let after = s.dir.read("record").split(separator: "\n").count
        #expect(after >= before && after <= before + 1)
    }
}

@Suite struct TasksValidateTests {
    @Test("plugins validate reads the plugin's tasks/: names them plugin:name, reports a bad cron at its column")
    func validateTasks() async throws {
        let s = try CLISandbox()
        try s.dir.write("plug/.qoder-plugin/plugin.json", "{\"name\": \"audits\", \"version\": \"1.0.0\"}\n")
        try s.dir.write("plug/commands/hi.md", "Say hi.\n")
        try s.dir.write("plug/tasks/nightly.md", "---\ntriggers:\n  - type: schedule\n    cron: \"0 3 * * *\"\n---\nAudit.\n")
        let ok = try await s.run(["plugins", "validate", s.dir.file("plug")], global: false)
        #expect(ok.status == 0 && ok.stdout.contains("tasks (1): audits:nightly"))
        try s.dir.write("plug/tasks/bad.md", "---\ntriggers:\n  - type: schedule\n    cron: \"0 3 * * mon-xyz\"\n---\nAudit.\n")
        let bad = try await s.run(["plugins", "validate", s.dir.file("plug"), "--json"], global: false)
        #expect(bad.status == 1)
        let report = try JSONReader.parse(bad.stdout).root
        #expect(report["tasks"]?.array?.compactMap(\.string) == ["audits:bad", "audits:nightly"])
        let d = report["diagnostics"]?.array?.first
        #expect(d?["line"]?.int == 4 && d?["column"]?.int == 24)  // the x of xyz
        #expect(d?["message"]?.string == "cron \"0 3 * * mon-xyz\": day-of-week field: 'xyz' is not a number 0-7 (or sun-sat)")
        // Installed and enabled, the plugin's blueprint is listed with its plugin.
        try FileManager.default.removeItem(atPath: s.dir.file("plug/tasks/bad.md"))
        #expect(try await s.run(["plugins", "install", s.dir.file("plug")]).status == 0)
        let list = try await s.json(["tasks", "list"])
        #expect(list.array?.first?["name"]?.string == "audits:nightly" && list.array?.first?["plugin"]?.string == "audits@local")
        #expect(try await s.run(["tasks", "pause", "nightly"]).status == 0)  // the bare name resolves
        #expect(try await s.json(["tasks", "show", "audits:nightly"])["state"]?.string == "paused")
    }
}
