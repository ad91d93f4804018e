#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A deterministic SHA-256 of a directory tree, recorded in install receipts to detect changed installs.
///
/// The hash covers, for every entry below the root in byte order of its relative path (`/`-separated): its
/// type (directory, file, executable file, symbolic link), its relative path, and for a file the SHA-256 of its
/// contents, for a link its target (links are not followed). It ignores timestamps, owners, and permission bits
/// other than "executable by someone". The root's own name and mode are not part of the hash.
public enum TreeHash {
    /// Hashes the tree at `path` (following `path` itself if it is a link to a directory).
    ///
    /// - Returns: 64 lowercase hex digits.
    /// - Throws: ``StoreError`` `.io` when `path` is not a directory or an entry cannot be read,
    ///   `.unsupportedFileType` for a socket, FIFO or device inside the tree. An empty directory is not an error.
    public static func sha256(ofDirectory path: String) throws(StoreError) -> String {
        try sha256(of: walk(path))
    }

    /// The entries of a tree, each with its `lstat` fields, in hash order: what ``sha256(of:)`` hashes and
    /// ``Walk/stamp`` summarises.
    struct Walk {
        let root: [UInt8]
        let rootStat: stat
        let entries: [Entry]

        /// SHA-256 of every entry's relative path, type, mode, size, device, inode, mtime and ctime (ns), and
        /// of the root's own fields: it changes when anything below the root is written, replaced, renamed,
        /// added or removed — even with its mtime put back (`touch -d`), as that sets the ctime to now, which
        /// no call can set back. What ``KernelStore/treeSHA256(ofDirectory:)`` keys its cache on.
        var stamp: String {
            var h = SHA256()
            h.update(Array("kernel-tree-stamp-v1\0".utf8))
            var fields: [UInt8] = []
            fields.reserveCapacity(64)
            func add(_ st: stat) {
                fields.removeAll(keepingCapacity: true)
                for v in [UInt64(st.st_mode), UInt64(bitPattern: Int64(st.st_size)), UInt64(st.st_dev), UInt64(st.st_ino),
                          UInt64(bitPattern: Int64(st.st_mtim.tv_sec)), UInt64(bitPattern: Int64(st.st_mtim.tv_nsec)),
                          UInt64(bitPattern: Int64(st.st_ctim.tv_sec)), UInt64(bitPattern: Int64(st.st_ctim.tv_nsec))] {
                    withUnsafeBytes(of: v.littleEndian) { fields.append(contentsOf: $0) }
                }
                h.update(fields)
            }
            add(rootStat)
            for e in entries {
                h.update(e.relative)
                h.update([0])
                add(e.stat)
            }
            return h.finalize().hex
        }

        /// True when every entry's (and the root's) mtime and ctime are earlier than `time` (seconds, nanoseconds
        /// since 1970): a file changed after `time` then gets a later ctime than the one the stamp holds, even
        /// on a file system whose clock ticks coarsely.
        func settled(before time: timespec) -> Bool {
            func earlier(_ t: timespec) -> Bool { t.tv_sec < time.tv_sec || (t.tv_sec == time.tv_sec && t.tv_nsec < time.tv_nsec) }
            func ok(_ st: stat) -> Bool { earlier(st.st_mtim) && earlier(st.st_ctim) }
            return ok(rootStat) && entries.allSatisfy { ok($0.stat) }
        }
    }

    /// Lists the tree at `path` (following `path` itself if it is a link to a directory), stat-ing every entry.
    /// - Throws: as ``sha256(ofDirectory:)``.
    static func walk(_ path: String) throws(StoreError) -> Walk {
        let root = Array(path.utf8)
        var st = stat()
        guard stat(cString(root), &st) == 0 else { throw posixError("cannot stat", path) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw StoreError(.io, "not a directory", path: path) }
        var entries: [Entry] = []
        try collect(root: root, relative: [], into: &entries)
        entries.sort { $0.relative.lexicographicallyPrecedes($1.relative) }
        return Walk(root: root, rootStat: st, entries: entries)
    }

    /// The tree hash of a walk's entries (their contents read now).
    static func sha256(of walk: Walk) throws(StoreError) -> String {
        var tree = SHA256()
        tree.update(Array("kernel-tree-v1\0".utf8))
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for entry in walk.entries {
            let absolute = join(walk.root, entry.relative)
            tree.update([entry.kind.rawValue])
            tree.update(entry.relative)
            tree.update([0])
            switch entry.kind {
            case .directory:
                break
            case .file, .executable:
                tree.update(try hashFile(absolute, buffer: &buffer).bytes)
            case .symlink:
                tree.update(try readLink(absolute))
                tree.update([0])
            }
        }
        return tree.finalize().hex
    }

    enum Kind: UInt8 {
        case directory = 0x64  // d
        case file = 0x66  // f
        case executable = 0x78  // x
        case symlink = 0x6c  // l
    }

    struct Entry {
        var relative: [UInt8]
        var kind: Kind
        var stat: stat
    }

    private static func collect(root: [UInt8], relative: [UInt8], into entries: inout [Entry]) throws(StoreError) {
        let folder = relative.isEmpty ? root : join(root, relative)
        let folderString = String(decoding: folder, as: UTF8.self)
        guard let dir = opendir(cString(folder)) else { throw posixError("cannot open directory", folderString) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw posixError("cannot read directory", folderString) }
                break
            }
            let name = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        for name in names {
            let rel = relative.isEmpty ? name : relative + [0x2f] + name
            let full = join(root, rel)
            var st = stat()
            guard lstat(cString(full), &st) == 0 else {
                throw posixError("cannot stat", String(decoding: full, as: UTF8.self))
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(Entry(relative: rel, kind: .directory, stat: st))
                try collect(root: root, relative: rel, into: &entries)
            case S_IFREG:
                entries.append(Entry(relative: rel, kind: st.st_mode & 0o111 != 0 ? .executable : .file, stat: st))
            case S_IFLNK:
                entries.append(Entry(relative: rel, kind: .symlink, stat: st))
            default:
                throw StoreError(
                    .unsupportedFileType, "cannot hash a socket, FIFO or device file",
                    path: String(decoding: full, as: UTF8.self))
            }
        }
    }

    private static func hashFile(_ path: [UInt8], buffer: inout [UInt8]) throws(StoreError) -> SHA256.Digest {
        let fd = open(cString(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw posixError("cannot open", String(decoding: path, as: UTF8.self)) }
        defer { close(fd) }
        var hasher = SHA256()
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("cannot read", String(decoding: path, as: UTF8.self))
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
        return hasher.finalize()
    }

    private static func readLink(_ path: [UInt8]) throws(StoreError) -> [UInt8] {
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = target.withUnsafeMutableBytes { raw in
            readlink(cString(path), raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard n >= 0 else { throw posixError("cannot read link", String(decoding: path, as: UTF8.self)) }
        return Array(target[..<n])
    }

    private static func join(_ root: [UInt8], _ relative: [UInt8]) -> [UInt8] {
        root.last == 0x2f ? root + relative : root + [0x2f] + relative
    }

    /// A NUL-terminated copy of `bytes` for a C call.
    private static func cString(_ bytes: [UInt8]) -> [CChar] {
        bytes.map { CChar(bitPattern: $0) } + [0]
    }

    private static func posixError(_ what: String, _ path: String) -> StoreError {
        StoreError(.io, "\(what): \(String(cString: strerror(errno)))", path: path)
    }
}
