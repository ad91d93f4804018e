import Foundation
import Testing

/// `kernel mcp enable|disable|approve|reject|reset-project-choices`: the reference host's keys (fixtures captured
/// from qodercli 1.1.76), and a project `.mcp.json` server runs only when the project is trusted and it is
/// approved.
@Suite struct MCPApprovalTests {
    static let fixtures = TestPaths.repoRoot.appendingPathComponent("Tests/Fixtures/qoder-cli")

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    func server(_ list: [[String: Any]], _ name: String) throws -> [String: Any] {
        try #require(entries(list, named: name).first, "\(name) not listed")
    }

    @Test func disableWritesWhatTheReferenceWritesAndEnableRemovesIt() async throws {
        let box = try Sandbox()
        try await box.ok(["mcp", "add", "loc", "--", "echo", "local"])
        try await box.ok(["mcp", "add", "-s", "user", "loc", "--", "echo", "userloc"])
        // Defined at local and user: the local definition (the one in effect) is disabled, as qodercli does.
        #expect(try await box.ok(["mcp", "disable", "loc"]) == "MCP server \"loc\" disabled in local settings (\(box.settingsPath(.local))).\n")
        let captured = try Self.fixture("settings-local-mcp-disabled.json")
        #expect(read(box.settingsPath(.local)) == captured + "\n")
        try await box.ok(["trust"])
        let list = try await box.listing(["mcp", "list"])
        let local = try #require(list.first { $0["name"] as? String == "loc" && $0["scope"] as? String == "local" })
        #expect(local["state"] as? String == "inactive")
        #expect(local["reason"] as? String == "disabled (run `kernel mcp enable loc`)")
        #expect(local["disabled"] as? Bool == true)
        // The disabled local definition still wins the name: the user's does not run instead (as in qodercli).
        let user = try #require(list.first { $0["name"] as? String == "loc" && $0["scope"] as? String == "user" })
        #expect(user["state"] as? String == "shadowed")

        try await box.ok(["mcp", "enable", "loc"])
        #expect(read(box.settingsPath(.local)) == """
            {
              "mcpServers": {
                "loc": {
                  "command": "echo",
                  "args": [
                    "local"
                  ]
                }
              }
            }

            """)
        try await box.ok(["mcp", "disable", "loc", "-s", "user", "--json"])
        #expect(read(box.settingsPath(.user))?.contains("\"disabled\": true") == true)
    }

    @Test func enableAndDisableBadInput() async throws {
        let box = try Sandbox()
        try await box.ok(["mcp", "add", "alpha", "--", "a"])
        let unknown = try await box.run(["mcp", "disable", "alpho"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: No MCP server named \"alpho\" in the user, project or local configuration. Did you mean 'alpha'?\n")
        let wrongScope = try await box.run(["mcp", "enable", "alpha", "-s", "user", "--json"])
        #expect(wrongScope.status == 1)
        let error = try parseJSON(wrongScope.stdout)
        #expect(error["code"] as? String == "not_found")
        #expect(error["message"] as? String == "No MCP server \"alpha\" in user scope (\(box.settingsPath(.user))); it is defined in: local.")
        let badScope = try await box.run(["mcp", "disable", "alpha", "-s", "workspace"])
        #expect(badScope.status == 64)
        #expect(read(box.settingsPath(.user)) == nil)
    }

    @Test func projectServersRunOnlyWhenTrustedAndApproved() async throws {
        let box = try Sandbox()
        try write(box.project + "/.mcp.json", #"{"mcpServers": {"proj": {"command": "echo"}, "Other": {"command": "echo"}}}"#)
        try await box.ok(["mcp", "add", "-s", "user", "usr", "--", "echo"])
        var list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "proj")["reason"] as? String == "project not trusted (run `kernel trust` in it)")
        #expect(try server(list, "proj")["approval"] as? String == "pending")
        #expect(try server(list, "usr")["approval"] is NSNull)
        #expect(try server(list, "usr")["state"] as? String == "active")

        try await box.ok(["trust"])
        list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "proj")["state"] as? String == "inactive")
        #expect(try server(list, "proj")["reason"] as? String == "project server not approved (run `kernel mcp approve proj`)")
        let text = try await box.ok(["mcp", "list"])
        #expect(text.contains("project server not approved (run `kernel mcp approve proj`)"), "\(text)")

        #expect(try await box.ok(["mcp", "approve", "proj"]) == "Project MCP server \"proj\" approved (\(box.settingsPath(.user))).\n")
        // Names compare lower-cased, as the reference host compares them; the name is kept as written.
        try await box.ok(["mcp", "reject", "other"])
        let user = try parseJSON(try #require(read(box.settingsPath(.user))))
        let mcp = try #require(user["mcp"] as? [String: Any])
        #expect(mcp["enabledProjectMcpServers"] as? [String] == ["proj"])
        #expect(mcp["disabledProjectMcpServers"] as? [String] == ["Other"])
        list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "proj")["state"] as? String == "active")
        #expect(try server(list, "proj")["approval"] as? String == "approved")
        #expect(try server(list, "Other")["approval"] as? String == "rejected")
        #expect(try server(list, "Other")["reason"] as? String == "project server rejected (run `kernel mcp approve Other` to allow it)")

        // Approving a rejected one moves it across; --all approves every other one, never a rejected one.
        try await box.ok(["mcp", "approve", "Other"])
        try await box.ok(["mcp", "reject", "proj"])
        try await box.ok(["mcp", "approve", "--all"])
        list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "Other")["state"] as? String == "active")
        #expect(try server(list, "proj")["approval"] as? String == "rejected")

        // Untrusting wins over approval.
        try await box.ok(["untrust"])
        list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "Other")["reason"] as? String == "project not trusted (run `kernel trust` in it)")
    }

    @Test func resetWritesWhatTheReferenceWrites() async throws {
        let box = try Sandbox()
        try write(box.settingsPath(.user), """
            {
              "mcpServers": {
                "usr": {
                  "command": "echo",
                  "args": [
                    "u"
                  ]
                },
                "loc": {
                  "command": "echo",
                  "args": [
                    "userloc"
                  ]
                }
              }
            }
            """)
        try write(box.project + "/.mcp.json", #"{"mcpServers": {"proj": {"command": "echo"}}}"#)
        try await box.ok(["mcp", "reset-project-choices"])
        // Byte for byte qodercli 1.1.76's `mcp reset-project-choices` on the same file.
        #expect(read(box.settingsPath(.user)) == (try Self.fixture("settings-user-mcp-reset.json")))
        try await box.ok(["mcp", "approve", "proj"])
        try await box.ok(["mcp", "reset-project-choices", "--json"])
        try await box.ok(["trust"])
        let list = try await box.listing(["mcp", "list"])
        #expect(try server(list, "proj")["approval"] as? String == "pending")
    }

    @Test func approvalBadInput() async throws {
        let box = try Sandbox()
        let noFile = try await box.run(["mcp", "approve", "x"])
        #expect(noFile.status == 1)
        #expect(noFile.stderr == "error: This project has no .mcp.json (\(box.project)/.mcp.json): only its servers need approval.\n")
        try write(box.project + "/.mcp.json", #"{"mcpServers": {"github": {"command": "echo"}}}"#)
        let unknown = try await box.run(["mcp", "reject", "githu", "--json"])
        #expect(unknown.status == 1)
        let error = try parseJSON(unknown.stdout)
        #expect(error["code"] as? String == "not_found")
        #expect(error["message"] as? String == "No server \"githu\" in the project's .mcp.json (\(box.project)/.mcp.json). Did you mean 'github'?")
        let both = try await box.run(["mcp", "approve", "github", "--all"])
        #expect(both.status == 64)
        let neither = try await box.run(["mcp", "approve"])
        #expect(neither.status == 64)
        // A user settings file that does not parse is named and left as it was.
        try write(box.settingsPath(.user), "{\n  \"mcp\": [,\n}\n")
        let broken = try await box.run(["mcp", "approve", "github"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("\(box.settingsPath(.user)):2:"), "\(broken.stderr)")
        #expect(read(box.settingsPath(.user)) == "{\n  \"mcp\": [,\n}\n")
    }
}
