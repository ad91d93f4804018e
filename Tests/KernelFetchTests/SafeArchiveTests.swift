import Foundation
import KernelCore
import KernelFetch
import KernelTestSupport
import Testing

/// Extracts `archive` into `dir/out` and returns the error it must throw.
private func refusal(_ archive: String, in dir: TemporaryDirectory, limits: ArchiveLimits = .default) throws -> KernelError {
    let error = try #require(throws: KernelError.self) {
        try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: limits)
    }
    // Nothing is left behind: no destination, no staging folder beside it.
    #expect(!FileManager.default.fileExists(atPath: dir.url("out")))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".out.partial") }
    #expect(leftovers.isEmpty)
    return error
}

private func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
}

@Suite("SafeArchive: benign archives unpack")
struct SafeArchiveBenignTests {
    @Test func zipUnpacksFilesFoldersAndExecutableBits() async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "good.zip", """
            with zipfile.ZipFile(out, 'w') as z:
                zip_add(z, ".qoder-plugin/plugin.json", b'{"name": "x"}')
                zip_add(z, "commands/", mode=0o40755)
                zip_add(z, "commands/hi.md", b"hello")
                zip_add(z, "bin/tool", b"#!/bin/sh\\necho hi\\n", mode=0o100755)
            """)
        let report = try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: .default)
        #expect(report.files == 3)
        #expect(report.directories == 3)  // .qoder-plugin (implied), commands, bin (implied)
        #expect(report.totalBytes == Int64(13 + 5 + 18))
        #expect(report.strippedModes.isEmpty)
        #expect(try dir.read("out/commands/hi.md") == "hello")
        #expect(try dir.read("out/.qoder-plugin/plugin.json") == #"{"name": "x"}"#)
        #expect(try mode(dir.url("out/bin/tool")) == 0o755)
        #expect(try mode(dir.url("out/commands/hi.md")) == 0o644)
        #expect(report.directory == dir.url("out"))
    }

    @Test func tarGzWithRootEntryAndImpliedFolders() async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "good.tgz", """
            with tarfile.open(out, 'w:gz') as t:
                tar_add(t, "./", type=tarfile.DIRTYPE, mode=0o755)
                tar_add(t, "./package/package.json", b'{}')
                tar_add(t, "package/a/b/c.txt", b"deep")
                tar_add(t, "package/a/", type=tarfile.DIRTYPE, mode=0o750)
            """)
        let report = try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: .default)
        #expect(report.files == 2)
        #expect(try dir.read("out/package/a/b/c.txt") == "deep")
        #expect(try mode(dir.url("out/package/a")) == 0o750)
    }

    @Test func plainTarAndAnEmptyArchive() async throws {
        let dir = try TemporaryDirectory()
        let tar = try await ArchiveFixture.make(dir, "plain.tar", """
            with tarfile.open(out, 'w') as t:
                tar_add(t, "README.md", b"# hi")
            """)
        _ = try SafeArchive.extract(URL(fileURLWithPath: tar), into: URL(fileURLWithPath: dir.url("plain")), limits: .default)
        #expect(try dir.read("plain/README.md") == "# hi")
        let empty = try await ArchiveFixture.zip(dir, "empty.zip", [])
        let report = try SafeArchive.extract(URL(fileURLWithPath: empty), into: URL(fileURLWithPath: dir.url("empty")), limits: .default)
        #expect(report.files == 0)
        #expect(FileSystem.isDirectory(dir.url("empty")))
    }

    @Test func setuidSetgidStickyAndWorldWriteAreStripped() async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "modes.tar.gz", """
            with tarfile.open(out, 'w:gz') as t:
                tar_add(t, "suid", b"x", mode=0o4755)
                tar_add(t, "sgid", b"x", mode=0o2755)
                tar_add(t, "open", b"x", mode=0o666)
                tar_add(t, "none", b"x", mode=0o000)
                tar_add(t, "tmp/", type=tarfile.DIRTYPE, mode=0o1777)
            """)
        let report = try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: .default)
        #expect(try mode(dir.url("out/suid")) == 0o755)
        #expect(try mode(dir.url("out/sgid")) == 0o755)
        #expect(try mode(dir.url("out/open")) == 0o664)
        #expect(try mode(dir.url("out/none")) == 0o600)
        #expect(try mode(dir.url("out/tmp")) == 0o775)
        #expect(report.strippedModes.map(\.path) == ["suid", "sgid", "open", "tmp/"])
        #expect(report.strippedModes.first?.archivedMode == 0o4755)
    }
}

