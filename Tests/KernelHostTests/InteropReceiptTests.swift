import Foundation
import Testing
import KernelCore
import KernelHost
import KernelStore
import KernelTestSupport

/// The store follows `installed_plugins_v2.json`: adoption with the tree's sha256, updates, removals.
@Suite struct InteropReceiptTests {
    static func entry(_ f: HostFixture, _ installPath: String, version: String = "1.0.0", scope: String = "user") -> String {
        let project = scope == "user" ? "" : #""projectPath": "\#(f.host.paths.project)", "#
        return #"{"version": 2, "plugins": {"demo@local": [{"scope": "\#(scope)", \#(project)"installPath": "\#(installPath)", "version": "\#(version)", "installedAt": "2026-12-01T21:39:11.903Z"}]}}"#
    }

    @Test func adoptsAnInstallRecordedOnlyInTheFile() throws {
        let f = try HostFixture()
        let src = try f.makePlugin("demo")
        let installPath = f.host.paths.installDir(marketplace: "local", name: "demo", version: "1.0.0")
        try FileManager.default.createDirectory(atPath: (installPath as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: src, toPath: installPath)
        try f.write("home/plugins/installed_plugins_v2.json", Self.entry(f, installPath, scope: "project"))

        let (receipts, diagnostics) = try f.host.installedHere()
        #expect(diagnostics.isEmpty)
        try #require(receipts.count == 1)
        let stored = try #require(try f.host.store.receipt(id: "demo@local", scope: .project, projectPath: f.host.paths.project))
        #expect(stored.sha256 == (try TreeHash.sha256(ofDirectory: installPath)))
        #expect(stored.source.contains("adopted"))
        #expect(abs(stored.installedAt.timeIntervalSince1970 - 1_796_161_151.903) < 0.0005)

        // The file changes version (the other tool updated it): the receipt follows, hashed again.
        try f.write("home/plugins/installed_plugins_v2.json", Self.entry(f, installPath, version: "1.1.0", scope: "project"))
        #expect(try f.host.installed().map(\.version) == ["1.1.0"])
        #expect(try f.host.store.receipts().map(\.version) == ["1.1.0"])

        // A missing folder is reported, not listed.
        try f.write("home/plugins/installed_plugins_v2.json", Self.entry(f, "/nonexistent/demo"))
        let (none, reported) = try f.host.installedHere()
        #expect(none.isEmpty)
        #expect(reported.map(\.message) == ["demo@local (user) is recorded at /nonexistent/demo, which is not a folder; not listed"])
        #expect(try f.host.store.receipts().isEmpty)
    }

    @Test func receiptsFromBeforeTheFileAreExportedToIt() throws {
        let f = try HostFixture()
        try f.host.install(from: try f.makePlugin("demo"), scope: .user)
        let file = f.host.paths.installedPluginsFile
        try FileManager.default.removeItem(atPath: file)
        #expect(try f.host.installed().count == 1)
        let contents = try #require(try InstalledPluginsFile.read(file))
        #expect(contents.entries.map(\.id) == ["demo@local"])
    }

    /// A reconcile that finds the file and the receipts in agreement stamps the file's stat fields: the next one
    /// with the same file and the same receipts does not parse it; any change to either is reconciled again.
    @Test func anAgreedFileIsNotParsedAgainUntilItChanges() throws {
        let f = try HostFixture()
        try f.host.install(from: try f.makePlugin("demo"), scope: .user)
        let file = f.host.paths.installedPluginsFile
        #expect(try f.host.installedHere().receipts.map(\.id) == ["demo@local"])

        // Same size, same inode, same mtime, other bytes: served from the stamp, so not read (and not reported).
        let size = try #require(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        try overwriteKeepingStat(file, with: [UInt8](repeating: UInt8(ascii: " "), count: size))
        let (stamped, quiet) = try f.host.installedHere()
        #expect(stamped.map(\.id) == ["demo@local"])
        #expect(quiet.isEmpty)

        // The other tool uninstalls it (a new file): noticed at once.
        try f.write("home/plugins/installed_plugins_v2.json", #"{"version": 2, "plugins": {}}"#)
        #expect(try f.host.installedHere().receipts.isEmpty)
        #expect(try f.host.store.receipts().isEmpty)

        // A receipt changed behind the file's back (no file write): the digest differs, so the file is read again.
        try f.host.install(from: try f.makePlugin("demo"), scope: .user)
        #expect(try f.host.installedHere().receipts.count == 1)
        var receipt = try #require(try f.host.store.receipts().first)
        receipt.version = "9.9.9"
        try f.host.store.upsertReceipt(receipt)
        let (followed, _) = try f.host.installedHere()
        #expect(followed.map(\.version) == ["1.0.0"])
    }
}
