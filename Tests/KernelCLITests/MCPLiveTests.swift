import Foundation
import KernelTestSupport
import Testing

/// `kernel mcp probe|call` and `mcp list --probe`, as whole processes, against the hello-world plugin's server and
/// the broken-server fixture (Tests/Fixtures/mcp).
@Suite("kernel mcp probe, call, list --probe")
struct MCPLiveTests {
    static let broken = TestPaths.repoRoot.path + "/Tests/Fixtures/mcp/broken_server.py"

    /// A sandbox with hello-world installed and user servers `name → mode` of the broken-server fixture.
    func sandbox(_ servers: [String: String]) async throws -> Sandbox {
        let s = try Sandbox()
        try await s.ok(["plugins", "install", TestPaths.repoRoot.path + "/Plugins/hello-world"])
        for (name, mode) in servers {
            try await s.ok(["mcp", "add", name, "-s", "user", "--", "python3", Self.broken, mode])
        }
        return s
    }

    @Test("probe: the plugin's server with its tool as the agent sees it; --json has the facts")
    func probe() async throws {
        let s = try await sandbox([:])
        let text = try await s.ok(["mcp", "probe", "hello"])
        #expect(text.hasPrefix("hello-world:hello (plugin hello-world, stdio): ok, initialized in "))
        #expect(text.contains("  server: hello 1.0.0, protocol 2025-11-25\n  capabilities: tools\n  tools (1):\n    mcp__plugin_hello-world_hello__greet  Greet someone by name."))
        let json = try parseJSON(try await s.ok(["mcp", "probe", "hello-world:hello", "--json"]))
        #expect(json["ok"] as? Bool == true)
        #expect(json["plugin"] as? String == "hello-world")
        #expect((json["serverInfo"] as? [String: Any])?["name"] as? String == "hello")
        let tools = try #require(json["tools"] as? [[String: Any]])
        #expect(tools.map { $0["agentName"] as? String } == ["mcp__plugin_hello-world_hello__greet"])
        #expect(json["initializeMs"] as? Double != nil)
        #expect(json["error"] is NSNull)
    }

