import Foundation
import Testing
import KernelCore

/// `known_marketplaces.json` and `installed_plugins_v2.json` as the Qoder CLI writes them.
@Suite struct InteropFilesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/qoder-cli")

    @Test func knownMarketplacesRoundTrip() throws {
        let dir = try TempDirectory()
        let captured = try String(contentsOf: Self.fixtures.appendingPathComponent("known_marketplaces.json"), encoding: .utf8)
        let path = try dir.write("known_marketplaces.json", captured)
        let contents = try KnownMarketplacesFile.read(path)
        #expect(contents.diagnostics.isEmpty)
        let demo = try #require(contents.marketplaces.first)
        #expect(demo.name == "demo-mkt")
        #expect(demo.source == .object([("source", "directory"), ("path", "/tmp/parity-mkt")]))
        #expect(demo.installLocation == "/tmp/qref-home/.qoder/plugins/marketplaces/demo-mkt")
        #expect(demo.autoUpdate)

        // Writing the same entry back changes nothing; the entry's JSON is the reference's text.
        try KnownMarketplacesFile.record(demo, in: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == captured)

        var other = demo
        other.name = "other"
        try KnownMarketplacesFile.record(other, in: path)
        #expect(try KnownMarketplacesFile.read(path).marketplaces.map(\.name) == ["demo-mkt", "other"])
        try KnownMarketplacesFile.remove("other", in: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == captured)
    }

    @Test func knownMarketplacesBadEntriesAndFiles() throws {
        let dir = try TempDirectory()
        let path = try dir.write("k.json", #"{"a": {"source": "x"}, "b": {"source": {"source": "github", "repo": "o/r"}, "installLocation": "/m/b"}}"#)
        let contents = try KnownMarketplacesFile.read(path)
        #expect(contents.marketplaces.map(\.name) == ["b"])
        #expect(contents.diagnostics.map(\.description) == ["\(path):1:7: warning: marketplace 'a' needs a source object and an installLocation; ignored"])
        let broken = try dir.write("broken.json", "[1,")
        #expect(throws: SettingsError.self) { try KnownMarketplacesFile.read(broken) }
        #expect(throws: SettingsError.self) { try KnownMarketplacesFile.record(contents.marketplaces[0], in: broken) }
        #expect(try String(contentsOfFile: broken, encoding: .utf8) == "[1,")
    }

    @Test func installedPluginsReadsTheCapturedFile() throws {
        let path = Self.fixtures.appendingPathComponent("installed-three-scopes.json").path
        let contents = try #require(try InstalledPluginsFile.read(path))
        #expect(contents.diagnostics.isEmpty)
        #expect(contents.entries.map(\.scope) == [.user, .project, .local])
        #expect(contents.entries.map(\.projectPath) == [nil, "/tmp/qref-project", "/tmp/qref-project"])
        #expect(Set(contents.entries.map(\.installPath)) == ["/tmp/qref-home/.qoder/plugins/cache/local/hello-world/1.0.0"])
    }

    @Test func installedPluginsSkipsBadEntriesWithTheirPosition() throws {
        let dir = try TempDirectory()
        let path = try dir.write("i.json", """
            {"version": 2, "plugins": {"noat": [], "a@m": [{"scope": "global", "installPath": "/x"},
            {"scope": "project", "installPath": "/x"}, {"scope": "user", "installPath": "/x", "version": "2", "extra": 1}]}}
            """)
        let contents = try #require(try InstalledPluginsFile.read(path))
        #expect(contents.entries.map(\.id) == ["a@m"])
        #expect(contents.diagnostics.map(\.description) == [
            "\(path):1:28: warning: plugin id 'noat' is not name@marketplace; entry ignored",
            "\(path):1:48: warning: install of 'a@m' has no scope user, project or local; ignored",
            "\(path):2:1: warning: project install of 'a@m' has no absolute projectPath; ignored",
        ])
        // Replacing the user entry keeps its unknown key.
        try InstalledPluginsFile.record(InstalledPluginEntry(id: "a@m", scope: .user, projectPath: nil, installPath: "/y",
                                                             version: "3", installedAt: nil), in: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#"{"scope":"user","installPath":"/y","version":"3","extra":1}"#), "\(text)")
    }
}
