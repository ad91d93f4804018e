import Foundation
import KernelTestSupport
import Testing

/// A git repository in a temporary folder, driven with the real `git`.
struct GitRepo {
    let path: String

    init(_ path: String) async throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try await git("init", "-q", "-b", "main")
    }

    var url: String { "file://" + path }

    @discardableResult
    func git(_ args: String...) async throws -> String {
        let r = try await runChildOffPool("/usr/bin/env", ["git", "-C", path, "-c", "user.name=Test", "-c", "user.email=test@example.com"] + args)
        guard r.status == 0 else { throw GitFailure(args: args, stderr: r.stderr) }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct GitFailure: Error { var args: [String]; var stderr: String }

    func write(_ relative: String, _ text: String) throws {
        try KernelCLITests.write(path + "/" + relative, text)
    }

    /// Commits everything; returns the commit id.
    @discardableResult
    func commit(_ message: String = "change") async throws -> String {
        try await git("add", "-A")
        try await git("commit", "-q", "-m", message)
        return try await git("rev-parse", "HEAD")
    }
}

/// The environment every marketplace test runs `kernel` with: no system git configuration (this machine's
/// rewrites github.com to a local mirror), and any HTTP(S) proxying to a closed port, so a remote URL fails at
/// once whatever network the machine has.
func offlineEnvironment() throws -> [String: String] {
    let closed = "http://127.0.0.1:\(try LoopbackServer.unusedPort())"
    return ["GIT_CONFIG_NOSYSTEM": "1", "https_proxy": closed, "http_proxy": closed, "HTTPS_PROXY": closed,
            "ALL_PROXY": closed, "no_proxy": "127.0.0.1,localhost"]
}

func marketplaceJSON(_ name: String, _ plugins: [String], extra: String = "") -> String {
    #"{"name": "\#(name)", "owner": {"name": "Test"}\#(extra), "plugins": [\#(plugins.joined(separator: ",\n"))]}"#
}

@Suite struct MarketplaceTests {
    /// The reference host's files after `marketplace add DIR` and `install name@mkt` (captured with qodercli
    /// 1.1.76 in a scratch home): Kernel writes the same keys in the same shapes.
    @Test func folderMarketplaceIsRecordedInstalledListedAndRemovedAsTheReferenceHostDoes() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let mkt = try box.sourcesDir.mkdir("mkt")
        try box.sourcesDir.write("mkt/.qoder-plugin/marketplace.json", marketplaceJSON("kernel", [
            #"{"name": "hello-world", "description": "Says hello", "version": "1.0.0", "source": "./plugins/hello-world", "category": "example"}"#,
            #"{"name": "guard", "description": "Guards", "version": "1.0.0", "source": "./plugins/guard"}"#,
        ]))
        try box.sourcesDir.write("mkt/plugins/hello-world/commands/hello.md", "# Hello\n")
        try box.sourcesDir.write("mkt/plugins/guard/commands/guard.md", "# Guard\n")

        let added = try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
        #expect(added == "Marketplace \"kernel\" added successfully. Declared in user settings.\n")
        let known = try parseJSON(try #require(read(box.home + "/plugins/known_marketplaces.json")))
        let entry = try #require(known["kernel"] as? [String: Any])
        #expect(entry["source"] as? [String: String] == ["source": "directory", "path": mkt])
        #expect(entry["installLocation"] as? String == mkt)
        #expect(entry["autoUpdate"] as? Bool == true)
        let settings = try parseJSON(try #require(read(box.settingsPath(.user))))
        #expect(((settings["extraKnownMarketplaces"] as? [String: Any])?["kernel"] as? [String: Any])?["source"] as? [String: String]
                == ["source": "directory", "path": mkt])
        // Adding it again changes nothing.
        #expect(try await box.ok(["plugins", "marketplace", "add", mkt], environment: env)
                == "Marketplace \"kernel\" already exists. Declared in user settings.\n")

        let listed = try #require(try JSONSerialization.jsonObject(with: Data(try await box.ok(["plugins", "marketplace", "list", "--json"]).utf8)) as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == ["kernel"])
        #expect(listed.first?["plugins"] as? Int == 2)

