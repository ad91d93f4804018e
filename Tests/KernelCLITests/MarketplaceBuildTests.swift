import Foundation
import KernelCore
import KernelFetch
import KernelNet
import KernelStore
import KernelTestSupport
import Testing

@Suite("kernel plugins marketplace build")
struct MarketplaceBuildTests {
    /// A plugins folder with a copy of hello-world and a second small plugin (an executable, a nested folder).
    static func sources(_ dir: TempDir) throws -> String {
        let root = try dir.mkdir("src")
        try FileManager.default.copyItem(atPath: TestPaths.repoRoot.appendingPathComponent("Plugins/hello-world").path,
                                         toPath: root + "/hello-world")
        try dir.write("src/tools/.claude-plugin/plugin.json", #"{"name": "tools", "description": "Small tools"}"#)
        try dir.write("src/tools/commands/deep/nested.md", "---\ndescription: nested\n---\nDo it.\n")
        try dir.write("src/tools/bin/tool", "#!/bin/sh\necho tool\n", executable: true)
        try dir.write("src/notes.txt", "not a plugin")  // ignored: not a plugin folder
        return root
    }

    static func files(under root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: root)
        while let relative = e?.nextObject() as? String {
            let path = root + "/" + relative
            if FileSystem.isFile(path) { out[relative] = try Data(contentsOf: URL(fileURLWithPath: path)) }
        }
        return out
    }

    @Test func twoBuildsAreIdenticalByteForByte() async throws {
        let dir = try TempDir()
        let src = try Self.sources(dir)
        let first = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("one"), "--base-url", "https://cdn.example/m/", "--json"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        // Touch every file (new mtimes) and change permissions that the archive normalises.
        let later = Date().addingTimeInterval(3600)
        for (relative, _) in try Self.files(under: src) {
            try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: src + "/" + relative)
        }
        chmod(src + "/tools/commands/deep/nested.md", 0o600)
        let second = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("two"), "--base-url", "https://cdn.example/m"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let one = try Self.files(under: dir.url("one")), two = try Self.files(under: dir.url("two"))
        // tools has no version: its archive is named by the first 12 hex digits of its sha256.
        let toolsSHA = try #require(try Self.sha(of: dir.url("one/plugins"), prefix: "tools-"))
        #expect(one.keys.sorted() == ["marketplace.json", "plugins/hello-world-1.0.0.tar.gz", "plugins/tools-\(toolsSHA.prefix(12)).tar.gz"])
        #expect(one == two)

