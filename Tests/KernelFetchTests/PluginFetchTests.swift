import Foundation
import KernelCore
import KernelFetch
import KernelStore
import KernelTestSupport
import Testing

private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

private func sriSHA512(_ data: [UInt8]) -> String { "sha512-" + Data(SHA512.hash(data)).base64EncodedString() }

/// What `stagingParent` holds besides the given names (nothing must be left behind by a failure).
private func leftovers(_ dir: TemporaryDirectory, _ sub: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.url(sub))
}

@Suite("PluginFetch.fetchArchive over loopback HTTP")
struct FetchArchiveTests {
    @Test func downloadsVerifiesAndUnpacks() async throws {
        let dir = try TemporaryDirectory()
        let zip = try bytes(await ArchiveFixture.zip(dir, "p.zip", [("plugin-main/.qoder-plugin/plugin.json", #"{"name": "p"}"#),
                                                               ("plugin-main/commands/hi.md", "hi")]))
        let server = try LoopbackServer(routes: ["/p.zip": { _ in .init(body: zip) }])
        try dir.mkdir("stage")
        let digest = SHA256.hash(zip).hex
        let tree = try await PluginFetch.fetchArchive(url: server.url("/p.zip"), sha256: digest, headers: [:],
                                                      stagingParent: dir.fileURL.appendingPathComponent("stage"), limits: .default)
        #expect(tree.contentHash == "sha256:" + digest)
        #expect(tree.resolvedVersion == nil)
        // The single top folder (GitHub's `repo-main/` style) is the tree.
        #expect(try String(contentsOf: tree.directory.appendingPathComponent("commands/hi.md"), encoding: .utf8) == "hi")
        #expect(tree.directory.deletingLastPathComponent().standardizedFileURL.path == dir.url("stage"))
        #expect(try leftovers(dir, "stage") == [tree.directory.lastPathComponent])
    }

    @Test func aSha256MismatchLeavesNoFileBehind() async throws {
        let dir = try TemporaryDirectory()
        let tgz = try bytes(await ArchiveFixture.tarGz(dir, "p.tgz", [("a.txt", "a")]))
        let server = try LoopbackServer(routes: ["/p.tgz": { _ in .init(body: tgz) }])
        try dir.mkdir("stage")
        let error = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: server.url("/p.tgz"), sha256: String(repeating: "0", count: 64),
                                               headers: [:], stagingParent: dir.fileURL.appendingPathComponent("stage"), limits: .default)
        }
        #expect(error?.code == .integrity)
        #expect(error?.message.contains("sha256 mismatch: expected 0000") == true)
        #expect(error?.message.contains(SHA256.hash(tgz).hex) == true)
        #expect(try leftovers(dir, "stage").isEmpty)
    }

    @Test func headersExpandFromTheEnvironmentAndAnUnsetOneFails() async throws {
        let dir = try TemporaryDirectory()
        let zip = try bytes(await ArchiveFixture.zip(dir, "p.zip", [("a.txt", "a")]))
        let server = try LoopbackServer(routes: ["/p.zip": { request in
            request.header("Authorization") == "Bearer \(ProcessInfo.processInfo.environment["HOME"] ?? "")"
                ? .init(body: zip) : .text("no", status: 401)
        }])
        try dir.mkdir("stage")
        let stage = dir.fileURL.appendingPathComponent("stage")
        _ = try await PluginFetch.fetchArchive(url: server.url("/p.zip"), sha256: nil, headers: ["Authorization": "Bearer ${HOME}"],
                                               stagingParent: stage, limits: .default)
        let unset = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: server.url("/p.zip"), sha256: nil,
                                               headers: ["Authorization": "Bearer ${KERNEL_TEST_SURELY_UNSET_TOKEN}"],
                                               stagingParent: stage, limits: .default)
        }
        #expect(unset?.message.contains("${KERNEL_TEST_SURELY_UNSET_TOKEN}") == true)
        #expect(server.requests.count == 1)  // The unset variable failed before any request.
        let denied = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: server.url("/p.zip"), sha256: nil, headers: [:], stagingParent: stage, limits: .default)
        }
        #expect(denied?.code == .fetch)
        #expect(denied?.message.contains("HTTP 401") == true)
    }

    @Test func tooLargeUnreachableAndHostileFailClearly() async throws {
        let dir = try TemporaryDirectory()
        try dir.mkdir("stage")
        let stage = dir.fileURL.appendingPathComponent("stage")
        let evil = try bytes(await ArchiveFixture.zip(dir, "evil.zip", [("../evil", "x")]))
        let server = try LoopbackServer(routes: ["/big": { _ in .huge(4096) }, "/evil.zip": { _ in .init(body: evil) }])
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = 1024
        let big = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: server.url("/big"), sha256: nil, headers: [:], stagingParent: stage, limits: limits)
        }
        #expect(big?.code == .fetch)
        #expect(big?.message.contains("larger than the limit of 1024 bytes") == true)
        let refused = try LoopbackServer.unusedPort()
        let unreachable = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: "http://127.0.0.1:\(refused)/p.zip", sha256: nil, headers: [:],
                                               stagingParent: stage, limits: .default)
        }
        #expect(unreachable?.code == .fetch)
        let hostile = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchArchive(url: server.url("/evil.zip"), sha256: nil, headers: [:], stagingParent: stage, limits: .default)
        }
        #expect(hostile?.code == .archive)
        #expect(hostile?.message.contains("entry '../evil'") == true)
        #expect(try leftovers(dir, "stage").isEmpty)
    }

    @Test func fileURLsWork() async throws {
        let dir = try TemporaryDirectory()
        let path = try await ArchiveFixture.tarGz(dir, "p.tar.gz", [("x/a.txt", "a"), ("y.txt", "y")])
        try dir.mkdir("stage")
        let tree = try await PluginFetch.fetchArchive(url: "file://" + path, sha256: "sha256:" + SHA256.hash(try bytes(path)).hex,
                                                      headers: [:], stagingParent: dir.fileURL.appendingPathComponent("stage"),
                                                      limits: .default)
        #expect(FileManager.default.fileExists(atPath: tree.directory.appendingPathComponent("x/a.txt").path))
        #expect(FileManager.default.fileExists(atPath: tree.directory.appendingPathComponent("y.txt").path))
    }
}

