import Foundation
import Testing

/// The rest of the reference host's command surface: `agents list --setting-sources`, `plugins install <URL>`.
@Suite struct ParityCommandTests {
    @Test func agentsListSettingSources() async throws {
        let box = try Sandbox()
        try write(box.home + "/agents/helper.md", "---\nname: helper\ndescription: User helper\n---\nYou help.\n")
        try write(box.project + "/.qoder/agents/helper.md", "---\nname: helper\ndescription: Project helper\n---\nYou help here.\n")
        try write(box.project + "/.qoder/agents/only-project.md", "---\nname: only-project\ndescription: P\n---\nP.\n")
        let plugin = try box.makePlugin("pa", files: ["agents/local-agent.md": "---\nname: local-agent\ndescription: L\n---\nL.\n"])
        try await box.ok(["plugins", "install", plugin, "-s", "local"])

        func rows(_ extra: [String]) async throws -> [String: String] {
            var out: [String: String] = [:]
            for row in try await box.listing(["agents", "list"] + extra) where !(row["scope"] is NSNull) {
                out["\(row["name"] as? String ?? "?")/\(row["scope"] as? String ?? "-")"] = row["state"] as? String
            }
            return out
        }
        #expect(try await rows([]) == ["helper/user": "shadowed", "helper/project": "active", "only-project/project": "active",
                                       "local-agent/local": "active"])
        // Without the project source the user's helper is the one in effect.
        #expect(try await rows(["--setting-sources", "user"]) == ["helper/user": "active"])
        #expect(try await rows(["--setting-sources", "project, local"]) == ["helper/project": "active", "only-project/project": "active",
                                                                           "local-agent/local": "active"])
        let builtins = try await box.listing(["agents", "list", "--setting-sources", "local"]).filter { $0["scope"] is NSNull }
        #expect(!builtins.isEmpty)

        let bad = try await box.run(["agents", "list", "--setting-sources", "user,workspace"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("Unknown setting source 'workspace' in --setting-sources; use user, project or local (comma-separated)."),
                "\(bad.stderr)")
    }

    @Test func installFromAnArchiveURLIsRefusedNamingTheArchiveSource() async throws {
        let box = try Sandbox()
        let r = try await box.run(["plugins", "install", "https://example.com/dl/tool.zip"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: plugins install takes a plugin folder or name@marketplace, not an archive URL "
                + "('https://example.com/dl/tool.zip'). To install an archive, list it in a marketplace.json with the archive "
                + "source form, which pins its content: {\"name\": \"tool\", \"source\": {\"source\": \"archive\", \"url\": "
                + "\"https://example.com/dl/tool.zip\", \"sha256\": \"<sha256 of the file>\"}}, add the marketplace (kernel plugins "
                + "marketplace add <folder>) and run kernel plugins install tool@<marketplace>; or download and extract it "
                + "yourself and install the folder.\n")
        let json = try await box.run(["plugins", "install", "HTTP://example.com/x", "--json"])
        #expect(json.status == 1)
        #expect(try parseJSON(json.stdout)["code"] as? String == "invalid_input")
        #expect(files(under: box.home).filter { $0.hasPrefix("plugins/cache") }.isEmpty)
    }
}
