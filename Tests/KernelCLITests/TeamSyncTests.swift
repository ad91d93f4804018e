import Foundation
import KernelStore
import KernelTestSupport
import Testing

/// Two teammates on one machine: one project repository (the sandbox's project), a `file://` git marketplace,
/// and a home each.
struct Team {
    let box: Sandbox
    let repo: GitRepo
    let env: [String: String]
    var firstCommit = ""

    init(plugins: [String] = ["alpha", "beta"]) async throws {
        box = try Sandbox()
        env = try offlineEnvironment()
        repo = try await GitRepo(box.sourcesDir.path + "/team-mkt")
        try repo.write(".qoder-plugin/marketplace.json", marketplaceJSON("team", plugins.map {
            #"{"name": "\#($0)", "version": "1.0.0", "source": "./plugins/\#($0)"}"#
        }))
        for p in plugins {
            try repo.write("plugins/\(p)/commands/\(p).md", "# \(p) v1\n")
            try repo.write("plugins/\(p)/bin/run-\(p)", "#!/bin/sh\necho \(p)\n")
            chmod(repo.path + "/plugins/\(p)/bin/run-\(p)", 0o755)
        }
        firstCommit = try await repo.commit("v1")
    }

    var lockPath: String { box.project + "/.qoder/plugins.lock" }

    /// Runs `kernel` in the project with another teammate's home.
    func run(_ home: String, _ arguments: [String], extra: [String: String] = [:]) async throws -> KernelRun {
        var e = env.merging(extra) { $1 }
        e["QODER_HOME"] = home
        return try await kernel(arguments, cwd: box.projectDir.fileURL, environment: e)
    }