/// An npm-registry-shaped server: a packument at `/<name>` (scoped names as `/@scope%2fname`) and tarballs.
private final class FakeRegistry: Sendable {
    let server: LoopbackServer

    init(package: String, versions: [String: [UInt8]], latest: String, tags: [String: String] = [:],
         integrity: (@Sendable (String, [UInt8]) -> String?)? = nil) throws {
        let encoded = package.replacingOccurrences(of: "/", with: "%2f")
        let box = Box()
        var routes: [String: LoopbackServer.Route] = [:]
        for (version, tarball) in versions {
            routes["/tarballs/\(version).tgz"] = { _ in .init(body: tarball) }
        }
        routes["/\(encoded)"] = { _ in
            var versionObjects: [String: Any] = [:]
            for (version, tarball) in versions {
                var dist: [String: Any] = ["tarball": "\(box.base)/tarballs/\(version).tgz", "shasum": "unused"]
                if let value = integrity.map({ $0(version, tarball) }) ?? sriSHA512(tarball) { dist["integrity"] = value }
                versionObjects[version] = ["name": package, "version": version, "dist": dist]
            }
            var allTags = tags
            allTags["latest"] = latest
            let document: [String: Any] = ["name": package, "dist-tags": allTags, "versions": versionObjects]
            return .init(headers: [("Content-Type", "application/json")],
                         body: Array(try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])))
        }
        server = try LoopbackServer(routes: routes)
        box.base = server.baseURL
    }

    final class Box: @unchecked Sendable { var base = "" }
}

