import Foundation
import Testing
import KernelTestSupport
import KernelCore
import KernelTasks
import KernelTasksServer

/// Runs a process to its end: status, stdout, stderr.
func runProcess(_ exe: String, _ args: [String]) throws -> (Int32, String, String) {
    let r = try runChild(exe, args)
    return (r.status, r.stdout, r.stderr)
}

@Suite(.serialized) struct DashboardTests {
    @Test("the dashboard in headless Chromium: sign in, the blueprints and triggers shown, Run now makes a run, its page has the log")
    func browser() async throws {
        let h = try ServerHarness()
        try h.blueprint("hello", "triggers:\n  - type: schedule\n    cron: \"0 9 * * *\"\n  - type: api", body: "Say hello.")
        try h.blueprint("quiet", "triggers:\n  - type: every\n    every: 1h", body: "Quiet.")
        try await h.start()
        let token = try h.token()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/drive_dashboard.py").path
        let base = h.base
        let (status, out, err) = try await Task.detached { try runProcess("/usr/bin/env", ["python3", script, base, token, "hello"]) }.value
        let result = try JSONReader.parse(out).root
        #expect(status == 0, "\(out) \(err)")
        let index = try #require(result["index"]?.string)
        #expect(index.contains("data-task=\"hello\"") && index.contains("data-task=\"quiet\""))
        #expect(index.contains("cronExpression: 0 9 * * *") && index.contains("Run now") && index.contains("Pause"))
        #expect(!index.contains("<script"))
        let path = try #require(result["runPath"]?.string)
        let id = String(path.dropFirst("/runs/".count))
        let run = try h.run(id)
        #expect(run.blueprint == "hello" && run.test)
        #expect(result["runPage"]?.string?.contains(id) == true)
        try await h.eventually { try h.run(id).state.isFinal }
        #expect(h.record.contains { $0.0 == id && $0.1 == "Say hello." })
        // The run page (read without a browser: no script needed) now shows the log.
        let cookie = "kernel_session=\(token)"
        let page = try await h.send("GET", path, headers: [("Cookie", cookie)])
        #expect(page.status == 200 && page.body.contains("agent output for hello") && page.body.contains("data-state=\"succeeded\""))
        await h.stop()
    }

    @Test("dashboard forms: sign-in required, CSRF field and Origin checked, pause and resume")
    func csrf() async throws {
        let h = try ServerHarness()
        try h.blueprint("hello", "triggers:\n  - type: api", body: "Say hello.")
        try await h.start()
        let token = try h.token()
        let anonymous = try await h.send("GET", "/")
        #expect(anonymous.status == 303 && anonymous.header("Location") == "/login")
        let login = try await h.send("POST", "/login", body: "token=\(token)", headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(login.status == 303 && login.header("Set-Cookie")?.contains("HttpOnly; SameSite=Strict") == true)
        let wrong = try await h.send("POST", "/login", body: "token=kt-nope")
        #expect(wrong.status == 200 && wrong.body.contains("not a valid manage token"))
        let cookie = [("Cookie", "kernel_session=\(token)")]
        let index = try await h.send("GET", "/", headers: cookie)
        let csrf = try #require(index.body.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression).map {
            String(index.body[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
        })
        #expect(try await h.send("POST", "/ui/tasks/hello/pause", body: "", headers: cookie).status == 403)
        #expect(try await h.send("POST", "/ui/tasks/hello/pause", body: "csrf=\(String(repeating: "0", count: 64))", headers: cookie).status == 403)
        #expect(try await h.send("POST", "/ui/tasks/hello/pause", body: "csrf=\(csrf)", headers: cookie + [("Origin", "https://evil.example")]).status == 403)
        #expect(try await h.send("POST", "/ui/tasks/hello/pause", body: "csrf=\(csrf)").header("Location") == "/login")
        #expect(try h.makeEngine().state(of: "hello").paused == false)
        let paused = try await h.send("POST", "/ui/tasks/hello/pause", body: "csrf=\(csrf)", headers: cookie)
        let pausedNow = try h.makeEngine().state(of: "hello").paused
        #expect(paused.status == 303 && pausedNow)
        #expect(try await h.send("GET", "/", headers: cookie).body.contains("Resume"))
        _ = try await h.send("POST", "/ui/tasks/hello/resume", body: "csrf=\(csrf)", headers: cookie)
        #expect(try h.makeEngine().state(of: "hello").paused == false)
        await h.stop()
    }
}

@Suite(.serialized) struct ServeCommandTests {
    /// `kernel` beside the test binary (the tests depend on it, so it is built).
    static let kernel: String = {
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kernel").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/kernel"
    }()

    @Test("kernel tasks serve: execs the server, answers, SIGTERM exits 0; a public address without --insecure-public is refused (64); tokens through the CLI")
    func serve() async throws {
        let dir = try TemporaryDirectory(prefix: "kernel-server")
        try dir.write("project/.git/HEAD", "ref: refs/heads/main\n")
        try dir.write("home/tasks/hello.md", "---\ntriggers:\n  - type: api\n---\nhello\n")
        let common = ["--home", dir.file("home"), "--project", dir.file("project")]
        let (refused, _, refusedErr) = try await offPool { try runProcess(Self.kernel, ["tasks", "serve", "--listen", "0.0.0.0:18999"] + common) }
        #expect(refused == 64 && refusedErr.contains("--insecure-public"))

        let (created, out, _) = try await offPool { try runProcess(Self.kernel, ["tasks", "token", "create", "--name", "ci", "--scope", "manage", "--json"] + common) }
        #expect(created == 0)
        let token = try #require(try JSONReader.parse(out).root["token"]?.string)
        let (_, listed, _) = try await offPool { try runProcess(Self.kernel, ["tasks", "token", "list", "--json"] + common) }
        #expect(listed.contains("\"name\": \"ci\"") && !listed.contains(token))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.kernel)
        p.arguments = ["tasks", "serve", "--listen", "127.0.0.1:0", "--json-logs"] + common
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let handle = err.fileHandleForReading
        let (port, seen) = try await offPool { () -> (Int?, String) in  // blocking reads of its stderr
            var port: Int?
            var seen = ""
            for _ in 0..<200 where port == nil {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
                if let r = seen.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) { port = Int(seen[r].split(separator: ":")[1]) }
            }
            return (port, seen)
        }
        let bound = try #require(port, "\(seen)")
        #expect(seen.contains("\"msg\":\"listening\""))
        let (_, health, _) = try await offPool { try runProcess("/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(bound)/api/tasks"]) }
        #expect(health.contains("\"name\":\"hello\""))
        kill(p.processIdentifier, SIGTERM)
        try await offPool { p.waitUntilExit() }
        #expect(p.terminationStatus == 0 && p.terminationReason == .exit)

        let prefix = "kt-" + token.dropFirst(3).prefix(12)
        let (revoked, _, _) = try await offPool { try runProcess(Self.kernel, ["tasks", "token", "revoke", String(prefix)] + common) }
        #expect(revoked == 0)
        let (_, after, _) = try await offPool { try runProcess(Self.kernel, ["tasks", "token", "list"] + common) }
        #expect(after.contains("revoked"))
    }
}