    @discardableResult
    func ok(_ home: String, _ arguments: [String], extra: [String: String] = [:],
            sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await run(home, arguments, extra: extra)
        #expect(r.status == 0, "kernel \(arguments.joined(separator: " ")) → \(r.status)\n\(r.stdout)\(r.stderr)",
                sourceLocation: sourceLocation)
        return r.stdout
    }

    /// The first teammate declares the set (`marketplace add --scope project`, `install -s project`) and syncs.
    func declareAndLock(_ plugins: [String] = ["alpha", "beta"]) async throws {
        try await ok(box.home, ["trust"])
        try await ok(box.home, ["plugins", "marketplace", "add", repo.url, "--scope", "project"])
        for p in plugins { try await ok(box.home, ["plugins", "install", "\(p)@team", "-s", "project"]) }
        try await ok(box.home, ["plugins", "sync"])
    }

    func lock() throws -> [String: Any] { try parseJSON(try #require(read(lockPath))) }

    func lockEntries() throws -> [[String: Any]] { try #require(try lock()["plugins"] as? [[String: Any]]) }

    /// `plugins status --json` rows by id.
    func status(_ home: String) async throws -> [String: [String: Any]] {
        let out = try await ok(home, ["plugins", "status", "--json"])
        let rows = try #require(try parseJSON(out)["plugins"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["pluginId"] as! String, $0) })
    }

}

@Suite struct TeamSyncTests {
    @Test func aTeammatesFreshHomeGetsTheLockedCommitAfterTheMarketplaceMovesOn() async throws {
        let team = try await Team()
        try await team.declareAndLock()
        let project = try parseJSON(try #require(read(team.box.settingsPath(.project))))
        let declared = try #require(project["extraKnownMarketplaces"] as? [String: Any])
        #expect((declared["team"] as? [String: Any])?["source"] as? [String: String] == ["source": "git", "url": team.repo.url])
        #expect(project["enabledPlugins"] as? [String: Bool] == ["alpha@team": true, "beta@team": true])

        // The lock: stable order, 2-space indent, final newline, the marketplace commit and the tree hash.
        let lockText = try #require(read(team.lockPath))
        #expect(lockText.hasPrefix("{\n  \"lockfileVersion\": 1,\n  \"plugins\": [\n    {\n      \"id\": \"alpha@team\","))
        #expect(lockText.hasSuffix("}\n"))
        let entries = try team.lockEntries()
        #expect(entries.map { $0["id"] as? String } == ["alpha@team", "beta@team"])
        let alpha = entries[0]
        #expect(alpha["version"] as? String == "1.0.0")
        #expect(alpha["scope"] as? String == "project")
        #expect(alpha["reason"] as? String == "declared")
        let source = try #require(alpha["source"] as? [String: Any])
        #expect(source["marketplace"] as? String == "team")
        #expect(source["entry"] as? String == "./plugins/alpha")
        #expect(source["commit"] as? String == team.firstCommit)
        let sha = try #require(alpha["sha256"] as? String)

        // Idempotent: the second run says so and writes nothing.
        let before = try FileManager.default.attributesOfItem(atPath: team.lockPath)[.modificationDate] as? Date
        let again = try await team.ok(team.box.home, ["plugins", "sync"])
        #expect(again.contains("already in sync"))
        let againJSON = try parseJSON(try await team.ok(team.box.home, ["plugins", "sync", "--json"]))
        #expect(againJSON["inSync"] as? Bool == true)
        #expect((againJSON["actions"] as? [Any])?.isEmpty == true)
        #expect(read(team.lockPath) == lockText)
        #expect(try FileManager.default.attributesOfItem(atPath: team.lockPath)[.modificationDate] as? Date == before)

        // The marketplace moves on.
        try team.repo.write("plugins/alpha/commands/alpha.md", "# alpha v2\n")
        try team.repo.write("plugins/gamma/commands/gamma.md", "# gamma\n")
        let second = try await team.repo.commit("v2")
        #expect(second != team.firstCommit)

        // The second teammate: a fresh home, the committed settings and lock.
        let bob = try TempDir()
        try await team.ok(bob.path, ["trust"])
        let synced = try parseJSON(try await team.ok(bob.path, ["plugins", "sync", "--json"]))
        let actions = try #require(synced["actions"] as? [[String: String]])
        #expect(actions.map { $0["action"]! } == ["add-marketplace", "install", "install"])
        #expect(read(team.lockPath) == lockText)  // the lock drives the install; it is not rewritten
        let aliceTree = tree(team.box.home + "/plugins/cache/team/alpha/1.0.0")
        let bobTree = tree(bob.path + "/plugins/cache/team/alpha/1.0.0")
        #expect(bobTree["commands/alpha.md"] == "# alpha v1\n")
        #expect(bobTree == aliceTree)
        #expect(FileManager.default.isExecutableFile(atPath: bob.path + "/plugins/cache/team/alpha/1.0.0/bin/run-alpha"))
        let rows = try await team.status(bob.path)
        #expect(rows["alpha@team"]?["state"] as? String == "ok")
        #expect(rows["beta@team"]?["state"] as? String == "ok")
        let bobSync = try await team.ok(bob.path, ["plugins", "sync"])
        #expect(bobSync.contains("already in sync"))

        // `plugins update` rewrites the entry it updates, and only that entry's lines.
        try await team.ok(team.box.home, ["plugins", "update", "alpha@team"])
        let updated = try #require(read(team.lockPath))
        let newAlpha = try team.lockEntries()[0]
        #expect((newAlpha["source"] as? [String: Any])?["commit"] as? String == second)
        #expect(newAlpha["sha256"] as? String != sha)
        let oldLines = lockText.split(separator: "\n"), newLines = updated.split(separator: "\n")
        #expect(oldLines.count == newLines.count)
        #expect(zip(oldLines, newLines).filter { $0 != $1 }.count == 2)  // commit and sha256
        // Bob is now outdated against the lock, and sync brings him to it.
        // The lock changed under Bob's trust: he reviews it and trusts the project again before it syncs.
        let bobStatus = try parseJSON(try await team.ok(bob.path, ["plugins", "status", "--json"]))
        #expect(bobStatus["trustChanges"] as? [String] == ["plugins.lock"])
        #expect(try await team.status(bob.path)["alpha@team"]?["state"] as? String == "outdated")
        #expect(try await team.run(bob.path, ["plugins", "sync"]).status == 1)
        try await team.ok(bob.path, ["trust"])
        try await team.ok(bob.path, ["plugins", "sync"])
        #expect(tree(bob.path + "/plugins/cache/team/alpha/1.0.0")["commands/alpha.md"] == "# alpha v2\n")
    }

    @Test func anUntrustedProjectIsRefusedWithTheReasonAndThePlan() async throws {
        let team = try await Team()
        try await team.declareAndLock()
        let bob = try TempDir()
        let r = try await team.run(bob.path, ["plugins", "sync"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not trusted"))
        #expect(r.stderr.contains("add-marketplace team"))
        #expect(r.stderr.contains("install alpha@team (locked 1.0.0 at \(team.firstCommit.prefix(12)))"))
        let j = try await team.run(bob.path, ["plugins", "sync", "--json"])
        #expect(j.status == 1)
        let report = try parseJSON(j.stdout)
        #expect(report["ok"] as? Bool == false)
        #expect(report["code"] as? String == "untrusted")
        #expect((report["refusal"] as? String)?.contains("not trusted") == true)
        #expect(!exists(bob.path + "/plugins/cache"))
        #expect(!exists(bob.path + "/plugins/known_marketplaces.json"))
        // --dry-run in a trusted project plans the same and writes nothing.
        try await team.ok(bob.path, ["trust"])
        let dry = try await team.ok(bob.path, ["plugins", "sync", "--dry-run"])
        #expect(dry.contains("would install beta@team"))
        #expect(!exists(bob.path + "/plugins/cache"))
    }

    @Test func frozenDetectsContentChangedUnderACachedTreeHashWithItsMtimePutBack() async throws {
        let team = try await Team()
        try await team.declareAndLock()
        // Once the installed trees have settled, a no-op sync caches their hashes (keyed by their stat fields).
        try await Task.sleep(nanoseconds: UInt64(KernelStore.treeHashSettleNanoseconds) + 200_000_000)
        #expect(try await team.ok(team.box.home, ["plugins", "sync"]).contains("already in sync"))
        let install = team.box.home + "/plugins/cache/team/alpha/1.0.0"
        let store = try KernelStore(path: team.box.home + "/plugins/kernel.sqlite")
        _ = try #require(try store.cachedTreeHash(install))
        #expect(try await team.ok(team.box.home, ["plugins", "sync", "--frozen"]).contains("already in sync"))

        // The same size and, with `touch -d`, the same mtime: only the ctime shows the edit.
        let file = install + "/commands/alpha.md"
        var before = stat()
        #expect(stat(file, &before) == 0)
        try write(file, "# ALPHA v1\n")
        let touch = Process()
        touch.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        touch.arguments = ["touch", "-d", "@\(before.st_mtim.tv_sec).\(String(format: "%09ld", before.st_mtim.tv_nsec))", file]
        try touch.run()
        touch.waitUntilExit()
        #expect(touch.terminationStatus == 0)
        var after = stat()
        #expect(stat(file, &after) == 0)
        #expect(after.st_size == before.st_size)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)

        let tampered = try await team.run(team.box.home, ["plugins", "sync", "--frozen"])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("alpha@team"))
        #expect(tampered.stderr.contains("installed copy"))
        #expect(read(file) == "# ALPHA v1\n")
        // Without --frozen, sync puts the locked copy back.
        let repaired = try await team.ok(team.box.home, ["plugins", "sync"])
        #expect(repaired.contains("reinstall alpha@team"))
        #expect(read(file) == "# alpha v1\n")
    }

    @Test func frozenFailsOnAChangedDeclarationAndTamperedContentChangingNothing() async throws {
        let team = try await Team()
        try await team.declareAndLock()
        let lockText = try #require(read(team.lockPath))
        let settingsText = try #require(read(team.box.settingsPath(.project)))

        // A tampered install: --frozen re-hashes the installed trees.
        try write(team.box.home + "/plugins/cache/team/alpha/1.0.0/commands/alpha.md", "# evil\n")
        let before = tree(team.box.home + "/plugins/cache")
        let recorded = read(team.box.home + "/plugins/installed_plugins_v2.json")
        let tampered = try await team.run(team.box.home, ["plugins", "sync", "--frozen"])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("alpha@team"))
        #expect(tampered.stderr.contains("installed copy"))
        #expect(tree(team.box.home + "/plugins/cache") == before)
        #expect(read(team.box.home + "/plugins/installed_plugins_v2.json") == recorded)
        #expect(read(team.lockPath) == lockText)

        // A changed declaration.
        let bob = try TempDir()
        try await team.ok(bob.path, ["trust"])
        try write(team.box.settingsPath(.project), settingsText.replacingOccurrences(of: "\"beta@team\": true", with: "\"beta@team\": true,\n    \"gamma@team\": true"))
        let changed = try await team.run(bob.path, ["plugins", "sync", "--frozen", "--json"])
        #expect(changed.status == 1)
        let error = try parseJSON(changed.stdout)
        #expect(error["code"] as? String == "lock_mismatch")
        #expect((error["message"] as? String)?.contains("gamma@team is declared") == true)
        #expect(!exists(bob.path + "/plugins/cache"))
        #expect(read(team.lockPath) == lockText)
        try write(team.box.settingsPath(.project), settingsText)

        // Fetched content that is not what the lock records: the locked commit rewritten in the marketplace's
        // history (a force-push) is refused, and nothing is installed.
        try team.repo.write("plugins/beta/commands/beta.md", "# beta, not what was locked\n")
        try await team.repo.git("add", "-A")
        try await team.repo.git("commit", "-q", "--amend", "-m", "v1 rewritten")
        try await team.repo.git("reflog", "expire", "--expire=now", "--all")
        try await team.repo.git("gc", "-q", "--prune=now")
        let carol = try TempDir()
        try await team.ok(carol.path, ["trust"])
        let refused = try await team.run(carol.path, ["plugins", "sync", "--frozen"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("changed nothing"))
        #expect(!exists(carol.path + "/plugins/cache/team"))
        #expect(read(team.lockPath) == lockText)
    }

    @Test func aDirectoryMarketplaceWhoseContentChangedIsRefusedByTheLock() async throws {
        let box = try Sandbox()
        let mkt = try box.sourcesDir.mkdir("mkt")
        try box.sourcesDir.write("mkt/.qoder-plugin/marketplace.json", marketplaceJSON("dir", [
            #"{"name": "solo", "version": "1.0.0", "source": "./plugins/solo"}"#,
        ]))
        try box.sourcesDir.write("mkt/plugins/solo/commands/solo.md", "# solo\n")
        try await box.ok(["trust"])
        try await box.ok(["plugins", "marketplace", "add", mkt, "--scope", "project"])
        try await box.ok(["plugins", "install", "solo@dir", "-s", "project"])
        try await box.ok(["plugins", "sync"])
        let lock = try #require(read(box.project + "/.qoder/plugins.lock"))
        #expect(!lock.contains("\"commit\""))
        try box.sourcesDir.write("mkt/plugins/solo/commands/solo.md", "# changed\n")
        let other = try TempDir()
        let env = ["QODER_HOME": other.path]
        _ = try await kernel(["trust"], cwd: box.projectDir.fileURL, environment: env)
        let r = try await kernel(["plugins", "sync"], cwd: box.projectDir.fileURL, environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("does not match the lock"))
        #expect(!exists(other.path + "/plugins/cache/dir"))
        #expect(read(box.project + "/.qoder/plugins.lock") == lock)
    }

    /// A read-only seed (`KERNEL_PLUGIN_SEED_DIR`) holding the marketplace and the cached plugins: a fresh home
    /// syncs with the marketplace's repository gone, and the seed is not written.
    @Test func aReadOnlySeedSyncsWithNoNetworkAndIsNeverWritten() async throws {
        let team = try await Team()
        try await team.declareAndLock()
        let seed = try TempDir()
        try FileManager.default.createDirectory(atPath: seed.path + "/marketplaces", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: team.box.home + "/plugins/marketplaces/team", toPath: seed.path + "/marketplaces/team")
        try FileManager.default.createDirectory(atPath: seed.path + "/cache", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: team.box.home + "/plugins/cache/team", toPath: seed.path + "/cache/team")
        try FileManager.default.moveItem(atPath: team.repo.path, toPath: team.repo.path + "-gone")
        // `chmod -R a-w` done in-process (no child to wait for on the cooperative pool), undone on the way out.
        let chmodTree = { (writable: Bool) in
            for path in [seed.path] + tree(seed.path).keys.map({ seed.path + "/" + $0 }) {
                var st = stat()
                guard lstat(path, &st) == 0, st.st_mode & S_IFMT != S_IFLNK else { continue }
                chmod(path, writable ? st.st_mode | S_IWUSR : st.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH))
            }
        }
        chmodTree(false)
        defer { chmodTree(true) }
        let before = tree(seed.path)
        let dan = try TempDir()
        try await team.ok(dan.path, ["trust"])
        let out = try await team.ok(dan.path, ["plugins", "sync"], extra: ["KERNEL_PLUGIN_SEED_DIR": "/nonexistent:" + seed.path])
        #expect(out.contains("install alpha@team"))
        #expect(tree(dan.path + "/plugins/cache/team/alpha/1.0.0") == tree(team.box.home + "/plugins/cache/team/alpha/1.0.0"))
        #expect(try await team.status(dan.path).values.allSatisfy { $0["state"] as? String == "ok" })
        #expect(tree(seed.path) == before)
        // Without the seed the same sync cannot fetch: the seed is what made it work.
        let eve = try TempDir()
        try await team.ok(eve.path, ["trust"])
        #expect(try await team.run(eve.path, ["plugins", "sync"]).status == 1)
    }

    /// Trust records a fingerprint: a changed `.mcp.json` stops the project's hooks, `status` and `sync` say
    /// what changed, and trusting again restores them. Edits made through the kernel keep the trust.
    @Test func aChangedFingerprintStopsProjectHooksUntilTrustedAgain() async throws {
        let team = try await Team()
        let marker = team.box.sourcesDir.path + "/hook-ran"
        try write(team.box.settingsPath(.project), #"""
            {"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "echo ran >> \#(marker)"}]}]}}
            """#)
        try await team.declareAndLock()  // trust, then project edits through the kernel: still trusted
        #expect(try parseJSON(try await team.ok(team.box.home, ["plugins", "status", "--json"]))["trusted"] as? Bool == true)
        let input = #"{"session_id": "s", "cwd": "/", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#
        func fire() async throws {
            var env = team.env
            env["QODER_HOME"] = team.box.home
            let r = try await kernel(["hooks", "fire", "PreToolUse", "--json"], cwd: team.box.projectDir.fileURL, environment: env, stdin: input)
            #expect(r.status == 0, "\(r.stderr)")
        }
        try await fire()
        #expect(read(marker) == "ran\n")

        try write(team.box.project + "/.mcp.json", #"{"mcpServers": {"x": {"command": "/bin/true"}}}"#)
        let status = try parseJSON(try await team.ok(team.box.home, ["plugins", "status", "--json"]))
        #expect(status["trusted"] as? Bool == false)
        #expect(status["trustChanges"] as? [String] == [".mcp.json"])
        try await fire()
        #expect(read(marker) == "ran\n")  // the hook did not run
        let hooks = try await team.ok(team.box.home, ["hooks", "list"])
        #expect(hooks.contains("project changed since it was trusted (.mcp.json)"))
        let refused = try await team.run(team.box.home, ["plugins", "sync"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("changed since it was trusted (.mcp.json)"))

        try await team.ok(team.box.home, ["trust"])
        try await fire()
        #expect(read(marker) == "ran\nran\n")
    }

    /// kill -9 at each step of a sync leaves the old state or the new one: the lock is the old bytes or the
    /// new, every plugin is either absent or installed whole and matching its lock entry, and a rerun finishes.
    @Test(arguments: ["marketplaces-added", "fetched", "installed-1", "installed-2", "before-lock", "lock-written"])
    func killDashNineLeavesOldOrNewState(step: String) async throws {
        let team = try await Team()
        try await team.declareAndLock()
        let lockText = try #require(read(team.lockPath))
        let locked = Dictionary(uniqueKeysWithValues: try team.lockEntries().map { ($0["id"] as! String, $0["sha256"] as! String) })

        // A teammate with the lock (the lock never changes), and one without (the lock is written last).
        let bob = try TempDir()
        try await team.ok(bob.path, ["trust"])
        let killed = try await team.run(bob.path, ["plugins", "sync"], extra: ["KERNEL_TEST_CRASH_AT": step])
        if step != "before-lock" && step != "lock-written" { #expect(killed.status == 9, "\(killed.stderr)") }
        #expect(read(team.lockPath) == lockText)
        try await checkConsistent(team, home: bob.path, locked: locked)
        try await team.ok(bob.path, ["plugins", "sync"])
        #expect(try await team.status(bob.path).values.allSatisfy { $0["state"] as? String == "ok" })

        try FileManager.default.removeItem(atPath: team.lockPath)
        let carol = try TempDir()
        try await team.ok(carol.path, ["trust"])
        let killed2 = try await team.run(carol.path, ["plugins", "sync"], extra: ["KERNEL_TEST_CRASH_AT": step])
        #expect(killed2.status == 9, "\(killed2.stderr)")
        let lockAfter = read(team.lockPath)
        #expect(lockAfter == nil || lockAfter == lockText)
        #expect((lockAfter != nil) == (step == "lock-written"))
        try await checkConsistent(team, home: carol.path, locked: locked)
        try await team.ok(carol.path, ["plugins", "sync"])
        #expect(read(team.lockPath) == lockText)
    }

    /// Every project install the shared file records is whole: its folder exists and its content is the
    /// locked one; `status` sees each plugin as ok or missing, never half there.
    func checkConsistent(_ team: Team, home: String, locked: [String: String]) async throws {
        let rows = try await team.status(home)
        for (id, row) in rows {
            let state = row["state"] as? String
            #expect(state == "ok" || state == "missing", "\(id): \(row)")
        }
        if let text = read(home + "/plugins/installed_plugins_v2.json") {
            let plugins = try #require(try parseJSON(text)["plugins"] as? [String: [[String: Any]]])
            for (id, installs) in plugins {
                for install in installs {
                    let path = try #require(install["installPath"] as? String)
                    #expect(exists(path + "/commands/\(id.split(separator: "@")[0]).md"), "\(id) recorded but not whole")
                    #expect(rows[id]?["state"] as? String == "ok")
                }
            }
        }
        _ = locked
        // A frozen sync accepts what is there: every installed tree hashes to its lock entry.
        if read(team.lockPath) != nil {
            let frozen = try await team.run(home, ["plugins", "sync", "--frozen", "--dry-run"])
            #expect(frozen.status == 0, "\(frozen.stderr)")
        }
    }
}
