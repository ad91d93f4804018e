import Foundation
import KernelTestSupport
import Testing

/// The official marketplace of the corpus, as a git repository added by `file://` URL: every relative entry
/// installs, lists and uninstalls; every remote entry fails at once with its URL (the network is closed off).
@Suite struct MarketplaceCorpusTests {
    @Test(.enabled(if: TestPaths.corpusAvailable, "needs ../shared/corpus"))
    func everyRelativeEntryOfTheOfficialMarketplaceInstallsAndEveryRemoteOneFailsClearly() async throws {
        let box = try Sandbox()
        let env = try offlineEnvironment()
        let repo = box.sourcesDir.url("claude-plugins-official")
        try FileManager.default.copyItem(atPath: TestPaths.corpus.appendingPathComponent("claude-plugins-official").path, toPath: repo)
        // The corpus is read-only; the repository needs a writable .git.
        try #require(try await runChildOffPool("/bin/chmod", ["-R", "u+w", repo]).status == 0)
        let git = try await GitRepo(repo)
        try await git.commit("corpus")

        _ = try await box.ok(["plugins", "marketplace", "add", git.url], environment: env)
        let manifest = try parseJSON(try #require(read(repo + "/.claude-plugin/marketplace.json")))
        let entries = try #require(manifest["plugins"] as? [[String: Any]])
        let relative = entries.filter { $0["source"] is String }.compactMap { $0["name"] as? String }
        let remote = entries.filter { !($0["source"] is String) }.compactMap { $0["name"] as? String }
        try #require(relative.count > 40 && remote.count > 100)
        let mkt = "claude-plugins-official"

        let installs = try await parallelMap(relative) { name in
            try box.runBlocking(["plugins", "install", "\(name)@\(mkt)"], environment: env)
        }
        for (name, r) in zip(relative, installs) {
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
        let rows = try await box.list()
        #expect(Set(rows.compactMap { $0["id"] as? String }) == Set(relative.map { "\($0)@\(mkt)" }))
        let available = try parseJSON(try await box.ok(["plugins", "list", "--available", "--json"]))
        #expect(Set((available["available"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == Set(remote))

        // A sample of each remote form (url with and without sha, git-subdir): each is a git process or two.
        var sample: [String] = []
        for kind in ["url", "git-subdir"] {
            let ofKind = entries.filter { ($0["source"] as? [String: Any])?["source"] as? String == kind }
            sample += ofKind.filter { ($0["source"] as? [String: Any])?["sha"] != nil }.prefix(4).compactMap { $0["name"] as? String }
            sample += ofKind.filter { ($0["source"] as? [String: Any])?["sha"] == nil }.prefix(4).compactMap { $0["name"] as? String }
        }
        try #require(sample.count >= 8)
        let failures = try await parallelMap(sample) { name in
            try box.runBlocking(["plugins", "install", "\(name)@\(mkt)"], environment: env)
        }
        for (name, r) in zip(sample, failures) {
            #expect(r.status == 1, "\(name) installed without a network")
            #expect(r.stderr.contains("error: \(name)@\(mkt): cannot "), "\(name): \(r.stderr)")
        }

        let uninstalls = try await parallelMap(relative) { name in
            try box.runBlocking(["plugins", "uninstall", "\(name)@\(mkt)"], environment: env)
        }
        for (name, r) in zip(relative, uninstalls) { #expect(r.status == 0, "\(name): \(r.stderr)") }
        #expect(try await box.list().isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.home + "/plugins/cache")) ?? [] == [])
    }
}
