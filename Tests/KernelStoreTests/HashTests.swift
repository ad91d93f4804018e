import Foundation
import GRDB
import Testing
@testable import KernelStore

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func nistVectors(_ message: String, _ digest: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == digest)
    }

    @Test func oneMillionAs() {
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)).hex
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkedUpdatesMatchOneShot() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let expected = SHA256.hash(message)
        for chunk in [1, 3, 55, 56, 63, 64, 65, 128, 999] {
            var h = SHA256()
            var i = 0
            while i < message.count {
                h.update(Array(message[i..<min(i + chunk, message.count)]))
                i += chunk
            }
            #expect(h.finalize() == expected, "chunk \(chunk)")
        }
    }
}

@Suite struct TreeHashTests {
    private func makeTree() throws -> TempDirectory {
        let dir = try TempDirectory()
        try dir.write(".qoder-plugin/plugin.json", #"{"name":"hello"}"#)
        try dir.write("skills/greet/SKILL.md", "---\nname: greet\n---\nHi\n")
        try dir.write("bin/run", "#!/bin/sh\necho hi\n", executable: true)
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: "skills/greet")
        return dir
    }

    @Test func theSameTreeHashesTheSameAnywhere() throws {
        let a = try makeTree(), b = try makeTree()
        let hash = try TreeHash.sha256(ofDirectory: a.path)
        #expect(hash.count == 64)
        #expect(try TreeHash.sha256(ofDirectory: b.path) == hash)
        #expect(try TreeHash.sha256(ofDirectory: a.path + "/") == hash)
    }

    @Test func mtimeDoesNotMatter() throws {
        let dir = try makeTree()
        let before = try TreeHash.sha256(ofDirectory: dir.path)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_000)], ofItemAtPath: dir.file("skills/greet/SKILL.md"))
        #expect(try TreeHash.sha256(ofDirectory: dir.path) == before)
    }

    @Test func contentNameModeAndLinksMatter() throws {
        let changes: [(String, (TempDirectory) throws -> Void)] = [
            ("content", { try $0.write("skills/greet/SKILL.md", "---\nname: greet\n---\nHi!\n") }),
            ("name", { try FileManager.default.moveItem(atPath: $0.file("bin/run"), toPath: $0.file("bin/run2")) }),
            ("exec bit", { try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: $0.file("bin/run")) }),
            ("link target", {
                try FileManager.default.removeItem(atPath: $0.file("link"))
                try FileManager.default.createSymbolicLink(atPath: $0.file("link"), withDestinationPath: "bin")
            }),
            ("empty folder", { try FileManager.default.removeItem(atPath: $0.file("empty")) }),
            ("new file", { try $0.write("empty/x", "") }),
        ]
        let reference = try makeTree()
        let original = try TreeHash.sha256(ofDirectory: reference.path)
        for (what, change) in changes {
            let dir = try makeTree()
            try change(dir)
            #expect(try TreeHash.sha256(ofDirectory: dir.path) != original, "changing the \(what)")
        }
    }

    @Test func aMissingFolderIsAnError() throws {
        let dir = try TempDirectory()
        let error = #expect(throws: StoreError.self) { try TreeHash.sha256(ofDirectory: dir.file("missing")) }
        #expect(error?.code == .io)
        let file = try dir.write("file", "x")
        #expect(throws: StoreError.self) { try TreeHash.sha256(ofDirectory: file) }
    }
}

