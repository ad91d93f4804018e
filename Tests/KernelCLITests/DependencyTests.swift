import Foundation
import KernelHost
import KernelMarketplace
import Testing

/// Plugin dependencies end to end: a folder marketplace whose plugins declare `dependencies` (in plugin.json
/// and in the entry), installed, disabled, uninstalled and pruned through `kernel`.
@Suite struct DependencyTests {
    /// A marketplace folder `name` in the sandbox's sources: each plugin `(name, version, dependencies JSON for
    /// plugin.json, entry extra JSON)` under `plugins/<name>` with one command.
    @discardableResult
    func marketplace(_ box: Sandbox, _ name: String, extra: String = "",
                     _ plugins: [(name: String, version: String, deps: String?, entry: String)]) throws -> String {
        let dir = try box.sourcesDir.mkdir(name)
        var entries: [String] = []
        for p in plugins {
            var manifest = #"{"name": "\#(p.name)", "version": "\#(p.version)""#
            if let deps = p.deps { manifest += #", "dependencies": \#(deps)"# }
            try box.sourcesDir.write("\(name)/plugins/\(p.name)/.qoder-plugin/plugin.json", manifest + "}\n")
            try box.sourcesDir.write("\(name)/plugins/\(p.name)/commands/\(p.name).md", "# \(p.name)\n")
            entries.append(#"{"name": "\#(p.name)", "source": "./plugins/\#(p.name)"\#(p.entry)}"#)
        }
        try box.sourcesDir.write("\(name)/.qoder-plugin/marketplace.json", marketplaceJSON(name, entries, extra: extra))
        return dir
    }

    func rows(_ box: Sandbox) async throws -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for row in try await box.list() { out[row["id"] as! String] = row }
        return out
    }

    /// Everything a failed resolution must leave as it was: the settings files, the shared install record,
    /// the cache folder's tree (files and their bytes), and the receipts as listed.
    func snapshot(_ box: Sandbox) async throws -> [String: String] {
        var files: [String: String] = [:]
        for scope in Sandbox.SettingsScope.allCases { files["settings:\(scope)"] = read(box.settingsPath(scope)) ?? "<none>" }
        files["installed"] = read(box.home + "/plugins/installed_plugins_v2.json") ?? "<none>"
        for (path, contents) in tree(box.home + "/plugins/cache") { files["cache:" + path] = contents }
        files["list"] = try await box.ok(["plugins", "list", "--json"])
        return files
    }

    @Test func installResolvesTheClosureRecordsItAndPruneRemovesWhatNothingNeeds() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try marketplace(box, "m", [
            ("app", "1.0.0", #"["lib", {"name": "core", "version": "^1.0.0"}]"#, ""),
            ("lib", "2.1.0", nil, #", "dependencies": [{"name": "core", "version": ">=1.1 <1.3"}]"#),
            ("core", "1.2.0", nil, ""),
            ("tool", "1.0.0", nil, ""),
        ])
        try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        let out = try await box.ok(["plugins", "install", "app@m", "--json"], environment: env)
        let result = try parseJSON(out)
        #expect((result["dependencies"] as? [[String: Any]])?.compactMap { $0["pluginId"] as? String } == ["core@m", "lib@m"])

        var listed = try await rows(box)
        #expect(Set(listed.keys) == ["app@m", "lib@m", "core@m"])
        #expect(listed["app@m"]?["autoInstalled"] == nil)
        #expect(listed["lib@m"]?["autoInstalled"] as? Bool == true)
        #expect(listed["core@m"]?["autoInstalled"] as? Bool == true)
        #expect(listed["core@m"]?["requiredBy"] as? [String] == ["app@m", "lib@m"])
        #expect(listed["app@m"]?["requires"] as? [String] == ["lib@m", "core@m"])
        // Dependencies are enabled without a settings key (a project's committed enabledPlugins stays its declared set).
        #expect(try box.enabledPlugins(.user) == ["app@m": true])
        #expect(listed["core@m"]?["enabled"] as? Bool == true)

        // Disabling or uninstalling what others need is refused, naming them; nothing changes.
        let before = try await snapshot(box)
        let disable = try await box.run(["plugins", "disable", "core"], environment: env)
        #expect(disable.status == 1)
        #expect(disable.stderr.contains(#"Cannot disable "core@m" because enabled plugins depend on it: app@m, lib@m. Disable those plugins first, or use --cascade."#), "\(disable.stderr)")
        let uninstall = try await box.run(["plugins", "uninstall", "lib@m", "--json"], environment: env)
        #expect(uninstall.status == 1)
        #expect(try parseJSON(uninstall.stdout)["code"] as? String == "dependency")
        #expect(uninstall.stdout.contains(#"Cannot uninstall \"lib@m\" because installed plugins depend on it: app@m."#))
        #expect(try await snapshot(box) == before)

        // --cascade disables the dependents too.
        let cascade = try parseJSON(try await box.ok(["plugins", "disable", "lib", "--cascade", "--json"], environment: env))
        #expect((cascade["cascaded"] as? [[String: Any]])?.compactMap { $0["pluginId"] as? String } == ["app@m"])
        #expect(try box.enabledPlugins(.user) == ["app@m": false, "lib@m": false])
        // A disabled dependent no longer holds core.
        try await box.ok(["plugins", "enable", "app"], environment: env)

        // Uninstalling the root leaves its dependencies until prune; prune never takes a user install.
        try await box.ok(["plugins", "install", "tool@m"], environment: env)
        try await box.ok(["plugins", "uninstall", "app"], environment: env)
        listed = try await rows(box)
        #expect(Set(listed.keys) == ["lib@m", "core@m", "tool@m"])
        let dry = try parseJSON(try await box.ok(["plugins", "prune", "--dry-run", "--json"], environment: env))
        #expect(Set((dry["pruned"] as? [[String: Any]])?.compactMap { $0["pluginId"] as? String } ?? []) == ["lib@m", "core@m"])
        #expect(Set(try await rows(box).keys) == ["lib@m", "core@m", "tool@m"])
        let pruned = try await box.ok(["plugins", "prune"], environment: env)
        #expect(pruned.contains("Uninstalled \"lib@m\" 2.1.0"))
        #expect(pruned.contains("Uninstalled \"core@m\" 1.2.0"))
        #expect(Set(try await rows(box).keys) == ["tool@m"])
        #expect(!exists(box.home + "/plugins/cache/m/core"))
        #expect(try await box.ok(["plugins", "prune"], environment: env).hasPrefix("Nothing to prune"))
    }

    /// An update whose new version changes `dependencies` installs the new closure (recorded as auto-installed,
    /// the receipt's `requires` rewritten); the old dependency it no longer needs is left to `prune`.
    @Test func anUpdateThatChangesDependenciesInstallsTheNewClosureAndLeavesTheOldToPrune() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try marketplace(box, "m", [
            ("app", "1.0.0", #"["old-lib"]"#, ""),
            ("old-lib", "1.0.0", nil, ""),
            ("new-lib", "1.0.0", #"["base"]"#, ""),
            ("base", "1.0.0", nil, ""),
        ])
        try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        try await box.ok(["plugins", "install", "app@m"], environment: env)
        #expect(Set(try await rows(box).keys) == ["app@m", "old-lib@m"])

        // app 2.0.0 needs new-lib (which needs base) instead of old-lib.
        try box.sourcesDir.write("m/plugins/app/.qoder-plugin/plugin.json", #"{"name": "app", "version": "2.0.0", "dependencies": ["new-lib"]}"#)
        let updated = try await box.ok(["plugins", "update", "app", "--json"], environment: env)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(updated.utf8)) as? [[String: Any]]).first
        #expect(result?["status"] as? String == "updated")
        #expect(result?["newVersion"] as? String == "2.0.0")
        #expect(Set(result?["dependencies"] as? [String] ?? []) == ["new-lib@m", "base@m"])
        let listed = try await rows(box)
        #expect(Set(listed.keys) == ["app@m", "old-lib@m", "new-lib@m", "base@m"])
        #expect(listed["app@m"]?["requires"] as? [String] == ["new-lib@m"])
        #expect(listed["new-lib@m"]?["autoInstalled"] as? Bool == true)
        #expect(listed["base@m"]?["requiredBy"] as? [String] == ["new-lib@m"])
        #expect(listed["old-lib@m"]?["requiredBy"] == nil)

        // prune takes the old dependency only; a second update changes nothing.
        let pruned = try parseJSON(try await box.ok(["plugins", "prune", "--json"], environment: env))
        #expect((pruned["pruned"] as? [[String: Any]])?.compactMap { $0["pluginId"] as? String } == ["old-lib@m"])
        let again = try await box.ok(["plugins", "update", "app"], environment: env)
        #expect(again.contains("Plugin \"app@m\" is up to date (2.0.0)."), "\(again)")
        #expect(Set(try await rows(box).keys) == ["app@m", "new-lib@m", "base@m"])
    }

    @Test func aDependencyTheUserInstalledStaysTheUsersAndIsNeverPruned() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try marketplace(box, "m", [("app", "1.0.0", #"["core"]"#, ""), ("core", "1.2.0", nil, "")])
        try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        try await box.ok(["plugins", "install", "core@m"], environment: env)
        let result = try parseJSON(try await box.ok(["plugins", "install", "app@m", "--json"], environment: env))
        #expect(result["satisfied"] as? [String] == ["core@m"])
        #expect(try await rows(box)["core@m"]?["autoInstalled"] == nil)
        try await box.ok(["plugins", "uninstall", "app"], environment: env)
        #expect(try await box.ok(["plugins", "prune"], environment: env).hasPrefix("Nothing to prune"))
        #expect(Set(try await rows(box).keys) == ["core@m"])
    }

    @Test func conflictingRangesACycleAndAVersionOutsideTheRangeChangeNothing() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try marketplace(box, "m", [
            ("app", "1.0.0", #"[{"name": "core", "version": "^1.0.0"}]"#, ""),
            ("other", "1.0.0", #"[{"name": "core", "version": "^2.0.0"}]"#, ""),
            ("pair", "1.0.0", #"[{"name": "core", "version": "~1.2.0"}, {"name": "lib", "version": "1.x"}]"#, ""),
            ("lib", "1.0.0", #"[{"name": "core", "version": ">=1.3.0"}]"#, ""),
            ("x", "1.0.0", #"["y"]"#, ""),
            ("y", "1.0.0", #"["z"]"#, ""),
            ("z", "1.0.0", #"["x@m"]"#, ""),
            ("newer", "1.0.0", #"[{"name": "core", "version": ">=1.5.0"}]"#, ""),
            ("core", "1.2.0", nil, ""),
        ])
        try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        try await box.ok(["plugins", "install", "app@m"], environment: env)
        let before = try await snapshot(box)

        // An installed plugin's range against a new one's: both ranges, both dependents.
        let conflict = try await box.run(["plugins", "install", "other@m"], environment: env)
        #expect(conflict.status == 1)
        #expect(conflict.stderr.contains(#"Plugin "core@m" has conflicting version requirements: app@m requires ^1.0.0, other@m requires ^2.0.0"#),
                "\(conflict.stderr)")
        // Two ranges inside one new closure.
        let inner = try await box.run(["plugins", "install", "pair@m", "--json"], environment: env)
        #expect(inner.status == 1)
        #expect(try parseJSON(inner.stdout)["code"] as? String == "dependency")
        #expect(inner.stdout.contains("pair@m requires ~1.2.0, lib@m requires >=1.3.0"), "\(inner.stdout)")
        // A cycle, with its chain.
        let cycle = try await box.run(["plugins", "install", "x@m"], environment: env)
        #expect(cycle.status == 1)
        #expect(cycle.stderr.contains("Dependency cycle: x@m → y@m → z@m → x@m"), "\(cycle.stderr)")
        // The marketplace's version outside the range.
        let outside = try await box.run(["plugins", "install", "newer@m"], environment: env)
        #expect(outside.status == 1)
        #expect(outside.stderr.contains(#"newer@m requires "core@m" >=1.5.0, its marketplace has 1.2.0"#), "\(outside.stderr)")

        #expect(try await snapshot(box) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache").sorted() == ["m"])
    }

    @Test func aCrossMarketplaceDependencyNeedsTheRootMarketplacesAllowance() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let strict = try marketplace(box, "strict", [("app", "1.0.0", #"["helper@shared"]"#, "")])
        let open = try marketplace(box, "open", extra: #", "allowCrossMarketplaceDependenciesOn": ["shared"]"#,
                                   [("app2", "1.0.0", nil, #", "dependencies": ["helper@shared"]"#)])
        let shared = try marketplace(box, "shared", [("helper", "0.3.1", nil, "")])
        for m in [strict, open, shared] { try await box.ok(["plugins", "marketplace", "add", m], environment: env) }
        let before = try await snapshot(box)
        let refused = try await box.run(["plugins", "install", "app@strict"], environment: env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(#"app@strict depends on "helper@shared" from marketplace "shared", but marketplace "strict" does not allow dependencies on it"#),
                "\(refused.stderr)")
        #expect(try await snapshot(box) == before)

        try await box.ok(["plugins", "install", "app2@open", "-s", "project"], environment: env)
        let listed = try await rows(box)
        #expect(listed["helper@shared"]?["scope"] as? String == "project")
        #expect(listed["helper@shared"]?["autoInstalled"] as? Bool == true)
        #expect(try box.enabledPlugins(.project) == ["app2@open": true])
        #expect(listed["helper@shared"]?["enabled"] as? Bool == true)
    }

    @Test func aFolderInstallResolvesBareNamesInTheAddedMarketplaces() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try marketplace(box, "m", [("core", "1.2.0", nil, "")])
        try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        let dir = try box.makePlugin("mine", files: ["commands/mine.md": "# Mine\n"])
        try write(dir + "/.qoder-plugin/plugin.json", #"{"name": "mine", "version": "0.1.0", "dependencies": [{"name": "core", "version": "^1.2"}]}"#)
        let out = try await box.ok(["plugins", "install", dir], environment: env)
        #expect(out.contains("Dependency \"core@m\" 1.2.0 installed (required by mine@local)."))
        #expect(try await rows(box)["core@m"]?["requiredBy"] as? [String] == ["mine@local"])
    }

    /// The project's set (`plugins sync`, the team-sets resolution): a declared plugin's dependencies are
    /// installed with it, recorded as auto-installed, and locked with `reason: dependency` and `requiredBy`.
    @Test func syncInstallsTheDeclaredSetsClosureAndLocksItsReasons() async throws {
        let box = try Sandbox()
        let mkt = try marketplace(box, "m", [
            ("app", "1.0.0", #"[{"name": "core", "version": "^1.0.0"}]"#, ""),
            ("tool", "1.0.0", nil, #", "dependencies": ["core", "lib"]"#),
            ("lib", "0.4.0", nil, ""),
            ("core", "1.2.0", nil, ""),
        ])
        try write(box.settingsPath(.project), """
            {"extraKnownMarketplaces": {"m": {"source": {"source": "directory", "path": "\(mkt)"}}},
             "enabledPlugins": {"app@m": true, "tool@m": true}}
            """)
        let host = try PluginHost(paths: KernelPaths(home: box.home, project: box.project))
        _ = try host.trust()
        let report = try host.syncProjectPlugins()
        #expect(report.refusal == nil)
        let lock = try parseJSON(try #require(read(box.project + "/.qoder/plugins.lock")))
        let entries = try #require(lock["plugins"] as? [[String: Any]])
        #expect(entries.compactMap { $0["id"] as? String } == ["app@m", "core@m", "lib@m", "tool@m"])
        let byID = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as! String, $0) })
        #expect(byID["app@m"]?["reason"] as? String == "declared")
        #expect(byID["core@m"]?["reason"] as? String == "dependency")
        #expect(byID["core@m"]?["requiredBy"] as? [String] == ["app@m", "tool@m"])
        #expect(byID["lib@m"]?["requiredBy"] as? [String] == ["tool@m"])
        let receipts = try host.installed()
        #expect(receipts.first { $0.id == "core@m" }?.autoInstalled == true)
        #expect(receipts.first { $0.id == "app@m" }?.autoInstalled == false)
        #expect(receipts.first { $0.id == "tool@m" }?.requires.contains("lib@m") == true)
    }
}