@Suite("PluginFetch.fetchNpm against a registry-shaped loopback server")
struct FetchNpmTests {
    static func tarball(_ dir: TemporaryDirectory, _ version: String) async throws -> [UInt8] {
        try bytes(await ArchiveFixture.tarGz(dir, "pkg-\(version).tgz", [
            ("package/package.json", #"{"name": "@acme/tool", "version": "\#(version)"}"#),
            ("package/.claude-plugin/plugin.json", #"{"name": "tool", "version": "\#(version)"}"#),
        ]))
    }

    @Test func resolvesLatestARangeATagAndAnExactVersion() async throws {
        let dir = try TemporaryDirectory()
        var versions: [String: [UInt8]] = [:]
        for v in ["1.0.0", "1.2.0", "1.9.3", "2.0.0", "2.1.0-beta.1"] { versions[v] = try await Self.tarball(dir, v) }
        let registry = try FakeRegistry(package: "@acme/tool", versions: versions, latest: "2.0.0", tags: ["next": "2.1.0-beta.1"])
        try dir.mkdir("stage")
        let stage = dir.fileURL.appendingPathComponent("stage")
        for (asked, expected) in [(nil, "2.0.0"), ("^1.2", "1.9.3"), ("~1.2.0", "1.2.0"), ("next", "2.1.0-beta.1"),
                                   ("1.0.0", "1.0.0"), (">=1.1 <2", "1.9.3"), ("1.x || >=2.1.0-beta", "2.1.0-beta.1")] as [(String?, String)] {
            let tree = try await PluginFetch.fetchNpm(package: "@acme/tool", version: asked, registry: registry.server.baseURL + "/",
                                                      stagingParent: stage)
            #expect(tree.resolvedVersion == expected, "\(asked ?? "nil")")
            #expect(tree.contentHash == "sha256:" + SHA256.hash(versions[expected]!).hex)
            // The tarball's `package/` folder is the tree.
            let manifest = try String(contentsOf: tree.directory.appendingPathComponent(".claude-plugin/plugin.json"), encoding: .utf8)
            #expect(manifest.contains(expected))
            try FileManager.default.removeItem(at: tree.directory)
        }
        #expect(registry.server.requests.first?.path == "/@acme%2ftool")
        #expect(registry.server.requests.first?.header("Accept")?.contains("application/vnd.npm.install-v1+json") == true)
        let none = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchNpm(package: "@acme/tool", version: "^3", registry: registry.server.baseURL, stagingParent: stage)
        }
        #expect(none?.code == .fetch)
        #expect(none?.message.contains("no version of npm package '@acme/tool' matches '^3'") == true)
        #expect(try leftovers(dir, "stage").isEmpty)
    }

    @Test func anIntegrityMismatchLeavesNoFileBehind() async throws {
        let dir = try TemporaryDirectory()
        let good = try await Self.tarball(dir, "1.0.0")
        let registry = try FakeRegistry(package: "tool", versions: ["1.0.0": good], latest: "1.0.0",
                                        integrity: { _, _ in sriSHA512(Array("something else".utf8)) })
        try dir.mkdir("stage")
        let error = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchNpm(package: "tool", version: nil, registry: registry.server.baseURL,
                                           stagingParent: dir.fileURL.appendingPathComponent("stage"))
        }
        #expect(error?.code == .integrity)
        #expect(error?.message.contains("integrity mismatch") == true)
        #expect(try leftovers(dir, "stage").isEmpty)
    }

    @Test func noUsableIntegrityIsRefusedAndSha256SRIIsAccepted() async throws {
        let dir = try TemporaryDirectory()
        let good = try await Self.tarball(dir, "1.0.0")
        try dir.mkdir("stage")
        let stage = dir.fileURL.appendingPathComponent("stage")
        let sha1Only = try FakeRegistry(package: "tool", versions: ["1.0.0": good], latest: "1.0.0", integrity: { _, _ in nil })
        let error = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchNpm(package: "tool", version: nil, registry: sha1Only.server.baseURL, stagingParent: stage)
        }
        #expect(error?.code == .integrity)
        #expect(sha1Only.server.requests.count == 1)  // The tarball was never downloaded.
        let sha256 = try FakeRegistry(package: "tool", versions: ["1.0.0": good], latest: "1.0.0", integrity: { _, data in
            "sha1-AAAA sha256-" + Data(SHA256.hash(data).bytes).base64EncodedString()
        })
        let tree = try await PluginFetch.fetchNpm(package: "tool", version: "1.0.0", registry: sha256.server.baseURL, stagingParent: stage)
        #expect(tree.resolvedVersion == "1.0.0")
    }

    @Test func unknownPackagesBadNamesAndAnUnreachableRegistry() async throws {
        let dir = try TemporaryDirectory()
        try dir.mkdir("stage")
        let stage = dir.fileURL.appendingPathComponent("stage")
        let server = try LoopbackServer(routes: [:])
        let missing = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchNpm(package: "nope", version: nil, registry: server.baseURL, stagingParent: stage)
        }
        #expect(missing?.message.contains("HTTP 404") == true)
        for bad in ["../etc", "-rf", "a b", "@/x", "@s/x/y", ".hidden"] {
            let error = await #expect(throws: KernelError.self) {
                try await PluginFetch.fetchNpm(package: bad, version: nil, registry: server.baseURL, stagingParent: stage)
            }
            #expect(error?.code == .invalidInput, "\(bad)")
        }
        let refused = try LoopbackServer.unusedPort()
        let down = await #expect(throws: KernelError.self) {
            try await PluginFetch.fetchNpm(package: "tool", version: nil, registry: "http://127.0.0.1:\(refused)", stagingParent: stage)
        }
        #expect(down?.code == .fetch)
    }
}

