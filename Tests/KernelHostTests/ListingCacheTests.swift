import Foundation
import Testing
import KernelCore
import KernelHost
import KernelTestSupport

/// A temp home + project, a plugin folder to install, and a host on them.
final class HostFixture {
    let dir: TemporaryDirectory
    let root: URL
    let host: PluginHost

    init() throws {
        dir = try TemporaryDirectory(prefix: "kernel-host")
        root = dir.fileURL
        try FileManager.default.createDirectory(at: root.appendingPathComponent("project/.git"), withIntermediateDirectories: true)
        host = try PluginHost(paths: KernelPaths(home: root.appendingPathComponent("home").path,
                                                 project: root.appendingPathComponent("project").path))
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// A plugin folder `src/<name>` with two skills and one command.
    func makePlugin(_ name: String) throws -> String {
        try write("src/\(name)/.qoder-plugin/plugin.json", #"{"name": "\#(name)", "version": "1.0.0", "description": "d"}"#)
        try write("src/\(name)/skills/one/SKILL.md", "---\nname: one\ndescription: First skill.\n---\nBody\n")
        try write("src/\(name)/skills/two/SKILL.md", "---\nname: two\ndescription: Second skill.\n---\nBody\n")
        try write("src/\(name)/commands/go.md", "---\ndescription: Go somewhere\n---\nGo $ARGUMENTS\n")
        return root.appendingPathComponent("src/\(name)").path
    }
}

@Suite struct ListingCacheTests {
    @Test func warmListingReadsNoPluginFileAndSeesEveryChange() throws {
        let f = try HostFixture()
        let outcome = try f.host.install(from: try f.makePlugin("alpha"), scope: .user)
        let installed = outcome.installPath

        // Cold: the bundle is read. Warm: served from the cache (no bundle read), same summary.
        let cold = try f.host.listings()
        #expect(cold.count == 1 && cold[0].bundle != nil)
        let warm = try f.host.listings()
        #expect(warm[0].bundle == nil)
        #expect(warm[0].summary.resourcesJSON == cold[0].summary.resourcesJSON)
        #expect(warm[0].summary.textLines == ["  Commands (1): /alpha:go", "  Skills (2): alpha:one, alpha:two"])

        // A changed file (new description) is read again.
        try Data("---\nname: one\ndescription: Changed skill text.\n---\nBody\n".utf8)
            .write(to: URL(fileURLWithPath: installed + "/skills/one/SKILL.md"))
        let changed = try f.host.listings()
        #expect(changed[0].bundle != nil)
        #expect(changed[0].summary.resourcesJSON.contains("Changed skill text."))
        #expect(try f.host.listings()[0].bundle == nil)

        // A file appearing: a new skill folder.
        try FileManager.default.createDirectory(atPath: installed + "/skills/three", withIntermediateDirectories: true)
        try Data("---\nname: three\ndescription: Third.\n---\n".utf8).write(to: URL(fileURLWithPath: installed + "/skills/three/SKILL.md"))
        let added = try f.host.listings()
        #expect(added[0].summary.textLines.contains("  Skills (3): alpha:one, alpha:three, alpha:two"))

        // A file disappearing: the command.
        try FileManager.default.removeItem(atPath: installed + "/commands/go.md")
        let removed = try f.host.listings()
        #expect(!removed[0].summary.textLines.contains { $0.contains("Commands") })
        #expect(try f.host.listings()[0].bundle == nil)

        // A SKILL.md added to a folder that had none.
        try FileManager.default.createDirectory(atPath: installed + "/skills/four", withIntermediateDirectories: true)
        _ = try f.host.listings()
        try Data("---\nname: four\ndescription: Fourth.\n---\n".utf8).write(to: URL(fileURLWithPath: installed + "/skills/four/SKILL.md"))
        #expect(try f.host.listings()[0].summary.textLines.contains { $0.contains("alpha:four") })
    }

    /// Two installed plugins (their inputs stat'ed from the folder they share): every kind of change to a skill,
    /// command or agent file of one is seen by the next warm listing, and the other stays served from the cache.
    @Test func warmListingSeesEveryEditAdditionAndRemovalOfEachComponentKind() throws {
        let f = try HostFixture()
        try f.host.install(from: try f.makePlugin("first"), scope: .user)
        try f.write("src/second/agents/helper.md", "---\nname: helper\ndescription: Helps.\n---\nHelp.\n")
        let second = try f.host.install(from: try f.makePlugin("second"), scope: .user).installPath
        func listing() throws -> (first: PluginHost.PluginListing, second: PluginHost.PluginListing) {
            let rows = try f.host.listings()
            return (try #require(rows.first { $0.name == "first" }), try #require(rows.first { $0.name == "second" }))
        }
        func write(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        _ = try listing()
        let warm = try listing()
        #expect(warm.first.bundle == nil && warm.second.bundle == nil)
        #expect(warm.second.summary.resourcesJSON.contains("second:helper"))

        // Each change, then: the changed plugin is read again and shows it; the other is not read.
        let changes: [(what: String, change: () throws -> Void, shows: (PluginSummary) -> Bool)] = [
            ("agent edited", { try write(second + "/agents/helper.md", "---\nname: helper\ndescription: Helps more.\n---\nHelp.\n") },
             { $0.resourcesJSON.contains("Helps more.") }),
            ("agent added", { try write(second + "/agents/extra.md", "---\nname: extra\ndescription: Extra.\n---\nE.\n") },
             { $0.resourcesJSON.contains("second:extra") }),
            ("agent removed", { try FileManager.default.removeItem(atPath: second + "/agents/helper.md") },
             { !$0.resourcesJSON.contains("second:helper") }),
            ("command edited", { try write(second + "/commands/go.md", "---\ndescription: Go far\n---\nGo.\n") },
             { $0.resourcesJSON.contains("Go far") }),
            ("command added", { try write(second + "/commands/stop.md", "---\ndescription: Stop\n---\nStop.\n") },
             { $0.textLines.contains("  Commands (2): /second:go, /second:stop") }),
            ("command removed", { try FileManager.default.removeItem(atPath: second + "/commands/go.md") },
             { $0.textLines.contains("  Commands (1): /second:stop") }),
            ("skill edited", { try write(second + "/skills/two/SKILL.md", "---\nname: two\ndescription: Edited.\n---\nB\n") },
             { $0.resourcesJSON.contains("Edited.") }),
            ("skill removed", { try FileManager.default.removeItem(atPath: second + "/skills/one") },
             { $0.textLines.contains("  Skills (1): second:two") }),
            ("skill added", { try write(second + "/skills/new/SKILL.md", "---\nname: new\ndescription: New.\n---\nN\n") },
             { $0.textLines.contains("  Skills (2): second:new, second:two") }),
        ]
        for (what, change, shows) in changes {
            try change()
            let after = try listing()
            #expect(after.second.bundle != nil, "\(what): not read again")
            #expect(shows(after.second.summary), "\(what): not seen")
            #expect(after.first.bundle == nil, "\(what): the unchanged plugin was read")
            let again = try listing()
            #expect(again.second.bundle == nil && shows(again.second.summary), "\(what): not cached after")
        }
        #expect(try listing().first.summary.textLines == ["  Commands (1): /first:go", "  Skills (2): first:one, first:two"])
    }

    @Test func clearingTheCacheMakesTheNextRunCold() throws {
        let f = try HostFixture()
        try f.host.install(from: try f.makePlugin("beta"), scope: .user)
        _ = try f.host.listings()
        #expect(try f.host.listings()[0].bundle == nil)
        #expect(try f.host.clearCache() == 1)
        #expect(try f.host.listings()[0].bundle != nil)
    }

    @Test func failedInstallLeavesThePreviousStateIntact() throws {
        let f = try HostFixture()
        let source = try f.makePlugin("gamma")
        let first = try f.host.install(from: source, scope: .project)
        let settingsPath = f.host.paths.settingsFile(.project)
        let settingsBefore = try Data(contentsOf: URL(fileURLWithPath: settingsPath))

        // Break the bundle: a skill without description is an error, so the reinstall is refused.
        try f.write("src/gamma/skills/two/SKILL.md", "---\nname: two\n---\nBody\n")
        #expect {
            try f.host.install(from: source, scope: .project)
        } throws: { error in
            (error as? KernelError)?.code == .invalidBundle
                && (error as? KernelError)?.diagnostics.contains { $0.message == "'description' is required" } == true
        }
        let copy = try String(contentsOfFile: first.installPath + "/skills/two/SKILL.md", encoding: .utf8)
        #expect(copy.contains("Second skill."))
        #expect(try Data(contentsOf: URL(fileURLWithPath: settingsPath)) == settingsBefore)
        #expect(try f.host.installed().count == 1)

        // An unparseable settings file refuses the install before anything is copied.
        try f.write("src/gamma/skills/two/SKILL.md", "---\nname: two\ndescription: Fixed.\n---\nBody\n")
        try Data("{\n  \"enabledPlugins\": {},\n}\n".utf8).write(to: URL(fileURLWithPath: settingsPath))
        #expect {
            try f.host.install(from: source, scope: .project)
        } throws: { error in
            guard let e = error as? KernelError, e.code == .settings else { return false }
            return e.diagnostics.first?.location.line == 3 && e.diagnostics.first?.location.column == 1
        }
        #expect(try String(contentsOfFile: first.installPath + "/skills/two/SKILL.md", encoding: .utf8).contains("Second skill."))
        #expect(try String(contentsOfFile: settingsPath, encoding: .utf8) == "{\n  \"enabledPlugins\": {},\n}\n")
    }
}

@Suite struct BundleCacheTests {
    @Test func secondCompositionReadsNoFolderAndChangesAreSeen() throws {
        let f = try HostFixture()
        let outcome = try f.host.install(from: try f.makePlugin("delta"), scope: .user)
        try f.write("home/commands/mine.md", "---\ndescription: Mine\n---\nMine.\n")
        try f.write("project/.qoder/agents/helper.md", "---\nname: helper\ndescription: Helps.\n---\nHelp.\n")

        let cold = try f.host.compose()
        #expect(cold.readFolders == 3 && cold.cachedFolders == 0)
        let warm = try f.host.compose()
        #expect(warm.readFolders == 0 && warm.cachedFolders == 3)
        #expect(warm.registry.commands.map(\.name).sorted() == cold.registry.commands.map(\.name).sorted())
        #expect(warm.registry.skills.map(\.item.description) == cold.registry.skills.map(\.item.description))
        #expect(warm.registry.agents.filter { $0.provenance.source != .module }.map(\.name) == ["helper"])

        // A command file changes in the plugin: only that folder is read again, and the change is there.
        try Data("---\ndescription: Go elsewhere\n---\nGo $ARGUMENTS now\n".utf8)
            .write(to: URL(fileURLWithPath: outcome.installPath + "/commands/go.md"))
        let changed = try f.host.compose()
        #expect(changed.readFolders == 1 && changed.cachedFolders == 2)
        #expect(changed.registry.commands.first { $0.name == "delta:go" }?.item.description == "Go elsewhere")

        // A user command disappears; a project agent appears.
        try FileManager.default.removeItem(atPath: f.root.appendingPathComponent("home/commands/mine.md").path)
        try f.write("project/.qoder/agents/other.md", "---\nname: other\ndescription: Other.\n---\nO.\n")
        let moved = try f.host.compose()
        #expect(!moved.registry.commands.contains { $0.name == "mine" })
        #expect(moved.registry.agents.filter { $0.provenance.source != .module }.map(\.name).sorted() == ["helper", "other"])
        #expect(try f.host.compose().readFolders == 0)
    }
}

@Suite struct CacheInputsTests {
    @Test func aManifestOrHooksFileAppearingInAnExistingFolderIsSeen() throws {
        let f = try HostFixture()
        try f.write("src/eps/.claude-plugin/plugin.json", #"{"name": "eps", "version": "1.0.0", "description": "claude"}"#)
        try f.write("src/eps/commands/go.md", "Go.\n")
        try f.write("src/eps/hooks/README.md", "hooks come later\n")
        let outcome = try f.host.install(from: f.root.appendingPathComponent("src/eps").path, scope: .user)
        let root = outcome.installPath
        try FileManager.default.createDirectory(atPath: root + "/.qoder-plugin", withIntermediateDirectories: true)
        _ = try f.host.listings()
        #expect(try f.host.listings()[0].bundle == nil)

        // .qoder-plugin/plugin.json wins over .claude-plugin/plugin.json once it exists.
        try Data(#"{"name": "eps", "version": "1.0.0", "description": "qoder"}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/.qoder-plugin/plugin.json"))
        let after = try f.host.listings()
        #expect(after[0].bundle != nil && after[0].summary.description == "qoder")

        // hooks/hooks.json created in the existing hooks folder.
        _ = try f.host.listings()
        try Data(#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/hooks/hooks.json"))
        #expect(try f.host.listings()[0].summary.textLines.contains("  Hooks (1): Stop"))
    }
}

@Suite struct ListingDateTests {
    /// The hand-written date of `plugins list --json` is Foundation's ISO 8601 with milliseconds, to the byte.
    @Test func listingDatesAreFoundationsISO8601() {
        let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        var milliseconds: [Int64] = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999,
                                     4_102_444_800_000, 1_795_000_000_123, 253_402_300_799_999, -1, -86_400_001]
        for _ in 0..<2000 { milliseconds.append(Int64.random(in: 0...4_102_444_800_000, using: &generator)) }
        for ms in milliseconds {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            #expect(PluginHost.PluginListing.date(date) == foundation.format(date), "\(ms) ms")
        }
        // Times that are not whole milliseconds (Foundation truncates the fraction as it held it since 2001).
        for _ in 0..<2000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator))
            #expect(PluginHost.PluginListing.date(date) == foundation.format(date), "\(date.timeIntervalSince1970)")
        }
        let now = Date()
        #expect(PluginHost.PluginListing.date(now) == foundation.format(now))
    }
}
