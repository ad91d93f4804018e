import Foundation
import Testing

/// A small valid plugin with one command, one skill and one agent.
private let demoFiles: [String: String] = [
    "commands/hi.md": "---\ndescription: Say hi\n---\nHi $ARGUMENTS\n",
    "skills/wave/SKILL.md": "---\nname: wave\ndescription: Wave at the user.\n---\nWave.\n",
    "agents/helper.md": "---\nname: helper\ndescription: Helps.\n---\nYou help.\n",
]

private func makeDemo(_ box: Sandbox, version: String = "1.2.0") throws -> String {
    try box.makePlugin("demo", version: version, files: demoFiles)
}

/// `plugins install`: scopes, the cache copy, settings, listing, reinstall, refusals.
@Suite struct PluginsInstallTests {
    @Test(arguments: Sandbox.SettingsScope.allCases)
    func installAtScope(_ scope: Sandbox.SettingsScope) async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        let out = try await box.ok(["plugins", "install", src, "-s", scope.rawValue])
        #expect(out == "Installing plugin \"\(src)\"...\nPlugin \"demo@local\" installed successfully.\n")

        // A full copy in the cache.
        let cache = box.cacheDir("demo", "1.2.0")
        #expect(read(cache + "/commands/hi.md") == demoFiles["commands/hi.md"])
        #expect(files(under: cache) == files(under: src))
        #expect(tree(cache) == tree(src))

        // enabledPlugins in that scope's file only.
        for s in Sandbox.SettingsScope.allCases {
            #expect(try box.enabledPlugins(s) == (s == scope ? ["demo@local": true] : nil), "\(s)")
        }