    @Test("call: by the server's name or the agent's; text printed; --json has the result")
    func call() async throws {
        let s = try await sandbox([:])
        #expect(try await s.ok(["mcp", "call", "hello", "greet", "--args", "{\"name\": \"Ada\"}"]) == "Hello, Ada!\n")
        let json = try parseJSON(try await s.ok(["mcp", "call", "hello", "mcp__plugin_hello-world_hello__greet", "--args", "{\"name\": \"Bo\"}", "--json"]))
        #expect(json["tool"] as? String == "greet")
        #expect(json["isError"] as? Bool == false)
        let result = try #require(json["result"] as? [String: Any])
        #expect((result["content"] as? [[String: Any]])?.first?["text"] as? String == "Hello, Bo!")
        let bad = try await s.run(["mcp", "call", "hello", "greet", "--args", "[1]"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--args must be a JSON object, got an array"))
    }

    @Test("probe of a broken server: exit 1, the kind, the reason and its stderr")
    func brokenProbe() async throws {
        let s = try await sandbox(["dies": "exit"])
        let r = try await s.run(["mcp", "probe", "dies"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("dies (settings, stdio): failed\n  error (exited): the server exited with status 3\n  stderr:\n    fatal: missing API key"))
        let json = try parseJSON(try await s.run(["mcp", "probe", "dies", "--json"]).stdout)
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["kind"] as? String == "exited")
        #expect(error["exitStatus"] as? Int == 3)
        let unknown = try await s.run(["mcp", "probe", "hellp"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("No MCP server named \"hellp\". Did you mean"))
    }

    @Test("list --probe: every server at once; the broken ones reported, the others still probed; exit 1")
    func listProbe() async throws {
        let s = try await sandbox(["dies": "exit", "garbage": "garbage", "version": "version", "good": "ok"])
        let r = try await s.run(["mcp", "list", "--probe", "--json", "--timeout", "20"])
        #expect(r.status == 1)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        var kinds: [String: String] = [:]
        for row in rows {
            let probe = try #require(row["probe"] as? [String: Any])
            kinds[row["name"] as! String] = (probe["error"] as? [String: Any])?["kind"] as? String ?? "ok"
        }
        #expect(kinds == ["dies": "exited", "garbage": "invalid_output", "version": "protocol_version", "good": "ok",
                          "hello-world:hello": "ok"])
        let text = try await s.run(["mcp", "list", "--probe"])
        #expect(text.stdout.contains("ok: 2 tools, 1 prompt, 1 resource ("))
        #expect(text.stdout.contains("failed (exited): the server exited with status 3"))
    }

    @Test("a project .mcp.json server is probed only when the project is trusted and the server approved")
    func projectServerGate() async throws {
        let s = try await sandbox([:])
        try write(s.project + "/.mcp.json", "{\"mcpServers\": {\"proj\": {\"command\": \"python3\", \"args\": [\"\(Self.broken)\", \"ok\"]}}}")
        let untrusted = try await s.run(["mcp", "probe", "proj"])
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.contains("proj (settings, stdio): not started: MCP server \"proj\" is inactive: project not trusted"))
        try await s.ok(["trust"])
        let pending = try await s.run(["mcp", "probe", "proj", "--json"])
        #expect(pending.status == 1)
        let error = try #require(try parseJSON(pending.stdout)["error"] as? [String: Any])
        #expect(error["kind"] as? String == "inactive")
        #expect((error["message"] as? String)?.contains("not approved (run `kernel mcp approve proj`)") == true)
        let listed = try await s.run(["mcp", "list", "--probe", "--json"])
        #expect(listed.status == 0, "an unapproved server is not started, so it is no failure: \(listed.stdout)")
        try await s.ok(["mcp", "approve", "proj"])
        let approved = try parseJSON(try await s.ok(["mcp", "probe", "proj", "--json"]))
        #expect(approved["ok"] as? Bool == true)
        try await s.ok(["mcp", "reject", "proj"])
        #expect(try await s.run(["mcp", "probe", "proj"]).status == 1)
    }

    @Test("kernel links no MCP SDK and no FoundationNetworking: the live commands exec kernel-mcp beside it")
    func liveCommandsExecTheirOwnExecutable() async throws {
        // Every command pays for what `kernel` links at start-up, so the SDK lives in `kernel-mcp` only.
        let ldd = try await runChildOffPool("/usr/bin/ldd", [TestPaths.kernel], cwd: "/", environment: [:], stdin: "")
        #expect(ldd.status == 0, "\(ldd.stderr)")
        if ldd.stdout.contains("libswiftCore.so") {  // a debug build: the Swift libraries are shared objects
            #expect(!ldd.stdout.contains("FoundationNetworking"), "\(ldd.stdout)")
            #expect(!ldd.stdout.contains("libcurl"), "\(ldd.stdout)")
        }
        // Without kernel-mcp beside it, `kernel mcp probe` says what is missing, in place of a crash.
        let dir = try TempDir()
        let lone = dir.path + "/kernel"
        try FileManager.default.copyItem(atPath: TestPaths.kernel, toPath: lone)
        let s = try await sandbox([:])
        let r = try await runChildOffPool(lone, ["mcp", "probe", "hello"], cwd: s.project, environment: ["QODER_HOME": s.home], stdin: "")
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(dir.path)/kernel-mcp is missing: build it with `swift build --product kernel-mcp`"), "\(r.stderr)")
        // A command without a live server does not need it.
        let list = try await runChildOffPool(lone, ["mcp", "list", "--json"], cwd: s.project, environment: ["QODER_HOME": s.home], stdin: "")
        #expect(list.status == 0, "\(list.stderr)")
    }
}
