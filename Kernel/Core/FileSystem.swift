internal import Glibc

/// Thin POSIX file helpers: the loader reads many small files, and these avoid Foundation's overhead.
public enum FileSystem {
    public enum EntryType: Sendable { case file, directory, symlink, other }

    public struct Entry: Sendable {
        /// The name; for an unusable name (`nameProblem` set), its escaped form (`a\\nb`, `\\xFF`).
        public var name: String
        public var type: EntryType
        /// Why the name cannot be used as a path component of a component ("is not valid UTF-8", "holds a
        /// control character"): kept as a `String` it would be re-encoded lossily (and a newline breaks every
        /// line-based output). Nil for ordinary names.
        public var nameProblem: String? = nil
    }

    /// A file's identity (device and inode), to follow a folder reached through symlinks only once.
    public struct FileID: Hashable, Sendable {
        public var device: UInt64
        public var inode: UInt64
    }

    /// What `stat(2)` said of a file when it was read: its identity and version (a cache of what was read from
    /// it is valid while all four are unchanged).
    public struct Stamp: Hashable, Sendable {
        public var device: UInt64
        public var inode: UInt64
        public var size: Int64
        /// Modification time in nanoseconds since 1970.
        public var mtimeNanoseconds: Int64

        init(_ st: stat) {
            device = UInt64(truncatingIfNeeded: st.st_dev)
            inode = UInt64(truncatingIfNeeded: st.st_ino)
            size = Int64(st.st_size)
            mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        }
    }