        let rows = try await box.list()
        try #require(rows.count == 1)
        let row = rows[0]
        #expect(row["id"] as? String == "demo@local")
        #expect(row["name"] as? String == "demo")
        #expect(row["source"] as? String == "demo@local")
        #expect(row["version"] as? String == "1.2.0")
        #expect(row["scope"] as? String == scope.rawValue)
        #expect(row["enabled"] as? Bool == true)
        #expect(row["canDisable"] as? Bool == true)
        #expect(row["projectPath"] as? String == (scope == .user ? nil : box.project))
        #expect(row["installPath"] as? String == cache)
        #expect(row["description"] as? String == "The demo plugin")
        #expect(row["installedAt"] is String)
        #expect(resourceNames(row, "commands") == ["demo:hi"])
        #expect(resourceNames(row, "skills") == ["wave"])
        #expect(resourceNames(row, "agents") == ["demo:helper"])
        #expect(resourceNames(row, "mcpServers") == [])
        #expect(resourceNames(row, "hooks") == [])
    }

    @Test func textListingAfterInstall() async throws {
        let box = try Sandbox()
        #expect(try await box.ok(["plugins", "list"]) == "No plugins installed. Use `kernel plugins install` to install a plugin.\n")
        #expect(try await box.ok(["plugins", "list", "--json"]) == "[]\n")
        try await box.ok(["plugins", "install", try makeDemo(box), "-s", "project"])
        #expect(try await box.ok(["plugins", "list"]) == """
            demo@local v1.2.0
              Scope: project (\(box.project))
              Status: enabled
              Path: \(box.cacheDir("demo", "1.2.0"))
              Commands (1): /demo:hi
              Skills (1): demo:wave
              Agents (1): helper

            """)
    }

    @Test func homeOptionAndSubfolderOfTheProject() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        let elsewhere = try TempDir()
        let sub = box.projectDir.fileURL.appendingPathComponent("deep/er")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        // --home beats QODER_HOME; the project is found above the working directory.
        let r = try await kernel(["plugins", "install", src, "-s", "local", "--home", box.home], cwd: sub,
                           environment: ["QODER_HOME": elsewhere.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try box.enabledPlugins(.local) == ["demo@local": true])
        #expect(!exists(box.project + "/deep/er/.qoder"))
        #expect(files(under: elsewhere.path) == [])
        #expect(try await box.list().first?["projectPath"] as? String == box.project)
    }

    @Test func installJSONShape() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        let out = try await box.ok(["plugins", "install", src, "--json", "-s", "local"])
        let object = try parseJSON(out)
        #expect(Set(object.keys) == ["ok", "pluginId", "version", "path", "scope"])
        #expect(object["ok"] as? Bool == true)
        #expect(object["pluginId"] as? String == "demo@local")
        #expect(object["version"] as? String == "1.2.0")
        #expect(object["path"] as? String == box.cacheDir("demo", "1.2.0"))
        #expect(object["scope"] as? String == "local")
    }

    @Test func pluginWithoutManifestOrVersionIsCachedUnderLocal() async throws {
        let box = try Sandbox()
        let src = try box.makePlugin("bare", manifest: false, files: ["commands/go.md": "Go.\n"])
        let out = try await box.ok(["plugins", "install", src])
        #expect(out.hasSuffix("Plugin \"bare@local\" installed successfully.\n"))
        #expect(read(box.cacheDir("bare", "local") + "/commands/go.md") == "Go.\n")
        #expect(try await box.list().first?["version"] as? String == "local")
    }

    /// Shell completion adds a trailing slash; the copy must still be complete and nothing left beside it.
    @Test(arguments: ["/", "//", "/."])
    func installFromAPathWithATrailingSlash(_ suffix: String) async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        let out = try await box.ok(["plugins", "install", src + suffix])
        #expect(out.hasSuffix("Plugin \"demo@local\" installed successfully.\n"))
        #expect(tree(box.cacheDir("demo", "1.2.0")) == tree(src))
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache/local/demo") == ["1.2.0"])
        #expect(resourceNames(try #require(try await box.list().first), "commands") == ["demo:hi"])
    }

    @Test func reinstallReplacesTheCopyAtomically() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        try await box.ok(["plugins", "install", src])
        let before = try await box.list()
        let cache = box.cacheDir("demo", "1.2.0")
        try write(cache + "/STALE.txt", "left over\n")
        try write(src + "/commands/hi.md", "Hello again $ARGUMENTS\n")

        let out = try await box.ok(["plugins", "install", src])
        #expect(out.hasSuffix("Plugin \"demo@local\" installed successfully.\n"))
        #expect(!exists(cache + "/STALE.txt"))
        #expect(read(cache + "/commands/hi.md") == "Hello again $ARGUMENTS\n")
        #expect(tree(cache) == tree(src))
        // No staging or previous copy left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache/local/demo") == ["1.2.0"])

        let after = try await box.list()
        #expect(after.count == 1)
        #expect(after.first?["installedAt"] as? String == before.first?["installedAt"] as? String)
        #expect(try box.enabledPlugins(.user) == ["demo@local": true])
    }

    @Test func invalidBundleIsRefusedAndLeavesThePreviousInstallAlone() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        try await box.ok(["plugins", "install", src])
        let cache = box.cacheDir("demo", "1.2.0")
        let cacheBefore = tree(box.home + "/plugins/cache")
        let settingsBefore = read(box.settingsPath(.user))
        let listBefore = try await box.ok(["plugins", "list", "--json"])

        // The same plugin, now broken: a manifest path that leaves the root.
        let manifest = "{\"name\": \"demo\", \"version\": \"1.2.0\", \"commands\": \"../outside\"}\n"
        try write(src + "/.qoder-plugin/plugin.json", manifest)
        try write(src + "/commands/hi.md", "changed\n")
        let r = try await box.run(["plugins", "install", src])
        #expect(r.status == 1)
        #expect(r.stdout == "Installing plugin \"\(src)\"...\n")
        let column = manifest.distance(from: manifest.startIndex, to: manifest.range(of: "\"../outside\"")!.lowerBound) + 1
        #expect(r.stderr.contains("\(src)/.qoder-plugin/plugin.json:1:\(column): error: path '../outside' escapes the plugin root\n"),
                "\(r.stderr)")
        #expect(r.stderr.hasSuffix("error: \(src) is not a valid plugin\n"))

        #expect(tree(box.home + "/plugins/cache") == cacheBefore)
        #expect(read(cache + "/commands/hi.md") == demoFiles["commands/hi.md"])
        #expect(read(box.settingsPath(.user)) == settingsBefore)
        #expect(try await box.ok(["plugins", "list", "--json"]) == listBefore)

        // --json: one error object on stdout.
        let j = try await box.run(["plugins", "install", src, "--json"])
        #expect(j.status == 1)
        let object = try parseJSON(j.stdout)
        #expect(object["error"] as? Bool == true)
        #expect(object["code"] as? String == "invalid_bundle")
        #expect((object["diagnostics"] as? [[String: Any]])?.contains { $0["severity"] as? String == "error" } == true)
    }

    @Test func invalidBundleInAFreshHomeCreatesNothing() async throws {
        let box = try Sandbox()
        let src = try box.makePlugin("bad", files: ["skills/bad/SKILL.md": "---\nname: bad\n---\nNo description.\n"])
        let r = try await box.run(["plugins", "install", src, "-s", "project"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(src)/skills/bad/SKILL.md:"), "\(r.stderr)")
        #expect(files(under: box.home + "/plugins/cache") == [])
        for s in Sandbox.SettingsScope.allCases { #expect(!exists(box.settingsPath(s))) }
        #expect(try await box.list().isEmpty)
    }

    @Test func folderWithoutComponentsIsRefused() async throws {
        let box = try Sandbox()
        let src = try box.makePlugin("empty", files: ["README.md": "Nothing here.\n"])
        let r = try await box.run(["plugins", "install", src])
        #expect(r.status == 1)
        #expect(r.stderr.hasSuffix("error: No plugin content found in \"\(src)\". Expected at least one of: commands/, "
                + "agents/, skills/, hooks/hooks.json, output-styles/, workflows/, rules/, tasks/, bin/, .mcp.json, mcp.json, modules/, or a component path in the manifest.\n"),
                "\(r.stderr)")
        let j = try await box.run(["plugins", "install", src, "--json"])
        #expect(j.status == 1)
        #expect(try parseJSON(j.stdout)["code"] as? String == "no_content")
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(!exists(box.settingsPath(.user)))
    }

    /// Rules and task blueprints are components here (the reference host refuses a plugin with only rules/, so
    /// its validate and install disagreed with Kernel's validate; README, "Interop"): both install, and the
    /// rules reach the memory a session gets.
    @Test func pluginsWithOnlyRulesOrOnlyTasksInstall() async throws {
        let box = try Sandbox()
        let rules = try box.makePlugin("house-rules", files: ["rules/style/nice.md": "---\ntrigger: always_on\n---\nBe nice.\n"])
        let tasks = try box.makePlugin("nightly", files: ["tasks/report.md": "---\nname: report\ndescription: Nightly report\ntriggers:\n  - type: schedule\n    cron: \"0 3 * * *\"\n---\nWrite the report.\n"])
        #expect(try await box.run(["plugins", "install", rules]).status == 0)
        #expect(try await box.run(["plugins", "install", tasks]).status == 0)
        #expect(try await box.list().compactMap { $0["id"] as? String }.sorted() == ["house-rules@local", "nightly@local"])
        let memory = try await box.run(["memory", "show", "--json", "--no-content"])
        #expect(memory.status == 0)
        #expect(memory.stdout.contains("rules/style/nice.md"), "\(memory.stdout)")
    }

    @Test func usageAndMissingFolder() async throws {
        let box = try Sandbox()
        let missing = try await box.run(["plugins", "install", box.sourcesDir.path + "/nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: Directory not found: \(box.sourcesDir.path)/nope\n")
        #expect(try await box.run(["plugins", "install"]).status == 64)
        #expect(try await box.run(["plugins", "install", try makeDemo(box), "-s", "everywhere"]).status == 64)
        #expect(try await box.list().isEmpty)
    }
}

/// `plugins enable` / `disable`: scopes, precedence, --all, names, exit codes.
@Suite struct PluginsEnableTests {
    @Test(arguments: Sandbox.SettingsScope.allCases)
    func disableThenEnableAtScope(_ scope: Sandbox.SettingsScope) async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box)])
        #expect(try await box.ok(["plugins", "disable", "demo", "-s", scope.rawValue])
                == "Plugin \"demo@local\" disabled (scope \(scope.rawValue)).\n")
        #expect(try box.enabledPlugins(scope)?["demo@local"] == false)
        #expect(try await box.list().first?["enabled"] as? Bool == false)

        #expect(try await box.ok(["plugins", "enable", "demo@local", "-s", scope.rawValue])
                == "Plugin \"demo@local\" enabled (scope \(scope.rawValue)).\n")
        #expect(try box.enabledPlugins(scope)?["demo@local"] == true)
        #expect(try await box.list().first?["enabled"] as? Bool == true)
    }

    @Test func withoutScopeTheInstallScopeIsWritten() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box), "-s", "project"])
        let j = try parseJSON(try await box.ok(["plugins", "disable", "demo", "--json"]))
        #expect(j["ok"] as? Bool == true)
        #expect(j["pluginId"] as? String == "demo@local")
        #expect(j["scope"] as? String == "project")
        #expect(j["enabled"] as? Bool == false)
        #expect(try box.enabledPlugins(.project) == ["demo@local": false])
        #expect(!exists(box.settingsPath(.user)))
        #expect(!exists(box.settingsPath(.local)))
        // Idempotent.
        #expect(try await box.ok(["plugins", "disable", "demo"]) == "Plugin \"demo@local\" disabled (scope project).\n")
    }

    @Test func localOverridesProject() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box), "-s", "project"])
        #expect(try await box.list().first?["enabled"] as? Bool == true)

        try await box.ok(["plugins", "disable", "demo", "-s", "local"])
        #expect(try box.enabledPlugins(.project) == ["demo@local": true])
        #expect(try box.enabledPlugins(.local) == ["demo@local": false])
        #expect(try await box.list().first?["enabled"] as? Bool == false)
        // Its components are listed as inactive.
        let cmd = try #require(entries(try await box.listing(["commands", "list"]), named: "demo:hi").first)
        #expect(cmd["state"] as? String == "inactive")
        #expect(cmd["reason"] as? String == "plugin demo@local is disabled")

        try await box.ok(["plugins", "enable", "demo", "-s", "local"])
        #expect(try box.enabledPlugins(.local) == ["demo@local": true])
        #expect(try await box.list().first?["enabled"] as? Bool == true)

        // And project over user.
        try await box.ok(["plugins", "disable", "demo", "-s", "user"])
        #expect(try await box.list().first?["enabled"] as? Bool == true)
    }

    @Test func disableAllInUserScope() async throws {
        let box = try Sandbox()
        let a = try box.makePlugin("alpha", files: ["commands/a.md": "A\n"])
        let b = try box.makePlugin("beta", files: ["commands/b.md": "B\n"])
        let c = try box.makePlugin("gamma", files: ["commands/c.md": "C\n"])
        try await box.ok(["plugins", "install", a])
        try await box.ok(["plugins", "install", b])
        try await box.ok(["plugins", "install", c, "-s", "project"])

        #expect(try await box.ok(["plugins", "disable", "--all", "-s", "user"]) == "Disabled 2 plugin(s).\n")
        #expect(try box.enabledPlugins(.user) == ["alpha@local": false, "beta@local": false])
        #expect(try box.enabledPlugins(.project) == ["gamma@local": true])
        let enabled = Dictionary(uniqueKeysWithValues: try await box.list().map { ($0["id"] as! String, $0["enabled"] as! Bool) })
        #expect(enabled == ["alpha@local": false, "beta@local": false, "gamma@local": true])

        let again = try parseJSON(try await box.ok(["plugins", "disable", "--all", "-s", "user", "--json"]))
        #expect(again["ok"] as? Bool == true)
        #expect(again["scope"] as? String == "user")
        #expect(again["disabled"] as? [String] == [])
    }

    @Test func unknownNamesSuggestTheClosest() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try box.makePlugin("demo-plugin", files: demoFiles)])
        let settings = read(box.settingsPath(.user))

        let e = try await box.run(["plugins", "enable", "demo-plugn"])
        #expect(e.status == 1)
        #expect(e.stdout == "")
        #expect(e.stderr == "error: Plugin \"demo-plugn\" is not installed. Did you mean 'demo-plugin'?\n")
        let d = try await box.run(["plugins", "disable", "demo-plugin@locl"])
        #expect(d.status == 1)
        #expect(d.stderr == "error: Plugin \"demo-plugin@locl\" is not installed. Did you mean 'demo-plugin@local'?\n")
        let j = try await box.run(["plugins", "disable", "nothing-like-it", "--json"])
        #expect(j.status == 1)
        let object = try parseJSON(j.stdout)
        #expect(object["code"] as? String == "plugin_not_installed")
        #expect(object["message"] as? String == "Plugin \"nothing-like-it\" is not installed.")
        #expect(read(box.settingsPath(.user)) == settings)
    }

    @Test func exitCodes() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box)])
        #expect(try await box.run(["plugins", "enable", "demo"]).status == 0)
        #expect(try await box.run(["plugins", "disable", "demo"]).status == 0)
        #expect(try await box.run(["plugins", "enable", "absent"]).status == 1)
        let neither = try await box.run(["plugins", "disable"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("give a plugin name or --all"))
        #expect(try await box.run(["plugins", "disable", "demo", "--all"]).status == 64)
        #expect(try await box.run(["plugins", "enable"]).status == 64)
        #expect(try await box.run(["plugins", "enable", "demo", "-s", "galaxy"]).status == 64)
        #expect(try await box.run(["plugins", "enable", "demo", "--frobnicate"]).status == 64)
    }
}

/// `plugins uninstall` (aliases `remove`, `rm`).
@Suite struct PluginsUninstallTests {
    @Test(arguments: [["uninstall"], ["remove"], ["rm"]])
    func uninstallRemovesCopyKeyAndData(_ verb: [String]) async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try box.makePlugin("hello-world", files: demoFiles)])
        let data = box.dataDir("hello-world-local")
        try write(data + "/state.json", "{}\n")

        #expect(try await box.ok(["plugins"] + verb + ["hello-world"]) == "Plugin \"hello-world@local\" fully uninstalled.\n")
        #expect(!exists(data))
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(!exists(box.home + "/plugins/cache/local/hello-world"))
        #expect(try box.enabledPlugins(.user) == [:])
        #expect(try await box.list().isEmpty)
    }

    @Test func keepDataKeepsTheDataFolder() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try box.makePlugin("hello-world", files: demoFiles), "-s", "local"])
        let data = box.dataDir("hello-world-local")
        try write(data + "/state.json", "{\"n\": 1}\n")

        let j = try parseJSON(try await box.ok(["plugin", "uninstall", "hello-world@local", "--keep-data", "--json"]))
        #expect(j["ok"] as? Bool == true)
        #expect(j["pluginId"] as? String == "hello-world@local")
        #expect(j["scope"] as? String == "local")
        #expect(j["fullyRemoved"] as? Bool == true)
        #expect(j["removedData"] as? Bool == false)
        #expect(read(data + "/state.json") == "{\"n\": 1}\n")
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(try box.enabledPlugins(.local) == [:])
    }

    @Test func uninstallOneScopeKeepsTheSharedCopy() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box)
        try await box.ok(["plugins", "install", src])
        try await box.ok(["plugins", "install", src, "-s", "project"])
        #expect(try await box.list().count == 2)

        // Without -s: the most specific scope goes first.
        #expect(try await box.ok(["plugins", "uninstall", "demo"]) == "Plugin \"demo@local\" removed from scope \"project\".\n")
        #expect(try box.enabledPlugins(.project) == [:])
        #expect(try box.enabledPlugins(.user) == ["demo@local": true])
        #expect(tree(box.cacheDir("demo", "1.2.0")) == tree(src))
        #expect(try await box.list().map { $0["scope"] as? String } == ["user"])

        let notThere = try await box.run(["plugins", "uninstall", "demo", "-s", "local"])
        #expect(notThere.status == 1)
        #expect(notThere.stderr == "error: Plugin \"demo@local\" is not installed at scope \"local\".\n")

        #expect(try await box.ok(["plugins", "rm", "demo", "-s", "user"]) == "Plugin \"demo@local\" fully uninstalled.\n")
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(try box.enabledPlugins(.user) == [:])
    }

    @Test func upgradeThenUninstallLeavesNoFileInTheCache() async throws {
        let box = try Sandbox()
        let src = try makeDemo(box, version: "1.0.0")
        try await box.ok(["plugins", "install", src])
        try await box.ok(["plugins", "install", src, "-s", "project"])
        try write(src + "/.qoder-plugin/plugin.json", "{\"name\": \"demo\", \"version\": \"1.1.0\"}\n")

        // The project install moves to 1.1.0; the user install still uses 1.0.0.
        try await box.ok(["plugins", "install", src, "-s", "project"])
        let parent = box.home + "/plugins/cache/local/demo"
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).sorted() == ["1.0.0", "1.1.0"])
        #expect(try await box.list().map { "\($0["scope"] ?? "") \($0["version"] ?? "")" } == ["project 1.1.0", "user 1.0.0"])

        // Upgrading the user install too leaves 1.0.0 unused: it goes.
        try await box.ok(["plugins", "install", src])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["1.1.0"])
        #expect(try await box.list().map { $0["installPath"] as? String } == [box.cacheDir("demo", "1.1.0"), box.cacheDir("demo", "1.1.0")])

        try await box.ok(["plugins", "uninstall", "demo", "-s", "project"])
        try await box.ok(["plugins", "uninstall", "demo"])
        #expect(files(under: box.home + "/plugins/cache") == [])
    }

    @Test func fullUninstallRemovesTheKeyFromEverySettingsFile() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box)])
        try await box.ok(["plugins", "disable", "demo", "-s", "project"])
        try await box.ok(["plugins", "enable", "demo", "-s", "local"])
        try await box.ok(["plugins", "uninstall", "demo"])
        for s in Sandbox.SettingsScope.allCases { #expect(try box.enabledPlugins(s) == [:], "\(s)") }
    }

    @Test func uninstallingWhatIsNotInstalledFails() async throws {
        let box = try Sandbox()
        let r = try await box.run(["plugins", "uninstall", "nothere"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: Plugin \"nothere\" is not installed.\n")
        #expect(try await box.run(["plugins", "uninstall"]).status == 64)
    }
}

/// Settings files are edited surgically and never rewritten when they do not parse.
@Suite struct SettingsPreservationTests {
    @Test func unknownKeysOrderAndIndentationSurviveEnableAndDisable() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box)])
        func text(_ value: String?) -> String {
            """
            {
                "zeta": [1, 2,   3],
                "enabledPlugins": {
                    "other@market": true\(value.map { ",\n        \"demo@local\": \($0)" } ?? "")
                },
                "alpha": {"nested": null, "n": 1.50},
                "theme": "dark"
            }

            """
        }
        try write(box.settingsPath(.project), text(nil))

        try await box.ok(["plugins", "disable", "demo", "-s", "project"])
        #expect(read(box.settingsPath(.project)) == text("false"))
        try await box.ok(["plugins", "enable", "demo", "-s", "project"])
        #expect(read(box.settingsPath(.project)) == text("true"))
        try await box.ok(["plugins", "disable", "demo", "-s", "project"])
        #expect(read(box.settingsPath(.project)) == text("false"))
        // Uninstall removes only that member (and its comma).
        try await box.ok(["plugins", "uninstall", "demo"])
        #expect(read(box.settingsPath(.project)) == text(nil))
    }

    @Test func unparseableSettingsAreLeftUntouched() async throws {
        let box = try Sandbox()
        try await box.ok(["plugins", "install", try makeDemo(box)])
        let broken = "{\n  \"enabledPlugins\": {\n    \"x@y\": true,\n  }\n}\n"
        let path = box.settingsPath(.project)
        try write(path, broken)
        let userBefore = read(box.settingsPath(.user))
        let cacheBefore = tree(box.home + "/plugins/cache")

        for arguments in [["plugins", "disable", "demo", "-s", "project"],
                          ["plugins", "enable", "demo", "-s", "project"],
                          ["plugins", "install", try makeDemo(box), "-s", "project"],
                          ["plugins", "uninstall", "demo"],
                          ["plugins", "list"]] {
            let r = try await box.run(arguments)
            #expect(r.status == 1, "\(arguments)")
            #expect(r.stderr.contains("\(path):4:3: error: trailing comma in object\n"), "\(arguments): \(r.stderr)")
            #expect(read(path) == broken, "\(arguments)")
        }
        let j = try await box.run(["plugins", "disable", "demo", "-s", "project", "--json"])
        #expect(j.status == 1)
        let object = try parseJSON(j.stdout)
        #expect(object["code"] as? String == "settings")
        #expect((object["message"] as? String)?.contains("\(path):4:3") == true)

        #expect(read(path) == broken)
        #expect(read(box.settingsPath(.user)) == userBefore)
        #expect(tree(box.home + "/plugins/cache") == cacheBefore)

        // Writing another (valid) settings file still works, and the broken one stays as it is.
        try await box.ok(["plugins", "disable", "demo", "-s", "user"])
        #expect(try box.enabledPlugins(.user) == ["demo@local": false])
        #expect(read(path) == broken)
    }
}
