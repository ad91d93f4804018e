import Foundation
import Testing

/// Sharing `~/.qoder` with the Qoder CLI: `installed_plugins_v2.json` and `enabledPlugins` as the reference host
/// writes them (fixtures captured from qodercli 1.1.76, `Tests/Fixtures/qoder-cli`).
@Suite struct InteropTests {
    static let fixtures = TestPaths.repoRoot.appendingPathComponent("Tests/Fixtures/qoder-cli")

    /// A fixture with the capture's home and project replaced by the sandbox's.
    static func fixture(_ name: String, _ box: Sandbox) throws -> String {
        let text = try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
        return text.replacingOccurrences(of: "/tmp/qref-home/.qoder", with: box.home)
            .replacingOccurrences(of: "/tmp/qref-project", with: box.project)
    }

    static func installedFile(_ box: Sandbox) -> String { box.home + "/plugins/installed_plugins_v2.json" }

    /// The text with every `installedAt` value replaced, and no trailing whitespace.
    static func withoutDates(_ text: String) -> String {
        let pattern = /"installedAt": "[0-9T:.Z-]+"/
        return text.replacing(pattern, with: #""installedAt": "…""#)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Puts `Plugins/hello-world` where the reference host installed it, with its file and settings.
    static func referenceInstall(_ box: Sandbox, installed: String = "installed-user.json",
                                 settings: String = "settings-user-enabled.json") throws {
        let cache = box.cacheDir("hello-world", "1.0.0")
        try FileManager.default.createDirectory(atPath: (cache as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path,
                                         toPath: cache)
        try write(installedFile(box), try fixture(installed, box))
        try write(box.settingsPath(.user), try fixture(settings, box))
    }

    @Test func installWritesTheEntryTheReferenceWrites() async throws {
        let box = try Sandbox()
        let src = TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path
        try await box.ok(["plugins", "install", src])
        let written = try #require(read(Self.installedFile(box)))
        #expect(Self.withoutDates(written) == Self.withoutDates(try Self.fixture("installed-user.json", box)))
        #expect(read(box.settingsPath(.user))?.trimmingCharacters(in: .whitespacesAndNewlines)
                == (try Self.fixture("settings-user-enabled.json", box)))
        let date = try #require(written.firstMatch(of: /"installedAt": "([^"]+)"/)?.1)
        #expect(date.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    }

    @Test func threeScopesAsTheReferenceRecordsThem() async throws {
        let box = try Sandbox()
        let src = TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path
        for scope in ["user", "project", "local"] { try await box.ok(["plugins", "install", src, "-s", scope]) }
        let ours = try parseJSON(Self.withoutDates(try #require(read(Self.installedFile(box)))))
        let reference = try parseJSON(Self.withoutDates(try Self.fixture("installed-three-scopes.json", box)))
        #expect(NSDictionary(dictionary: ours) == NSDictionary(dictionary: reference))

        // Uninstalling one scope removes only its entry; the last one leaves `"plugins": {}`.
        try await box.ok(["plugins", "uninstall", "hello-world", "-s", "local"])
        let afterLocal = try parseJSON(try #require(read(Self.installedFile(box))))
        let entries = try #require((afterLocal["plugins"] as? [String: Any])?["hello-world@local"] as? [[String: Any]])
        #expect(entries.map { $0["scope"] as? String } == ["user", "project"])
        try await box.ok(["plugins", "uninstall", "hello-world", "-s", "project"])
        try await box.ok(["plugins", "uninstall", "hello-world", "-s", "user"])
        #expect(read(Self.installedFile(box))?.trimmingCharacters(in: .whitespacesAndNewlines)
                == "{\n  \"version\": 2,\n  \"plugins\": {}\n}")
    }

    @Test func pluginInstalledByTheReferenceIsListedComposedAndUninstallable() async throws {
        let box = try Sandbox()
        try Self.referenceInstall(box)
        let rows = try await box.list()
        try #require(rows.count == 1)
        #expect(rows[0]["id"] as? String == "hello-world@local")
        #expect(rows[0]["scope"] as? String == "user")
        #expect(rows[0]["enabled"] as? Bool == true)
        #expect(rows[0]["installPath"] as? String == box.cacheDir("hello-world", "1.0.0"))
        #expect(rows[0]["installedAt"] as? String == "2026-12-01T21:54:03.723Z")
        let skills = try await box.listing(["skills", "list"])
        #expect(skills.contains { $0["name"] as? String == "hello-world:greet" && $0["state"] as? String == "active" })

        try await box.ok(["plugins", "uninstall", "hello-world"])
        #expect(try await box.list().isEmpty)
        #expect(!exists(box.cacheDir("hello-world", "1.0.0")))
        #expect(try box.enabledPlugins(.user) == [:])
        let file = try parseJSON(try #require(read(Self.installedFile(box))))
        #expect((file["plugins"] as? [String: Any])?.isEmpty == true)
    }

    @Test func disabledOrUninstalledByTheReferenceIsSeenSo() async throws {
        let box = try Sandbox()
        try Self.referenceInstall(box, settings: "settings-user-disabled.json")
        let rows = try await box.list()
        #expect(rows.map { $0["enabled"] as? Bool } == [false])
        let skills = try await box.listing(["skills", "list"])
        #expect(skills.first { $0["name"] as? String == "hello-world:greet" }?["state"] as? String == "inactive")

        // The reference removes the entry on uninstall: the receipt goes with it.
        try write(Self.installedFile(box), "{\n  \"version\": 2,\n  \"plugins\": {}\n}")
        #expect(try await box.list().isEmpty)
        let r = try await box.run(["plugins", "uninstall", "hello-world"])
        #expect(r.status == 1)
    }

    @Test func kernelInstallIsReadByTheReferenceLayout() async throws {
        // What the Qoder CLI reads back: one array per id, one entry per scope; a reinstall replaces the entry.
        let box = try Sandbox()
        let src = TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path
        try await box.ok(["plugins", "install", src])
        try await box.ok(["plugins", "install", src])
        let file = try parseJSON(try #require(read(Self.installedFile(box))))
        let entries = try #require((file["plugins"] as? [String: Any])?["hello-world@local"] as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(file["version"] as? Int == 2)
    }

    @Test(arguments: [
        (#"{"version": 2, "plugins": {"#, "1:28", "unexpected end"),
        (#"{"version": 3, "plugins": {}}"#, "1:13", "version 3 is not supported"),
        (#"{"plugins": {}}"#, "1:1", "no \"version\""),
    ])
    func corruptOrForeignFileIsReportedAndNeverWritten(_ text: String, _ position: String, _ message: String) async throws {
        let box = try Sandbox()
        let path = Self.installedFile(box)
        try write(path, text)
        let src = TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path
        let install = try await box.run(["plugins", "install", src])
        #expect(install.status == 1)
        #expect(install.stderr.contains("\(path):\(position): "), "\(install.stderr)")
        #expect(install.stderr.contains(message), "\(install.stderr)")
        #expect(read(path) == text)
        #expect(!exists(box.cacheDir("hello-world", "1.0.0")))

        let list = try await box.run(["plugins", "list", "--json"])
        #expect(list.status == 0)
        #expect(list.stderr.contains("\(path):\(position): warning: "), "\(list.stderr)")
        #expect(read(path) == text)
    }
}

/// Bundles the hosts load: listed as they list them.
@Suite struct HostLeniencyListingTests {
    @Test func mcpServerWithAPlaceholderURLIsListedAsNeedingConfiguration() async throws {
        let box = try Sandbox()
        let src = try box.makePlugin("remote", files: [
            "mcp.json": #"{"mcpServers": {"api": {"type": "http", "url": "{{USER_CONFIG}}"}, "ok": {"type": "ws", "url": "wss://example.com"}}}"#,
        ])
        try await box.ok(["plugins", "install", src])
        let rows = try await box.listing(["mcp", "list"])
        #expect(rows.map { $0["name"] as? String } == ["remote:api", "remote:ok"])
        #expect(rows.map { $0["state"] as? String } == ["inactive", "active"])
        #expect(rows.first?["reason"] as? String == "needs configuration: 'url' is the placeholder {{USER_CONFIG}}")
    }
}