@Suite("SafeArchive: hostile archives are refused, naming the entry")
struct SafeArchiveHostileTests {
    @Test(arguments: [
        ("dotdot.zip", "a/../../evil.txt", "has a '..' component"),
        ("drive.zip", "C:/Windows/evil.txt", "starts with a drive letter"),
        ("backslash.zip", "a\\..\\evil.txt", "has a backslash"),
        ("absolute.zip", "/etc/evil", "is absolute"),
        ("control.zip", "bad\u{7}name", "has a control character"),
    ])
    func zipPathsAreRefused(name: String, entry: String, reason: String) async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.zip(dir, name, [("ok.txt", "fine"), (entry, "evil")])
        let error = try refusal(archive, in: dir)
        #expect(error.code == .archive)
        #expect(error.message.contains("entry '\(entry)'"))
        #expect(error.message.contains(reason))
    }

    @Test(arguments: [
        ("dotdot.tar", "../evil.txt", "has a '..' component"),
        ("absolute.tar", "/tmp/evil.txt", "is absolute"),
    ])
    func tarPathsAreRefused(name: String, entry: String, reason: String) async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.tarGz(dir, name, [(entry, "evil")])
        let error = try refusal(archive, in: dir)
        #expect(error.message.contains("entry '\(entry)'"))
        #expect(error.message.contains(reason))
    }

    @Test func symbolicLinksAreRefusedWhateverTheTarget() async throws {
        let dir = try TemporaryDirectory()
        for (name, target) in [("inside.tgz", "ok.txt"), ("outside.tgz", "/etc/passwd")] {
            let archive = try await ArchiveFixture.make(dir, name, """
                with tarfile.open(out, 'w:gz') as t:
                    tar_add(t, "ok.txt", b"fine")
                    tar_add(t, "link", type=tarfile.SYMTYPE, linkname="\(target)")
                """)
            let error = try refusal(archive, in: dir)
            #expect(error.message.contains("entry 'link' is a symbolic link (to '\(target)')"))
        }
        let zip = try await ArchiveFixture.make(dir, "link.zip", """
            with zipfile.ZipFile(out, 'w') as z:
                zip_add(z, "link", b"/etc/passwd", mode=0o120777)
            """)
        #expect(try refusal(zip, in: dir).message.contains("entry 'link' is a symbolic link"))
    }

    @Test func hardLinksAreRefused() async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "hard.tar", """
            with tarfile.open(out, 'w') as t:
                tar_add(t, "ok.txt", b"fine")
                tar_add(t, "again", type=tarfile.LNKTYPE, linkname="ok.txt")
            """)
        #expect(try refusal(archive, in: dir).message.contains("entry 'again' is a hard link (to 'ok.txt')"))
    }

    @Test(arguments: [("fifo", "tarfile.FIFOTYPE", "FIFO"), ("tty", "tarfile.CHRTYPE", "character device"),
                      ("disk", "tarfile.BLKTYPE", "block device")])
    func devicesAndFIFOsAreRefused(entry: String, type: String, shown: String) async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "special.tar", """
            with tarfile.open(out, 'w') as t:
                tar_add(t, "\(entry)", type=\(type))
            """)
        #expect(try refusal(archive, in: dir).message.contains("entry '\(entry)' is a \(shown)"))
    }

    @Test func caseAndNormalisationCollisionsAreRefused() async throws {
        let dir = try TemporaryDirectory()
        let cases: [(String, [(String, String)], String)] = [
            ("case.zip", [("README.md", "a"), ("readme.md", "b")], "entry 'readme.md' collides with 'README.md'"),
            ("folder.zip", [("Docs/a.md", "a"), ("docs/b.md", "b")], "entry 'docs/b.md' collides with 'Docs'"),
            ("twice.zip", [("a.md", "1"), ("a.md", "2")], "entry 'a.md' appears twice"),
            ("under-file.zip", [("a", "file"), ("a/b.md", "x")], "entry 'a/b.md' is inside 'a', which is a file"),
        ]
        for (name, entries, message) in cases {
            let archive = try await ArchiveFixture.zip(dir, name, entries)
            let error = try refusal(archive, in: dir)
            #expect(error.message.contains(message), "\(name): \(error.message)")
        }
    }

    @Test func unicodeNormalisationCollisionsAreRefused() async throws {
        // NFC é, then NFD e + U+0301, in a zip and in a tar. libarchive reads UTF-8 names normalised to NFC, so
        // the second spelling arrives as the first: refused as the same name twice (the collision key would
        // catch it otherwise; ArchivePathTests checks the key itself).
        let dir = try TemporaryDirectory()
        let entries = [("caf\u{E9}.md", "nfc"), ("cafe\u{301}.md", "nfd")]
        for archive in [try await ArchiveFixture.tarGz(dir, "nfd.tgz", entries), try await ArchiveFixture.zip(dir, "nfd.zip", entries)] {
            let error = try refusal(archive, in: dir)
            #expect(error.code == .archive)
            #expect(error.message.contains("entry 'caf") && (error.message.contains("appears twice") || error.message.contains("collides")))
        }
    }

    @Test func entryCountTotalSizePerEntrySizeAndDepthAreCapped() async throws {
        let dir = try TemporaryDirectory()
        var limits = ArchiveLimits.default
        limits.maxEntries = 3
        let many = try await ArchiveFixture.zip(dir, "many.zip", (1...5).map { ("f\($0).txt", "x") })
        #expect(try refusal(many, in: dir, limits: limits).message.contains("entry 'f4.txt' is over the limit of 3 entries"))

        limits = .default
        limits.maxTotalBytes = 1000
        let big = try await ArchiveFixture.zip(dir, "big.zip", [("a.txt", String(repeating: "a", count: 600)),
                                                          ("b.txt", String(repeating: "b", count: 600))])
        #expect(try refusal(big, in: dir, limits: limits).message.contains("entry 'b.txt' takes the archive over the limit of 1000 bytes"))

        limits = .default
        limits.maxEntryBytes = 100
        #expect(try refusal(big, in: dir, limits: limits).message.contains("entry 'a.txt' is 600 bytes, over the limit of 100"))

        limits = .default
        limits.maxDepth = 4
        let deep = try await ArchiveFixture.zip(dir, "deep.zip", [("a/b/c/d/e.txt", "deep")])
        #expect(try refusal(deep, in: dir, limits: limits).message.contains("entry 'a/b/c/d/e.txt' is refused: its path is 5 levels deep (limit 4)"))
    }

    @Test func aSizeTheHeaderHidesIsStillCappedWhileStreaming() async throws {
        // A tar entry whose header says 10 bytes cannot carry more, but a zip entry streamed without a size
        // (data descriptor) can claim nothing up front: the cap is enforced on the bytes written.
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "stream.zip", """
            buf = io.BytesIO()
            with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
                with z.open("stream.bin", "w") as f:
                    f.write(b"z" * 5000)
            """)
        var limits = ArchiveLimits.default
        limits.maxEntryBytes = 4096
        #expect(try refusal(archive, in: dir, limits: limits).message.contains("entry 'stream.bin'"))
    }

    @Test func aZipBombIsStoppedByTheRatio() async throws {
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "bomb.zip", """
            with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
                z.writestr("zeros.bin", b"\\0" * (32 << 20))
            """)
        var limits = ArchiveLimits.default
        limits.ratioFloorBytes = 1 << 20
        let error = try refusal(archive, in: dir, limits: limits)
        #expect(error.message.contains("entry 'zeros.bin' takes the archive over a compression ratio of 100"))
    }

    @Test func aForgedEntryCountAllocatesNothingLarge() async throws {
        // The end-of-central-directory record claims 65,535 entries (and the zip64 form 2^62) where there is one.
        let dir = try TemporaryDirectory()
        let archive = try await ArchiveFixture.make(dir, "forged.zip", """
            with zipfile.ZipFile(out, 'w') as z:
                z.writestr("one.txt", b"one")
            data = bytearray(open(out, 'rb').read())
            eocd = data.rfind(b"PK\\x05\\x06")
            struct.pack_into("<HH", data, eocd + 8, 0xFFFF, 0xFFFF)
            open(out, 'wb').write(bytes(data))
            """)
        var before = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        let outcome = Result { try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: .default) }
        var after = rusage()
        getrusage(RUSAGE_SELF.rawValue, &after)
        // Peak resident memory of the whole test process grows by less than 64 MiB (a table for 65,535 or 2^62
        // entries would not fit).
        #expect(after.ru_maxrss - before.ru_maxrss < 64 * 1024)
        switch outcome {
        case .success(let report): #expect(report.files == 1)
        case .failure(let error): #expect((error as? KernelError)?.code == .archive)
        }
    }

    @Test func notAnArchiveAndATruncatedOne() async throws {
        let dir = try TemporaryDirectory()
        let junk = try dir.write("junk.zip", "this is not an archive at all")
        #expect(try refusal(junk, in: dir).message.contains("not a zip or tar archive"))
        let good = try await ArchiveFixture.tarGz(dir, "t.tgz", [("a.txt", String(repeating: "a", count: 100_000))])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir.url("half.tgz")))
        let error = try refusal(dir.url("half.tgz"), in: dir)
        #expect(error.code == .archive)
    }

    @Test func anExistingDestinationIsNotTouched() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("out/keep.txt", "mine")
        let archive = try await ArchiveFixture.zip(dir, "a.zip", [("a.txt", "a")])
        let error = try #require(throws: KernelError.self) {
            try SafeArchive.extract(URL(fileURLWithPath: archive), into: URL(fileURLWithPath: dir.url("out")), limits: .default)
        }
        #expect(error.message.contains("already exists"))
        #expect(try dir.read("out/keep.txt") == "mine")
    }
}

