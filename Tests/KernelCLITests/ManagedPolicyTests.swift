import Foundation
import Testing

/// The administrator's managed settings (`KERNEL_MANAGED_SETTINGS` points at a temporary file): allowlists,
/// blocks, forced and blocked plugins, and a malformed file failing closed.
@Suite struct ManagedPolicyTests {
    struct Setup {
        let box: Sandbox
        var env: [String: String]
        let mkt: String
        let other: String
        var policyFile: String { box.sourcesDir.path + "/managed-settings.json" }

        func policy(_ text: String) throws { try write(policyFile, text) }
    }

    func setup() throws -> Setup {
        let box = try Sandbox()
        var env = try offlineEnvironment()
        for name in ["team", "other"] {
            try box.sourcesDir.write("\(name)/.qoder-plugin/marketplace.json", marketplaceJSON(name, [
                #"{"name": "\#(name)-a", "version": "1.0.0", "source": "./plugins/a"}"#,
                #"{"name": "\#(name)-b", "version": "1.0.0", "source": "./plugins/b"}"#,
            ]))
            for p in ["a", "b"] { try box.sourcesDir.write("\(name)/plugins/\(p)/commands/\(p).md", "# \(p)\n") }
        }
        let setup = Setup(box: box, env: env, mkt: box.sourcesDir.path + "/team", other: box.sourcesDir.path + "/other")
        env["KERNEL_MANAGED_SETTINGS"] = setup.policyFile
        var s = setup
        s.env = env
        return s
    }

