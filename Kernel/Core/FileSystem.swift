internal import Glibc

/// Thin POSIX file helpers: the loader reads many small files, and these avoid Foundation's overhead.
public enum FileSystem {
    public enum EntryType: Sendable { case file, directory, symlink, other }

    public struct Entry: Sendable {
        public var name: String
        public var type: EntryType
    }

    /// What a path is, following symlinks; nil when it does not exist.
    public static func type(of path: String) -> EntryType? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
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
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
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
        case notAFile(String)

        public var description: String {
            switch self {
            case .cannotOpen(_, let errno): String(cString: strerror(errno))
            case .tooLarge(_, let size, let limit): "file is \(size) bytes; the limit is \(limit)"
            case .notAFile: "not a regular file"
            }
        }
    }

    public static func read(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path, errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path, errno) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path) }
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