@Suite("ArchivePath rules")
struct ArchivePathTests {
    @Test func acceptedPathsAreNormalised() throws {
        #expect(try ArchivePath.components(Array("./a//b/./c.txt".utf8), maxDepth: 8) == ["a", "b", "c.txt"])
        #expect(try ArchivePath.components(Array("./".utf8), maxDepth: 8) == [])
        #expect(try ArchivePath.components(Array("dir/".utf8), maxDepth: 8) == ["dir"])
        #expect(try ArchivePath.components(Array("ab:c".utf8), maxDepth: 8) == ["ab:c"])  // a colon later is a name
    }

    @Test func collisionKeysFoldCaseAndNormalisation() {
        #expect(ArchivePath.collisionKey(["caf\u{E9}.md"][...]) == ArchivePath.collisionKey(["CAFE\u{301}.MD"][...]))
        #expect(ArchivePath.collisionKey(["a", "B"][...]) == ArchivePath.collisionKey(["A", "b"][...]))
        #expect(ArchivePath.collisionKey(["a", "b"][...]) != ArchivePath.collisionKey(["a", "c"][...]))
    }

    @Test func refusedPaths() {
        for bad in ["", "/x", "C:x", "a\\b", "a/../b", "..", "x\u{0}y"] {
            #expect(throws: ArchivePath.Refusal.self) { try ArchivePath.components(Array(bad.utf8), maxDepth: 8) }
        }
        #expect(throws: ArchivePath.Refusal.self) { try ArchivePath.components([0x61, 0xFF, 0x62], maxDepth: 8) }
        #expect(throws: ArchivePath.Refusal.self) {
            try ArchivePath.components(Array(String(repeating: "a", count: 256).utf8), maxDepth: 8)
        }
    }
}
