import Foundation
import Testing

/// Every real bundle of the corpus installs, lists what `validate` reported, renders its commands and
/// uninstalls without leaving a file behind.
@Suite struct CorpusInstallTests {
    /// The plugin folders of the corpus, relative to it.
    static func pluginFolders() throws -> [String] {
        var targets: [String] = []
        for group in ["claude-plugins-official/plugins", "claude-plugins-official/external_plugins"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: TestPaths.corpus.appendingPathComponent(group).path)
            targets += names.sorted().map { "\(group)/\($0)" }
        }
        return targets + ["apify-qoder-plugin/apify", "better-harness"]
    }

    struct Validated: Sendable {
        var folder: String
        var path: String
        var name: String
        /// kind → names, as `validate --json` reports them.
        var components: [String: [String]]
        var hasComponents: Bool { components.values.contains { !$0.isEmpty } }
    }

    @Test(.enabled(if: TestPaths.corpusAvailable, "needs ../shared/corpus"))
    func everyCorpusPluginInstallsListsRendersAndUninstalls() async throws {
        let box = try Sandbox()
        let folders = try Self.pluginFolders()
        try #require(folders.count > 50)

        // 1. What validate reports for each folder (as a plugin: better-harness is also a marketplace).
        let validated = try await parallelMap(folders) { folder -> Validated in
            let path = TestPaths.corpus.appendingPathComponent(folder).path
            let r = try kernelBlocking(["plugins", "validate", path, "--as", "plugin", "--json"], cwd: TestPaths.repoRoot,
                                       environment: [:], stdin: nil)
            #expect(r.status == 0, "\(folder): \(r.stdout.prefix(2000))")
            let report = try parseJSON(r.stdout)
            let components = try #require(report["components"] as? [String: [String]], "\(folder)")
            return Validated(folder: folder, path: path, name: try #require(report["name"] as? String), components: components)
        }
        let names = validated.map(\.name)
        try #require(Set(names).count == names.count, "plugin names are unique: \(names)")

        // 2. Install all of them at user scope at once; exactly the folders without components are refused.
        let installs = try await parallelMap(validated) { v in try box.runBlocking(["plugins", "install", v.path]) }
        for (v, r) in zip(validated, installs) {
            if v.hasComponents {
                #expect(r.status == 0, "\(v.folder): \(r.stdout)\(r.stderr)")
                #expect(r.stdout.hasSuffix("Plugin \"\(v.name)@local\" installed successfully.\n"), "\(v.folder)")
            } else {
                #expect(r.status == 1, "\(v.folder) has no components but installed")
                #expect(r.stderr.contains("error: No plugin content found in \"\(v.path)\""), "\(v.folder): \(r.stderr)")
            }
        }
        let withComponents = validated.filter(\.hasComponents)
        #expect(withComponents.count < validated.count, "the corpus has folders without components")

        // 3. The listing shows what validate reported, and the cache holds a full copy.
        let rows = try await box.list()
        #expect(Set(rows.compactMap { $0["id"] as? String }) == Set(withComponents.map { "\($0.name)@local" }))
        #expect(try box.enabledPlugins(.user) == Dictionary(uniqueKeysWithValues: withComponents.map { ("\($0.name)@local", true) }))
        for v in withComponents {
            guard let row = rows.first(where: { $0["id"] as? String == "\(v.name)@local" }) else { continue }
            let n = v.name
            let c = v.components
            #expect(row["scope"] as? String == "user")
            #expect(row["enabled"] as? Bool == true)
            #expect(resourceNames(row, "commands") == (c["commands"] ?? []).map { "\(n):\($0)" }, "\(v.folder)")
            #expect(resourceNames(row, "skills") == c["skills"] ?? [], "\(v.folder)")
            #expect(resourceNames(row, "agents") == (c["agents"] ?? []).map { "\(n):\($0)" }, "\(v.folder)")
            #expect(resourceNames(row, "mcpServers") == c["mcpServers"] ?? [], "\(v.folder)")
            var seen = Set<String>()
            let events = resourceNames(row, "hooks").filter { seen.insert($0).inserted }
            #expect(events == c["hooks"] ?? [], "\(v.folder)")
            let installPath = try #require(row["installPath"] as? String)
            #expect(installPath.hasPrefix(box.home + "/plugins/cache/local/\(n)/"))
            #expect(files(under: installPath) == files(under: v.path), "\(v.folder)")
        }

        // 4. Every command renders.
        let commands = withComponents.flatMap { v in (v.components["commands"] ?? []).map { "\(v.name):\($0)" } }
        #expect(!commands.isEmpty)
        let renders = try await parallelMap(commands) { name in try box.runBlocking(["commands", "render", name, "x"]) }
        for (name, r) in zip(commands, renders) {
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(name)")
        }

        // 5. Uninstall everything: no file of any plugin is left in the cache, and no settings key.
        let uninstalls = try await parallelMap(withComponents) { v in try box.runBlocking(["plugins", "uninstall", v.name]) }
        for (v, r) in zip(withComponents, uninstalls) {
            #expect(r.status == 0, "\(v.folder): \(r.stderr)")
            #expect(r.stdout == "Plugin \"\(v.name)@local\" fully uninstalled.\n", "\(v.folder)")
        }
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(tree(box.home + "/plugins/cache").isEmpty)
        #expect(try await box.list().isEmpty)
        #expect(try box.enabledPlugins(.user) == [:])
    }
}