        let out = try await box.ok(["plugins", "install", "hello-world@kernel"], environment: env)
        #expect(out.hasSuffix("Plugin \"hello-world@kernel\" installed successfully.\n"))
        let installed = try parseJSON(try #require(read(box.home + "/plugins/installed_plugins_v2.json")))
        let installs = try #require((installed["plugins"] as? [String: Any])?["hello-world@kernel"] as? [[String: Any]])
        #expect(installs.count == 1)
        #expect(installs[0]["installPath"] as? String == box.home + "/plugins/cache/kernel/hello-world/1.0.0")
        #expect(installs[0]["version"] as? String == "1.0.0")
        #expect(try box.enabledPlugins(.user) == ["hello-world@kernel": true])
        #expect(exists(box.home + "/plugins/cache/kernel/hello-world/1.0.0/commands/hello.md"))

        // --available: the reference host's {installed, available} shape; a relative source is its folder.
        let available = try parseJSON(try await box.ok(["plugins", "list", "--available", "--json"]))
        #expect((available["installed"] as? [[String: Any]])?.map { $0["id"] as? String } == ["hello-world@kernel"])
        let rows = try #require(available["available"] as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows[0]["pluginId"] as? String == "guard@kernel")
        #expect(rows[0]["marketplaceName"] as? String == "kernel")
        #expect(rows[0]["version"] as? String == "1.0.0")
        #expect(rows[0]["source"] as? String == mkt + "/plugins/guard")
        #expect(Array((rows[0] as NSDictionary).allKeys as! [String]).sorted() == ["description", "marketplaceName", "name", "pluginId", "source", "version"])

        // remove uninstalls the marketplace's plugins and forgets it everywhere.
        let removed = try await box.ok(["plugins", "marketplace", "remove", "kernel"], environment: env)
        #expect(removed.contains("Plugin \"hello-world@kernel\" uninstalled"))
        #expect(!exists(box.home + "/plugins/cache/kernel/hello-world"))
        #expect(try box.enabledPlugins(.user) == [:])
        let after = try parseJSON(try #require(read(box.home + "/plugins/known_marketplaces.json")))
        #expect(after.isEmpty)
        #expect(try await box.list().isEmpty)
        #expect(exists(mkt + "/.qoder-plugin/marketplace.json"), "a folder marketplace is read in place, never deleted")
    }

    /// A git marketplace (`file://` with `#ref`) and every git plugin source form: `url` with a tag, `sha` pins,
    /// `git-subdir` (sparse), `strict: false`; then update after a moved tag with an unchanged version.
    @Test func gitMarketplaceInstallsEveryGitSourceAndUpdatesOnAMovedTag() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let plugin = try await GitRepo(box.sourcesDir.url("plugin-repo"))
        try plugin.write(".claude-plugin/plugin.json", #"{"name": "tool", "version": "1.0.0"}"#)
        try plugin.write("commands/run.md", "# Run v1\n")
        try plugin.write("packages/sub/commands/sub.md", "# Sub\n")
        try plugin.write("packages/other/big.txt", "not checked out\n")
        let first = try await plugin.commit("v1")
        try await plugin.git("tag", "v1")
        try plugin.write("commands/run.md", "# Run v2 (unreleased)\n")
        try await plugin.commit("main moves on")

        let market = try await GitRepo(box.sourcesDir.url("market-repo"))
        try market.write(".claude-plugin/marketplace.json", marketplaceJSON("team", [
            #"{"name": "tool", "source": {"source": "url", "url": "\#(plugin.url)", "ref": "v1"}}"#,
            #"{"name": "pinned", "source": {"source": "url", "url": "\#(plugin.url)", "sha": "\#(first)"}}"#,
            #"{"name": "sub", "source": {"source": "git-subdir", "url": "\#(plugin.url)", "path": "packages/sub"}}"#,
            #"{"name": "loose", "strict": false, "description": "From the entry", "commands": ["./commands/run.md"], "source": {"source": "url", "url": "\#(plugin.url)", "ref": "v1"}}"#,
        ]))
        try await market.commit("catalog")
        try await market.git("branch", "stable")

        _ = try await box.ok(["plugins", "marketplace", "add", market.url + "#stable"], environment: env)
        let known = try parseJSON(try #require(read(box.home + "/plugins/known_marketplaces.json")))
        #expect((known["team"] as? [String: Any])?["source"] as? [String: String] == ["source": "git", "url": market.url, "ref": "stable"])
        #expect(exists(box.home + "/plugins/marketplaces/team/.claude-plugin/marketplace.json"))

        for name in ["tool", "pinned", "sub", "loose"] {
            _ = try await box.ok(["plugins", "install", name], environment: env)
        }
        let cache = box.home + "/plugins/cache/team"
        #expect(read(cache + "/tool/1.0.0/commands/run.md") == "# Run v1\n", "the tag, not main")
        #expect(!exists(cache + "/tool/1.0.0/.git"))
        #expect(read(cache + "/pinned/1.0.0/commands/run.md") == "# Run v1\n", "the pinned commit")
        let subVersion = String(try await plugin.git("rev-parse", "HEAD").prefix(12))
        #expect(files(under: cache + "/sub/" + subVersion) == ["commands/sub.md"], "only the subfolder, versioned by its commit")
        let loose = try parseJSON(try #require(read(cache + "/loose/1.0.0/.qoder-plugin/plugin.json")))
        #expect(loose["description"] as? String == "From the entry")
        #expect(loose["source"] == nil && loose["strict"] == nil)
        let rows = try await box.list()
        #expect(Set(rows.compactMap { $0["id"] as? String }) == ["tool@team", "pinned@team", "sub@team", "loose@team"])

        // Nothing changed: up to date.
        let quiet = try parseJSONArray(try await box.ok(["plugins", "update", "tool", "--json"], environment: env))
        #expect(quiet.first?["status"] as? String == "up-to-date")

        // The tag moves to a new commit with the same version string: update replaces the copy.
        try plugin.write("commands/run.md", "# Run v1, fixed\n")
        try await plugin.commit("fix")
        try await plugin.git("tag", "-f", "v1")
        let updated = try parseJSONArray(try await box.ok(["plugins", "update", "--json"], environment: env))
        let tool = try #require(updated.first { $0["pluginId"] as? String == "tool@team" })
        #expect(tool["status"] as? String == "updated")
        #expect(tool["oldVersion"] as? String == "1.0.0" && tool["newVersion"] as? String == "1.0.0")
        #expect(tool["oldSha256"] as? String != tool["newSha256"] as? String)
        #expect(read(cache + "/tool/1.0.0/commands/run.md") == "# Run v1, fixed\n")
        #expect(updated.first { $0["pluginId"] as? String == "pinned@team" }?["status"] as? String == "up-to-date")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/tool").sorted() == ["1.0.0"], "no staging left behind")
    }

    /// `marketplace update` of a git marketplace follows its branch; the catalog follows the manifest.
    @Test func marketplaceUpdateFetchesTheNewCatalog() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let market = try await GitRepo(box.sourcesDir.url("market"))
        try market.write(".claude-plugin/marketplace.json", marketplaceJSON("m", [#"{"name": "a", "source": "./a"}"#]))
        try market.write("a/commands/a.md", "# A\n")
        try market.write("b/commands/b.md", "# B\n")
        let old = try await market.commit()
        _ = try await box.ok(["plugins", "marketplace", "add", market.url], environment: env)
        #expect(try await box.run(["plugins", "install", "b@m"], environment: env).status == 1)

        try market.write(".claude-plugin/marketplace.json", marketplaceJSON("m", [
            #"{"name": "a", "source": "./a"}"#, #"{"name": "b", "description": "Now listed", "source": "./b"}"#]))
        let new = try await market.commit()
        let outcome = try parseJSONArray(try await box.ok(["plugins", "marketplace", "update", "m", "--json"], environment: env))
        #expect(outcome.first?["status"] as? String == "updated")
        #expect(outcome.first?["oldRevision"] as? String == old)
        #expect(outcome.first?["revision"] as? String == new)
        _ = try await box.ok(["plugins", "install", "b@m"], environment: env)
        let again = try parseJSONArray(try await box.ok(["plugins", "marketplace", "update", "--json"], environment: env))
        #expect(again.first?["status"] as? String == "unchanged")
    }

    /// An update rewrites only the entries that changed; what the catalog then answers is what a fresh add of
    /// the new manifest answers: searches, `list --available`, the entry count.
    @Test func anUpdateThatChangesAddsRemovesAndMovesEntriesGivesTheCatalogOfAFreshAdd() async throws {
        let box = try Sandbox(), fresh = try Sandbox()
        let env = try offlineEnvironment()
        func entry(_ name: String, _ description: String, keywords: String = "[]") -> String {
            #"{"name": "\#(name)", "description": "\#(description)", "keywords": \#(keywords), "source": "./\#(name)"}"#
        }
        let manifest = box.sourcesDir.url("mkt") + "/.claude-plugin/marketplace.json"
        try box.sourcesDir.write("mkt/.claude-plugin/marketplace.json", marketplaceJSON("m", [
            entry("alpha", "Formats code"), entry("beta", "Lints code", keywords: #"["lint"]"#),
            entry("gamma", "Deploys things"), entry("delta", "Reviews code", keywords: #"["review", "lint"]"#),
        ]))
        _ = try await box.ok(["plugins", "marketplace", "add", box.sourcesDir.url("mkt")], environment: env)
        #expect(try await box.ok(["plugins", "search", "deploys", "--json"], environment: env).contains("gamma@m"))

        try write(manifest, marketplaceJSON("m", [
            entry("delta", "Reviews code", keywords: #"["review", "lint"]"#),             // moved
            entry("beta", "Lints code and formats it", keywords: #"["lint", "format"]"#), // changed
            #"{"name":"alpha",   "description":"Formats code","keywords":[],"source":"./alpha"}"#, // reformatted
            entry("epsilon", "Deploys and formats"),                                     // added; gamma removed
        ]))
        let outcome = try parseJSONArray(try await box.ok(["plugins", "marketplace", "update", "m", "--json"], environment: env))
        #expect(outcome.first?["status"] as? String == "updated")
        #expect(outcome.first?["plugins"] as? Int == 4)
        _ = try await fresh.ok(["plugins", "marketplace", "add", box.sourcesDir.url("mkt")], environment: env)

        for words in ["format", "lint", "deploys", "code", "gamma", "review lint", "e"] {
            let updated = try await box.ok(["plugins", "search", words, "--json"], environment: env)
            #expect(updated == (try await fresh.ok(["plugins", "search", words, "--json"], environment: env)), "search \(words)")
        }
        #expect(try await box.ok(["plugins", "search", "deploys"], environment: env).contains("epsilon@m"))
        #expect(!(try await box.ok(["plugins", "search", "gamma"], environment: env)).contains("gamma@m"))
        let available = try await box.ok(["plugins", "list", "--available", "--json"], environment: env)
        #expect(available == (try await fresh.ok(["plugins", "list", "--available", "--json"], environment: env)))
        let names = try #require(parseJSON(available)["available"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(names == ["delta", "beta", "alpha", "epsilon"])
        let listed = try parseJSONArray(try await box.ok(["plugins", "marketplace", "list", "--json"], environment: env))
        #expect(listed.first?["plugins"] as? Int == 4)
    }

    /// `plugins search` reads the store read-only; a marketplace only `known_marketplaces.json` records (the
    /// reference host added it) is indexed first all the same, and a home without a database searches nothing.
    @Test func searchIndexesAMarketplaceTheReferenceHostAddedBeforeReading() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        #expect(try await box.ok(["plugins", "search", "hello", "--json"], environment: env) == "[]\n")
        _ = try await box.ok(["plugins", "list", "--json"], environment: env)  // the database, at this schema
        let mkt = box.sourcesDir.url("theirs")
        try box.sourcesDir.write("theirs/.claude-plugin/marketplace.json", marketplaceJSON("theirs", [
            #"{"name": "hello-there", "description": "Greets", "source": "./hello"}"#]))
        try write(box.home + "/plugins/known_marketplaces.json", #"""
            {"theirs": {"source": {"source": "directory", "path": "\#(mkt)"}, "installLocation": "\#(mkt)",
                        "lastUpdated": "2026-01-01T00:00:00.000Z"}}
            """#)
        let found = try parseJSONArray(try await box.ok(["plugins", "search", "hello", "--json"], environment: env))
        #expect(found.compactMap { $0["pluginId"] as? String } == ["hello-there@theirs"])
        #expect(try await box.ok(["plugins", "search", "greets"], environment: env).contains("hello-there@theirs"))
    }

    /// An HTTP marketplace.json: headers with `${ENV}` sent, the ETag sent back on update (304: unchanged).
    @Test func urlMarketplaceUsesETagsAndHeaders() async throws {
        let box = try Sandbox()
        var env = try offlineEnvironment()
        env["CATALOG_TOKEN"] = "s3cret"
        let plugin = try await GitRepo(box.sourcesDir.url("p"))
        try plugin.write("commands/x.md", "# X\n")
        try await plugin.commit()
        let body = marketplaceJSON("web", [
            #"{"name": "x", "version": "2.0.0", "source": {"source": "url", "url": "\#(plugin.url)"}}"#,
            #"{"name": "rel", "source": "./rel"}"#,
        ])
        let server = try LoopbackServer(routes: ["/marketplace.json": { request in
            if request.header("If-None-Match") == "\"v1\"" { return LoopbackServer.Response(status: 304) }
            return .text(body, headers: [("ETag", "\"v1\""), ("Content-Type", "application/json")])
        }])
        defer { server.stop() }
        _ = try await box.ok(["plugins", "marketplace", "add", server.url("/marketplace.json"), "--header", "Authorization: Bearer ${CATALOG_TOKEN}"],
                             environment: env)
        #expect(server.requests.first?.header("Authorization") == "Bearer s3cret")
        let known = try parseJSON(try #require(read(box.home + "/plugins/known_marketplaces.json")))
        #expect((known["web"] as? [String: Any])?["source"] as? NSDictionary
                == ["source": "url", "url": server.url("/marketplace.json"), "headers": ["Authorization": "Bearer ${CATALOG_TOKEN}"]])
        _ = try await box.ok(["plugins", "install", "x@web"], environment: env)
        #expect(exists(box.home + "/plugins/cache/web/x/2.0.0/commands/x.md"))
        let relative = try await box.run(["plugins", "install", "rel@web"], environment: env)
        #expect(relative.status == 1)
        #expect(relative.stderr.contains("relative source './rel' in a marketplace added from a URL"))

        let update = try parseJSONArray(try await box.ok(["plugins", "marketplace", "update", "web", "--json"], environment: env))
        #expect(update.first?["status"] as? String == "unchanged")
        #expect(server.requests.last?.header("If-None-Match") == "\"v1\"")
    }

    @Test func ambiguousNamesListTheQualifiedChoicesAndRenamesAreFollowed() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        for m in ["one", "two"] {
            try box.sourcesDir.write("\(m)/.claude-plugin/marketplace.json", marketplaceJSON(m, [
                #"{"name": "dup", "source": "./dup"}"#, #"{"name": "fresh-\#(m)", "source": "./dup"}"#,
            ], extra: #", "renames": {"old-\#(m)": "fresh-\#(m)"}"#))
            try box.sourcesDir.write("\(m)/dup/commands/d.md", "# D\n")
            _ = try await box.ok(["plugins", "marketplace", "add", box.sourcesDir.url(m)], environment: env)
        }
        let ambiguous = try await box.run(["plugins", "install", "dup", "--json"], environment: env)
        #expect(ambiguous.status == 1)
        let error = try parseJSON(ambiguous.stdout)
        #expect(error["code"] as? String == "ambiguous_name")
        #expect((error["message"] as? String)?.contains("dup@one, dup@two") == true)
        _ = try await box.ok(["plugins", "install", "dup@two"], environment: env)

        let renamed = try await box.run(["plugins", "install", "old-one"], environment: env)
        #expect(renamed.status == 0)
        #expect(renamed.stderr.contains("Plugin \"old-one\" was renamed to \"fresh-one\" in marketplace \"one\""))
        #expect(try await box.list().compactMap { $0["id"] as? String }.sorted() == ["dup@two", "fresh-one@one"])

        let missing = try await box.run(["plugins", "install", "dupp"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("Plugin \"dupp\" not found in any added marketplace. Did you mean 'dup'?")
                || missing.stderr.contains("did you mean 'dup'?"), "\(missing.stderr)")
    }

    /// What cannot be reached fails at once with the URL and git's or curl's reason; nothing is left behind.
    @Test func unreachableSourcesFailClearly() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let port = try LoopbackServer.unusedPort()
        let closed = try await box.run(["plugins", "marketplace", "add", "http://127.0.0.1:\(port)/marketplace.json"], environment: env)
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("cannot fetch http://127.0.0.1:\(port)/marketplace.json"), "\(closed.stderr)")

        let missing = try await box.run(["plugins", "marketplace", "add", "file://" + box.sourcesDir.url("nope")], environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot clone file://" + box.sourcesDir.url("nope")), "\(missing.stderr)")

        let gitClosed = try await box.run(["plugins", "marketplace", "add", "http://127.0.0.1:\(port)/repo.git"], environment: env)
        #expect(gitClosed.status == 1)
        #expect(gitClosed.stderr.contains("cannot clone http://127.0.0.1:\(port)/repo.git"), "\(gitClosed.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/marketplaces")) ?? [] == [])

        // Option-looking sources never reach git.
        let dash = try await box.run(["plugins", "marketplace", "add", "--", "-uploadpack=touch /tmp/x"], environment: env)
        #expect(dash.status == 1)
        #expect(dash.stderr.contains("must not start with '-'"))

        try box.sourcesDir.write("m/.claude-plugin/marketplace.json", marketplaceJSON("m", [
            #"{"name": "remote", "source": {"source": "github", "repo": "nobody/nothing"}}"#,
        ]))
        _ = try await box.ok(["plugins", "marketplace", "add", box.sourcesDir.url("m")], environment: env)
        let remote = try await box.run(["plugins", "install", "remote"], environment: env)
        #expect(remote.status == 1)
        #expect(remote.stderr.contains("remote@m: cannot clone https://github.com/nobody/nothing.git"), "\(remote.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache")) ?? [] == [])
    }

    /// The project's own marketplace, as README's first command uses it.
    @Test func theProjectMarketplaceInstallsHelloWorld() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        _ = try await box.ok(["plugins", "marketplace", "add", TestPaths.repoRoot.path + "/marketplace"], environment: env)
        _ = try await box.ok(["plugins", "install", "hello-world@kernel"], environment: env)
        let row = try #require(try await box.list().first)
        #expect(row["id"] as? String == "hello-world@kernel")
        #expect(resourceNames(row, "commands").contains("hello-world:hello"))
    }
}

func parseJSONArray(_ text: String) throws -> [[String: Any]] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
}

/// Files the reference host wrote (qodercli 1.1.76: `marketplace add <dir>` of this repository's marketplace,
/// then `install hello-world`), read by Kernel: the marketplace is known, its catalog is built from the
/// reference host's checkout, and `list --available --json` prints what the reference host printed.
@Suite struct MarketplaceInteropTests {
    static let fixtures = TestPaths.repoRoot.appendingPathComponent("Tests/Fixtures/qoder-cli/marketplace")

    func fixture(_ name: String, home: String, mkt: String) throws -> String {
        try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            .replacingOccurrences(of: "$QODER_HOME", with: home).replacingOccurrences(of: "$MKT", with: mkt)
    }

    @Test func aMarketplaceAddedAndAPluginInstalledByTheReferenceHostAreKernels() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let home = box.home, mkt = box.sourcesDir.url("mkt")
        // The reference host's copy of the marketplace (symlinks followed, as it copies), and its install.
        for (from, to) in [(TestPaths.repoRoot.path + "/marketplace", mkt),
                           (TestPaths.repoRoot.path + "/marketplace", home + "/plugins/marketplaces/kernel"),
                           (TestPaths.repoRoot.path + "/Plugins/hello-world", home + "/plugins/cache/kernel/hello-world/1.0.0")] {
            try FileManager.default.createDirectory(atPath: parentFolder(to), withIntermediateDirectories: true)
            try #require(try await runChildOffPool("/bin/cp", ["-rL", from, to]).status == 0)
        }
        for name in ["known_marketplaces.json", "installed_plugins_v2.json"] {
            try write(home + "/plugins/" + name, try fixture(name, home: home, mkt: mkt))
        }
        try write(box.settingsPath(.user), try fixture("settings.json", home: home, mkt: mkt))

        let listed = try parseJSON(try await box.ok(["plugins", "list", "--available", "--json"], environment: env))
        let expected = try parseJSON(try fixture("list-available.json", home: home, mkt: mkt))
        #expect((listed["installed"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["hello-world@kernel"])
        #expect(NSArray(array: listed["available"] as? [Any] ?? []) == NSArray(array: expected["available"] as? [Any] ?? []))

        let mine = try parseJSONArray(try await box.ok(["plugins", "marketplace", "list", "--json"]))
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(try fixture("marketplace-list.json", home: home, mkt: mkt).utf8)) as? [[String: Any]])
        for key in ["name", "source", "installLocation", "lastUpdated", "autoUpdate"] {
            #expect((mine.first?[key] as? NSObject) == (theirs.first?[key] as? NSObject), "\(key)")
        }
        // Its install is up to date, and removing the marketplace uninstalls it.
        let update = try parseJSONArray(try await box.ok(["plugins", "update", "--json"], environment: env))
        #expect(update.map { $0["status"] as? String } == ["up-to-date"])
        _ = try await box.ok(["plugins", "marketplace", "remove", "kernel"], environment: env)
        #expect(!exists(home + "/plugins/cache/kernel/hello-world/1.0.0"))
        #expect(!exists(home + "/plugins/marketplaces/kernel"))
    }
}

private func parentFolder(_ path: String) -> String { (path as NSString).deletingLastPathComponent }

/// `archive` and `npm` entries, served by a loopback server: verified before unpacking, versioned by content
/// when nothing names a version, updated when the archive behind the same URL changes.
@Suite struct MarketplaceArchiveTests {
    final class Served: @unchecked Sendable {
        let lock = NSLock()
        var files: [String: [UInt8]] = [:]
        subscript(path: String) -> [UInt8]? {
            get { lock.withLock { files[path] } }
            set { lock.withLock { files[path] = newValue } }
        }
    }

    func shell(_ command: String) async throws -> String {
        let r = try await runChildOffPool("/bin/sh", ["-c", command])
        try #require(r.status == 0, "\(command): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tarball(_ box: Sandbox, _ name: String, folder: String, files: [String: String]) async throws -> [UInt8] {
        let dir = box.sourcesDir.url("src-" + name)
        for (path, text) in files { try write(dir + "/" + folder + "/" + path, text) }
        _ = try await shell("tar czf '\(dir).tgz' -C '\(dir)' '\(folder)'")
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + ".tgz")))
    }

    func sha256(_ bytes: [UInt8], _ box: Sandbox) async throws -> String {
        let file = box.sourcesDir.url("hash-input")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return String(try await shell("sha256sum '\(file)'").prefix(64))
    }

    @Test func archiveAndNpmEntriesInstallVerifiedAndUpdateOnChangedContent() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let served = Served()
        let route: LoopbackServer.Route = { request in
            served[request.path].map { LoopbackServer.Response(status: 200, body: $0) } ?? .text("missing", status: 404)
        }
        let server = try LoopbackServer(routes: ["/arch.tar.gz": route, "/tarballs/npmplug-1.0.0.tgz": route, "/registry/npmplug": route])
        defer { server.stop() }
        let archive = try await tarball(box, "arch", folder: "arch-main", files: ["commands/a.md": "# A v1\n"])
        served["/arch.tar.gz"] = archive
        let npm = try await tarball(box, "npm", folder: "package", files: ["commands/n.md": "# N\n", "package.json": #"{"name": "npmplug"}"#])
        served["/tarballs/npmplug-1.0.0.tgz"] = npm
        let integrity = "sha256-" + Data(hexBytes(try await sha256(npm, box))).base64EncodedString()
        served["/registry/npmplug"] = Array(#"""
            {"name": "npmplug", "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"dist": {
              "tarball": "\#(server.url("/tarballs/npmplug-1.0.0.tgz"))", "integrity": "\#(integrity)"}}}}
            """#.utf8)
        let good = try await sha256(archive, box)
        let bad = String(repeating: "0", count: 64)
        try box.sourcesDir.write("m/.claude-plugin/marketplace.json", marketplaceJSON("m", [
            #"{"name": "pinned", "source": {"source": "archive", "url": "\#(server.url("/arch.tar.gz"))", "sha256": "\#(good)"}}"#,
            #"{"name": "forged", "source": {"source": "archive", "url": "\#(server.url("/arch.tar.gz"))", "sha256": "\#(bad)"}}"#,
            #"{"name": "moving", "source": {"source": "archive", "url": "\#(server.url("/arch.tar.gz"))"}}"#,
            #"{"name": "npmplug", "source": {"source": "npm", "package": "npmplug", "version": "^1.0.0", "registry": "\#(server.url("/registry"))"}}"#,
        ]))
        _ = try await box.ok(["plugins", "marketplace", "add", box.sourcesDir.url("m")], environment: env)

        _ = try await box.ok(["plugins", "install", "pinned"], environment: env)
        let cache = box.home + "/plugins/cache/m"
        #expect(read(cache + "/pinned/\(good.prefix(12))/commands/a.md") == "# A v1\n", "the single top folder is lifted")

        let forged = try await box.run(["plugins", "install", "forged", "--json"], environment: env)
        #expect(forged.status == 1)
        let error = try parseJSON(forged.stdout)
        #expect(error["code"] as? String == "integrity")
        #expect((error["message"] as? String)?.contains("sha256 mismatch") == true)
        #expect(!exists(cache + "/forged"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache").sorted() == ["m"], "no fetch folder left")

        _ = try await box.ok(["plugins", "install", "npmplug"], environment: env)
        #expect(read(cache + "/npmplug/1.0.0/commands/n.md") == "# N\n")

        _ = try await box.ok(["plugins", "install", "moving"], environment: env)
        served["/arch.tar.gz"] = try await tarball(box, "arch2", folder: "arch-main", files: ["commands/a.md": "# A v2\n"])
        let run = try await box.run(["plugins", "update", "--json"], environment: env)
        #expect(run.status == 1, "one update failed (the pinned archive changed)")
        let updates = try parseJSONArray(run.stdout)
        let moving = try #require(updates.first { $0["pluginId"] as? String == "moving@m" })
        #expect(moving["status"] as? String == "updated")
        let newVersion = try #require(moving["newVersion"] as? String)
        #expect(read(cache + "/moving/\(newVersion)/commands/a.md") == "# A v2\n")
        #expect(!exists(cache + "/moving/\(good.prefix(12))"), "the old version's copy is gone")
        // The pinned archive no longer matches what is served: its update fails and its install stays.
        let pinned = try #require(updates.first { $0["pluginId"] as? String == "pinned@m" })
        #expect(pinned["status"] as? String == "failed")
        #expect(read(cache + "/pinned/\(good.prefix(12))/commands/a.md") == "# A v1\n")
        #expect(updates.first { $0["pluginId"] as? String == "npmplug@m" }?["status"] as? String == "up-to-date")
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex) {
        bytes.append(UInt8(hex[i..<j], radix: 16) ?? 0)
        i = j
    }
    return bytes
}