@Suite("npm versions, ranges and SHA-512")
struct NpmVersionTests {
    @Test func rangesFollowNpm() throws {
        let versions = ["0.1.0", "0.1.5", "0.2.0", "1.0.0", "1.2.3", "1.2.9", "1.3.0", "2.0.0-rc.1", "2.0.0"].compactMap(SemanticVersion.init)
        let cases: [(String, String?)] = [
            ("^0.1.0", "0.1.5"), ("^1.2.3", "1.3.0"), ("~1.2.3", "1.2.9"), ("1.2.x", "1.2.9"), ("*", "2.0.0"),
            ("<1.0.0", "0.2.0"), ("1.0.0 - 1.2.3", "1.2.3"), (">2.0.0", nil), ("^2.0.0-rc.0", "2.0.0"),
            (">=2.0.0-rc.0 <2.0.0", "2.0.0-rc.1"), ("<2.0.0", "1.3.0"), ("0.1 || 1.2", "1.2.9"), ("=1.0.0", "1.0.0"),
            ("1", "1.3.0"), (">= 1.2.4", "2.0.0"), ("<=1.2", "1.2.9"),
        ]
        for (text, expected) in cases {
            let range = try #require(VersionRange(text), "\(text)")
            #expect(range.best(of: versions)?.description == expected, "\(text)")
        }
        #expect(VersionRange("not a range") == nil)
        #expect(SemanticVersion("1.0.0-alpha")! < SemanticVersion("1.0.0-alpha.1")!)
        #expect(SemanticVersion("1.0.0-alpha.1")! < SemanticVersion("1.0.0-beta")!)
        #expect(SemanticVersion("1.0.0-rc.1")! < SemanticVersion("1.0.0")!)
    }

    /// Several dependents' ranges: whether any version satisfies both (`VersionRange.intersects`).
    @Test func rangesIntersectWhenSomeVersionSatisfiesBoth() throws {
        let cases: [(String, String, Bool)] = [
            ("^1.2.0", ">=1.5 <3", true), ("^1.0.0", "^2.0.0", false), ("~2.1.0", "^2.1.3", true),
            ("~2.1.0", ">=2.2.0", false), ("1.x", "1.4.2", true), ("1.x", "2.0.0", false), ("*", "0.0.1", true),
            ("<1.0.0", ">=1.0.0", false), ("<=1.0.0", ">=1.0.0", true), ("<1.0.0", ">1.0.0", false),
            ("^1.0.0 || ^3.0.0", "^2.0.0 || 3.1.x", true), ("^1.0.0 || ^3.0.0", "^2.0.0 || 4.x", false),
            ("1.0.0 - 1.5.0", "1.5.0 - 2.0.0", true), ("1.0.0 - 1.4.x", "1.5.0 - 2.0.0", false), ("=1.2.3", "1.2.3", true),
            ("=1.2.3", "1.2.4", false), ("^0.2.0", "^0.3.0", false), ("^0.0.3", "0.0.3", true), ("<0.0.0-0", "*", false),
        ]
        for (a, b, expected) in cases {
            let ra = try #require(VersionRange(a), "\(a)"), rb = try #require(VersionRange(b), "\(b)")
            #expect(ra.intersects(rb) == expected, "\(a) ∩ \(b)")
            #expect(rb.intersects(ra) == expected, "\(b) ∩ \(a)")
        }
    }

    @Test func sha512AndSha384MatchKnownVectors() {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA512.hash(Array("abc".utf8))) == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(hex(SHA512.hash([])) == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
        var h = SHA512.sha384()
        h.update(Array("abc".utf8))
        #expect(hex(h.finalize()) == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        // Split updates across the 128-byte block boundary agree with one update.
        let long = [UInt8]((0..<1000).map { UInt8($0 % 251) })
        var split = SHA512()
        split.update(Array(long[0..<100])); split.update(Array(long[100..<300])); split.update(Array(long[300...]))
        #expect(split.finalize() == SHA512.hash(long))
    }
}