        let report = try JSONReader.parse(first.stdout).root
        let plugins = try #require(report["plugins"]?.array)
        #expect(plugins.map { $0["name"]?.string } == ["hello-world", "tools"])
        #expect(plugins[0]["url"]?.string == "https://cdn.example/m/plugins/hello-world-1.0.0.tar.gz")
        let manifest = try JSONReader.parse(try dir.read("one/marketplace.json")).root
        let entry = try #require(manifest["plugins"]?.array?.first)
        #expect(entry["source"]?["source"]?.string == "archive")
        #expect(entry["source"]?["sha256"]?.string == SHA256.hash(one["plugins/hello-world-1.0.0.tar.gz"]!).hex)
        // The written marketplace is valid.
        let validate = try await kernel(["plugins", "validate", dir.url("one")])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    }

    static func sha(of folder: String, prefix: String) throws -> String? {
        let name = try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix(prefix) }
        return try name.map { SHA256.hash(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))).hex }
    }

    @Test func anInvalidPluginRefusesTheBuildAndNothingIsWritten() async throws {
        let dir = try TempDir()
        let src = try Self.sources(dir)
        try dir.write("src/broken/.qoder-plugin/plugin.json", #"{"name": "broken", "version": 12}"#)
        try dir.write("src/broken/commands/x.md", "x")
        let run = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("out")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("broken/.qoder-plugin/plugin.json:1:"))
        #expect(run.stderr.contains("nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: dir.url("out")))

        let json = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("out"), "--json"])
        let error = try JSONReader.parse(json.stdout).root
        #expect(error["code"]?.string == "invalid_bundle")
        #expect(error["diagnostics"]?.array?.isEmpty == false)
    }

    @Test func aFolderOfOtherFilesIsNotReplacedButAnEarlierBuildIs() async throws {
        let dir = try TempDir()
        let src = try Self.sources(dir)
        try dir.write("mine/keep.txt", "mine")
        let refused = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("mine")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("holds files and no marketplace.json"))
        #expect(try dir.read("mine/keep.txt") == "mine")

        #expect(try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("out")]).status == 0)
        try FileManager.default.removeItem(atPath: src + "/tools")
        let again = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("out")])
        #expect(again.status == 0)
        #expect(try Self.files(under: dir.url("out")).keys.sorted() == ["marketplace.json", "plugins/hello-world-1.0.0.tar.gz"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["mine", "out", "src"])  // no staging left
    }

    @Test func aLinkInAPluginIsRefused() async throws {
        let dir = try TempDir()
        let src = try Self.sources(dir)
        try FileManager.default.createSymbolicLink(atPath: src + "/tools/commands/link.md", withDestinationPath: "/etc/passwd")
        let run = try await kernel(["plugins", "marketplace", "build", src, "--out", dir.url("out")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("link.md") && run.stderr.contains("symbolic link"))
        #expect(!FileManager.default.fileExists(atPath: dir.url("out")))
    }

    @Test func aBuiltMarketplaceServedOverHTTPRoundTripsThroughFetchArchive() async throws {
        let dir = try TempDir()
        let src = try Self.sources(dir)
        let out = dir.url("site")
        let server = try LoopbackServer(routes: [
            "/m/marketplace.json": { _ in .init(body: Array((try? Data(contentsOf: URL(fileURLWithPath: out + "/marketplace.json"))) ?? Data())) },
            "/m/plugins/hello-world-1.0.0.tar.gz": { _ in
                .init(body: Array((try? Data(contentsOf: URL(fileURLWithPath: out + "/plugins/hello-world-1.0.0.tar.gz"))) ?? Data()))
            },
        ])
        let build = try await kernel(["plugins", "marketplace", "build", src, "--out", out, "--base-url", server.url("/m"), "--json"])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        // What a consumer does: read marketplace.json over HTTP, fetch the entry's archive pinned to its sha256.
        let listing = try JSONReader.parse(try await HTTPClient.send(HTTPRequest(url: server.url("/m/marketplace.json"))).body).root
        let entry = try #require(listing["plugins"]?.array?.first { $0["name"]?.string == "hello-world" })
        let url = try #require(entry["source"]?["url"]?.string)
        let sha = try #require(entry["source"]?["sha256"]?.string)
        try dir.mkdir("stage")
        let tree = try await PluginFetch.fetchArchive(url: url, sha256: sha, headers: [:], stagingParent: dir.fileURL.appendingPathComponent("stage"),
                                                      limits: .default)
        #expect(tree.contentHash == "sha256:" + sha)
        #expect(try TreeHash.sha256(ofDirectory: tree.directory.path) == TreeHash.sha256(ofDirectory: src + "/hello-world"))
        let validate = try await kernel(["plugins", "validate", tree.directory.path])
        #expect(validate.status == 0)
    }
}

@Suite("kernel plugins marketplace build, then add and install")
struct MarketplaceBuildInstallTests {
    @Test func aBuildWithoutABaseURLInstallsByNameOnThisMachine() async throws {
        let sandbox = try Sandbox()
        let src = try MarketplaceBuildTests.sources(sandbox.sourcesDir)
        let out = sandbox.sourcesDir.url("site")
        try await sandbox.ok(["plugins", "marketplace", "build", src, "--out", out, "--name", "built"])
        let manifest = try JSONReader.parse(try sandbox.sourcesDir.read("site/marketplace.json")).root
        #expect(manifest["plugins"]?.array?.first?["source"]?["url"]?.string?.hasPrefix("file://") == true)
        try await sandbox.ok(["plugins", "marketplace", "add", out])
        try await sandbox.ok(["plugins", "install", "hello-world@built"])
        let list = try await sandbox.ok(["plugins", "list", "--json"])
        #expect(list.contains("hello-world@built"))
    }
}