    /// The type and stamp of what a path names, following symlinks; nil when it does not exist.
    public static func status(_ path: String) -> (type: EntryType, stamp: Stamp)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (entryType(st.st_mode), Stamp(st))
    }

    static func entryType(_ mode: mode_t) -> EntryType {
        switch mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        default: .other
        }
    }

    /// The identity of what a path names, following symlinks; nil when it does not exist.
    public static func fileID(_ path: String) -> FileID? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// A file name's bytes with control characters, backslashes and invalid UTF-8 escaped (`\\n`, `\\xFF`).
    public static func escapedName(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case 0x0A: out += "\\n"
                case 0x09: out += "\\t"
                case 0x0D: out += "\\r"
                case 0x5C: out += "\\\\"
                case 0..<0x20, 0x7F: out += "\\x" + hexByte(b)
                default: out.unicodeScalars.append(Unicode.Scalar(b))
                }
                i += 1
                continue
            }
            // The longest valid UTF-8 sequence here, else one escaped byte.
            var decoded: String?
            for length in [2, 3, 4] where i + length <= bytes.count {
                if let s = String(validating: bytes[i..<(i + length)], as: UTF8.self), s.unicodeScalars.count == 1 {
                    decoded = s
                    i += length
                    break
                }
            }
            if let decoded { out += decoded } else { out += "\\x" + hexByte(b); i += 1 }
        }
        return out
    }

    private static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
    }

    /// What a path is, following symlinks; nil when it does not exist.
    public static func type(of path: String) -> EntryType? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return entryType(st.st_mode)
    }

    public static func isDirectory(_ path: String) -> Bool { type(of: path) == .directory }
    public static func isFile(_ path: String) -> Bool { type(of: path) == .file }
    public static func exists(_ path: String) -> Bool { type(of: path) != nil }

    /// True when the path itself is a symbolic link.
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0 else { return false }
        return st.st_mode & S_IFMT == S_IFLNK
    }

    /// The entries of a directory, sorted by name, without `.` and `..`; symlinks resolved to what they point
    /// at (a dangling link is `.symlink`). Nil when the directory cannot be read.
    public static func list(_ path: String) -> [Entry]? {
        var stamp: Stamp?
        return list(path, stamp: &stamp)
    }

    /// `list`, with the folder's stamp taken on the open folder before its entries are read (an entry added
    /// after that changes the folder's mtime, so a cache keyed on the stamp never misses it).
    public static func list(_ path: String, stamp: inout Stamp?) -> [Entry]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var st = stat()
        stamp = fstat(dirfd(dir), &st) == 0 ? Stamp(st) : nil
        var entries: [Entry] = []
        while let ent = readdir(dir) {
            let raw = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { p in
                    Array(UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))))
                }
            }
            var problem: String?
            var name: String
            if let valid = String(validating: raw, as: UTF8.self) {
                name = valid
                if raw.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                    problem = "holds a control character"
                    name = escapedName(raw)
                }
            } else {
                problem = "is not valid UTF-8"
                name = escapedName(raw)
            }
            if name == "." || name == ".." { continue }
            if let problem {
                entries.append(Entry(name: name, type: .other, nameProblem: problem))
                continue
            }
            let type: EntryType
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_REG): type = .file
            case Int32(DT_DIR): type = .directory
            case Int32(DT_LNK), Int32(DT_UNKNOWN):
                type = Self.type(of: join(path, name)) ?? .symlink
            default: type = .other
            }
            entries.append(Entry(name: name, type: type))
        }
        entries.sort { $0.name < $1.name }
        return entries
    }

    /// Reads a whole file, refusing files larger than `limit` bytes.
    public enum ReadError: Error, Sendable, CustomStringConvertible {
        case cannotOpen(String, Int32)
        case tooLarge(String, Int, limit: Int)
        /// The path names something else than a regular file; `kind` says what ("a FIFO", "a folder"…).
        case notAFile(String, kind: String)

        public var description: String {
            switch self {
            case .cannotOpen(_, let errno): String(cString: strerror(errno))
            case .tooLarge(_, let size, let limit): "file is \(size) bytes; the limit is \(limit)"
            case .notAFile(_, let kind): "not a regular file: it is \(kind)"
            }
        }
    }

    /// What a non-regular file is, for diagnostics.
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }

    /// Reads a whole regular file. The type is checked before the file is opened (opening a FIFO blocks until
    /// a writer comes; opening a device can have effects), and again on the open descriptor (opened with
    /// `O_NONBLOCK`, so a FIFO swapped in between cannot block either).
    public static func read(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> [UInt8] {
        var stamp: Stamp?
        return try read(path, limit: limit, stamp: &stamp)
    }

    /// `read`, with the file's stamp as the open descriptor had it before it was read (a change after that
    /// changes the stamp, so a cache keyed on it never keeps stale content).
    public static func read(_ path: String, limit: Int = 16 << 20, stamp: inout Stamp?) throws(ReadError) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .cannotOpen(path, errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path, kind: kindName(st.st_mode)) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(path, errno) }
        defer { close(fd) }
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path, errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path, kind: kindName(st.st_mode)) }
        stamp = Stamp(st)
        let size = Int(st.st_size)
        guard size <= limit else { throw .tooLarge(path, size, limit: limit) }
        var buffer = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + done, size - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(path, errno)
            }
            if n == 0 { break }
            done += n
        }
        if done < size { buffer.removeSubrange(done...) }
        return buffer
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR; false (with `errno` set) when a write fails.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return false }
            }
            return true
        }
    }

    /// The canonical absolute path (symlinks resolved), or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Joins path components with one `/`.
    public static func join(_ base: String, _ component: String) -> String {
        if base.isEmpty || component.hasPrefix("/") { return component }
        if base.hasSuffix("/") { return base + component }
        return base + "/" + component
    }

    /// `./skills/` → `skills`, `./` → ``: a manifest-relative path in the form joined onto a root.
    public static func normalizeRelative(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    /// An absolute path with `.`, `..` and repeated `/` resolved lexically (symlinks are not followed).
    public static func normalizeAbsolute(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True when `path` (canonical) is `root` (canonical) or inside it.
    public static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// The last path component.
    public static func baseName(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        if let slash = trimmed.lastIndex(of: "/") { return String(trimmed[trimmed.index(after: slash)...]) }
        return trimmed
    }
}