    @Test func anAllowlistAdmitsOnlyItsSourcesAndEmptyAllowsNone() async throws {
        let s = try setup()
        try s.policy(#"{"strictKnownMarketplaces": [{"source": "directory", "path": "\#(s.mkt)"}]}"#)
        try await s.box.ok(["plugins", "marketplace", "add", s.mkt], environment: s.env)
        let refused = try await s.box.run(["plugins", "marketplace", "add", s.other, "--json"], environment: s.env)
        #expect(refused.status == 1)
        #expect(try parseJSON(refused.stdout)["code"] as? String == "policy")
        #expect(refused.stdout.contains("is not among the sources strictKnownMarketplaces allows"))
        #expect(read(s.box.home + "/plugins/known_marketplaces.json")?.contains("\"other\"") == false)

        // A pathPattern admits the other folder; then `[]` locks everything down, installed plugins included.
        try s.policy(#"{"strictKnownMarketplaces": [{"source": "pathPattern", "pathPattern": ".*/(team|other)"}]}"#)
        try await s.box.ok(["plugins", "marketplace", "add", s.other], environment: s.env)
        try await s.box.ok(["plugins", "install", "team-a@team"], environment: s.env)
        try s.policy(#"{"strictKnownMarketplaces": []}"#)
        let install = try await s.box.run(["plugins", "install", "other-a@other"], environment: s.env)
        #expect(install.status == 1)
        #expect(install.stderr.contains("strictKnownMarketplaces in \(s.policyFile) is [] (no marketplace is allowed)"), "\(install.stderr)")
        let row = try #require(try await s.box.listing(["plugins", "list"], environment: s.env).first { $0["id"] as? String == "team-a@team" })
        #expect(row["enabled"] as? Bool == false)
        #expect((row["policy"] as? [String: Any])?["state"] as? String == "blocked")
        let commands = try await s.box.listing(["commands", "list"], environment: s.env)
        #expect(commands.filter { ($0["state"] as? String) == "active" && $0["plugin"] is String }.isEmpty)
        #expect(commands.contains { $0["plugin"] as? String == "team-a@team" })
    }

    @Test func blockedMarketplacesByNameAndByEitherSpellingOfARepository() async throws {
        let s = try setup()
        try s.policy(#"{"blockedMarketplaces": ["other", {"source": "git", "url": "https://github.com/Acme/Plugins.git"}]}"#)
        try await s.box.ok(["plugins", "marketplace", "add", s.mkt], environment: s.env)
        let byName = try await s.box.run(["plugins", "marketplace", "add", s.other], environment: s.env)
        #expect(byName.status == 1)
        #expect(byName.stderr.contains("marketplace \"other\" is blocked by blockedMarketplaces"), "\(byName.stderr)")
        // The github spelling of the blocked git URL is refused before anything is fetched (no network here).
        let github = try await s.box.run(["plugins", "marketplace", "add", "acme/plugins"], environment: s.env)
        #expect(github.status == 1)
        #expect(github.stderr.contains("its source github.com/acme/plugins is blocked by blockedMarketplaces"), "\(github.stderr)")
        #expect(!exists(s.box.home + "/plugins/marketplaces/plugins"))
    }

    @Test func managedEnabledPluginsForceOnAndBlock() async throws {
        let s = try setup()
        try await s.box.ok(["plugins", "marketplace", "add", s.mkt], environment: s.env)
        try await s.box.ok(["plugins", "install", "team-a@team"], environment: s.env)
        try await s.box.ok(["plugins", "install", "team-b@team"], environment: s.env)
        try await s.box.ok(["plugins", "disable", "team-a"], environment: s.env)
        try s.policy(#"{"enabledPlugins": {"team-a@team": true, "team-b@team": false}}"#)

        let rows = Dictionary(uniqueKeysWithValues: try await s.box.listing(["plugins", "list"], environment: s.env).map { ($0["id"] as! String, $0) })
        #expect(rows["team-a@team"]?["enabled"] as? Bool == true)
        #expect(rows["team-a@team"]?["canDisable"] as? Bool == false)
        #expect((rows["team-a@team"]?["policy"] as? [String: Any])?["state"] as? String == "forced")
        #expect(rows["team-b@team"]?["enabled"] as? Bool == false)
        #expect((rows["team-b@team"]?["policy"] as? [String: Any])?["reason"] as? String
                == "enabledPlugins[\"team-b@team\"] is false in \(s.policyFile)")
        let commands = try await s.box.listing(["commands", "list"], environment: s.env)
        #expect(commands.filter { ($0["state"] as? String) == "active" }.compactMap { $0["plugin"] as? String } == ["team-a@team"])

        let disable = try await s.box.run(["plugins", "disable", "team-a"], environment: s.env)
        #expect(disable.status == 1)
        #expect(disable.stderr.contains(#"Plugin "team-a@team" is enforced by your organization administrator and cannot be disabled"#), "\(disable.stderr)")
        let enable = try await s.box.run(["plugins", "enable", "team-b"], environment: s.env)
        #expect(enable.status == 1)
        try await s.box.ok(["plugins", "uninstall", "team-b"], environment: s.env)
        let reinstall = try await s.box.run(["plugins", "install", "team-b@team"], environment: s.env)
        #expect(reinstall.status == 1)
        #expect(reinstall.stderr.contains(#"Plugin "team-b@team" is blocked by organization policy: enabledPlugins["team-b@team"] is false"#), "\(reinstall.stderr)")
    }

    @Test func aMalformedManagedFileFailsClosedWithItsPosition() async throws {
        let s = try setup()
        try await s.box.ok(["plugins", "marketplace", "add", s.mkt], environment: s.env)
        try await s.box.ok(["plugins", "install", "team-a@team"], environment: s.env)
        try s.policy("{\n  \"blockedMarketplaces\": [\"x\",\n}\n")
        let install = try await s.box.run(["plugins", "install", "team-b@team"], environment: s.env)
        #expect(install.status == 1)
        #expect(install.stderr.contains("\(s.policyFile):3:1"), "\(install.stderr)")
        let list = try await s.box.run(["plugins", "list", "--json"], environment: s.env)
        #expect(list.status == 0)
        #expect(list.stderr.contains("\(s.policyFile):3:1"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["enabled"] as? Bool == false)
        #expect((rows.first?["policy"] as? [String: Any])?["state"] as? String == "blocked")

        try s.policy(#"{"strictKnownMarketplaces": "yes"}"#)
        let typed = try await s.box.run(["plugins", "marketplace", "add", s.other], environment: s.env)
        #expect(typed.status == 1)
        #expect(typed.stderr.contains("\(s.policyFile):1:29"), "\(typed.stderr)")
    }
}
