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
        let root = Array(path.utf8)
        var st = stat()
        guard stat(cString(root), &st) == 0 else { throw posixError("cannot stat", path) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw StoreError(.io, "not a directory", path: path) }

        var entries: [Entry] = []
        try collect(root: root, relative: [], into: &entries)
        entries.sort { $0.relative.lexicographicallyPrecedes($1.relative) }

        var tree = SHA256()
        tree.update(Array("kernel-tree-v1\0".utf8))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for entry in entries {
            let absolute = join(root, entry.relative)
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

    private enum Kind: UInt8 {
        case directory = 0x64  // d
        case file = 0x66  // f
        case executable = 0x78  // x
        case symlink = 0x6c  // l
    }

    private struct Entry {
        var relative: [UInt8]
        var kind: Kind
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
                entries.append(Entry(relative: rel, kind: .directory))
                try collect(root: root, relative: rel, into: &entries)
            case S_IFREG:
                entries.append(Entry(relative: rel, kind: st.st_mode & 0o111 != 0 ? .executable : .file))
            case S_IFLNK:
                entries.append(Entry(relative: rel, kind: .symlink))
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