@Suite struct TreeHashCacheTests {
    private func settledTrees(_ count: Int) throws -> [TempDirectory] {
        let dirs = try (0..<count).map { _ in try TempDirectory() }
        for dir in dirs {
            try dir.write("commands/hello.md", "# hello v1\n")
            try dir.write("bin/run", "#!/bin/sh\necho hi\n", executable: true)
            try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: "bin/run")
        }
        // Only a tree whose entries were all last changed more than the settle time ago is cached.
        Thread.sleep(forTimeInterval: Double(KernelStore.treeHashSettleNanoseconds) / 1e9 + 0.2)
        return dirs
    }

    private func settledTree() throws -> TempDirectory { try settledTrees(1)[0] }

    /// Pretends the cached hash is another one, so a later call shows whether it was read from the cache.
    private func poison(_ store: KernelStore, _ path: String) throws {
        try store.writer.write { db in
            try db.execute(sql: "UPDATE tree_hash SET sha256 = ? WHERE path = ?", arguments: [String(repeating: "f", count: 64), path])
        }
    }

    @Test func anUnchangedTreeIsServedFromTheCache() throws {
        let store = try KernelStore.inMemory()
        let dir = try settledTree()
        let hash = try TreeHash.sha256(ofDirectory: dir.path)
        #expect(try store.treeSHA256(ofDirectory: dir.path) == hash)
        #expect(try store.cachedTreeHash(dir.path)?.sha256 == hash)
        try poison(store, dir.path)
        #expect(try store.treeSHA256(ofDirectory: dir.path) == String(repeating: "f", count: 64))
    }

    @Test func contentChangedWithItsSizeAndMtimePutBackIsHashedAgain() throws {
        let store = try KernelStore.inMemory()
        let dir = try settledTree()
        let file = dir.file("commands/hello.md")
        _ = try store.treeSHA256(ofDirectory: dir.path)
        try poison(store, dir.path)
        var before = stat()
        #expect(stat(file, &before) == 0)
        // Same size, and the mtime put back as `touch -d` would: only the ctime tells.
        try dir.write("commands/hello.md", "# HELLO v1\n")
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        var after = stat()
        #expect(stat(file, &after) == 0)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec
                && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        let fresh = try TreeHash.sha256(ofDirectory: dir.path)
        #expect(try store.treeSHA256(ofDirectory: dir.path) == fresh)
        #expect(fresh != String(repeating: "f", count: 64))
    }

    @Test func aReplacedRenamedOrAddedEntryIsHashedAgain() throws {
        let changes: [(String, (TempDirectory) throws -> Void)] = [
            ("replaced by rename", {
                try $0.write("commands/other", "# hello v1\n")
                _ = rename($0.file("commands/other"), $0.file("commands/hello.md"))
            }),
            ("link target", {
                try FileManager.default.removeItem(atPath: $0.file("link"))
                try FileManager.default.createSymbolicLink(atPath: $0.file("link"), withDestinationPath: "bin/rux")
            }),
            ("mode", { try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: $0.file("bin/run")) }),
            ("new file", { try $0.write("commands/new.md", "") }),
        ]
        for ((what, change), dir) in zip(changes, try settledTrees(changes.count)) {
            let store = try KernelStore.inMemory()
            _ = try store.treeSHA256(ofDirectory: dir.path)
            try poison(store, dir.path)
            try change(dir)
            #expect(try store.treeSHA256(ofDirectory: dir.path) == TreeHash.sha256(ofDirectory: dir.path), "\(what)")
        }
    }

    @Test func aTreeChangedJustNowIsNotCached() throws {
        let store = try KernelStore.inMemory()
        let dir = try TempDirectory()
        let file = try dir.write("commands/hello.md", "# hello\n")
        // Modified "now" whatever the scheduling: an mtime an hour ahead is never settled.
        var times = [timespec(tv_sec: time(nil) + 3600, tv_nsec: 0), timespec(tv_sec: time(nil) + 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        #expect(try store.treeSHA256(ofDirectory: dir.path) == TreeHash.sha256(ofDirectory: dir.path))
        #expect(try store.cachedTreeHash(dir.path) == nil)
    }

    @Test func forgettingATreeDropsItsRowAndThoseBelowItOnly() throws {
        let store = try KernelStore.inMemory()
        let trees = try settledTrees(2)
        let (dir, sibling) = (trees[0], trees[1])
        _ = try store.treeSHA256(ofDirectory: dir.path)
        _ = try store.treeSHA256(ofDirectory: sibling.path)
        try store.forgetTreeHashes(under: dir.path)
        #expect(try store.cachedTreeHash(dir.path) == nil)
        #expect(try store.cachedTreeHash(sibling.path) != nil)
    }
}
