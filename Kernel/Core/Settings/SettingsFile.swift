internal import Glibc

/// Reads and surgically edits settings files (`settings.json`, `settings.local.json`).
///
/// Settings files are human-owned and the project one is committed, so an edit changes one key path and
/// keeps every other byte: key order, whitespace, unknown keys, the trailing newline, CRLF line endings.
/// Edits are serialised between processes by an advisory lock, written to a temporary file and renamed over
/// the target, so a reader never sees half a file and two writers never lose each other's change.
public enum SettingsFile {
    /// Larger files are refused (a settings file is a few kilobytes).
    public static let maxSize = 16 << 20

    public typealias Edit = (keyPath: [String], value: JSONValue?)

    /// Reads a settings file.
    ///
    /// - Parameter path: the file; a symlink is followed.
    /// - Returns: the document. A missing file, or one holding only whitespace, reads as an empty object.
    ///   The top level is returned whatever its kind; callers check it is an object.
    /// - Throws: `SettingsError` `.syntax` with the line and column of the first error when the file is not
    ///   JSON, `.tooLarge`, or `.io` when it cannot be read.
    public static func read(_ path: String) throws(SettingsError) -> Node {
        guard let (bytes, _) = try readFile(path, reportAs: path) else { return emptyDocument }
        return try parse(bytes, reportAs: path) ?? emptyDocument
    }

    /// Sets or removes the value at `keyPath`, editing the file's text in place.
    ///
    /// - Parameters:
    ///   - path: the settings file. A symlink is kept: the file it points to is replaced.
    ///   - keyPath: the keys from the top level down, e.g. `["enabledPlugins", "x@local"]`; not empty.
    ///   - value: the new value, or nil to remove the member (with its comma).
    /// - Throws: `SettingsError`: `.syntax` (the file is not JSON: it is left untouched), `.notAnObject`
    ///   (the top level or an object on the key path is another kind of value; removal under it is not an
    ///   error, there is nothing to remove), `.invalidKeyPath`, `.tooLarge`, `.io`.
    ///
    /// See `update(_:_:)` for what is written and how.
    public static func update(_ path: String, keyPath: [String], value: JSONValue?) throws(SettingsError) {
        try perform(path) { _ throws(SettingsError) in [(keyPath: keyPath, value: value)] }
    }

    /// Applies the edits a closure returns, under one lock and in one write.
    ///
    /// Steps: resolve symlinks (the file a link points to is edited, the link is kept); create the parent
    /// directories; take an exclusive `flock` on `<file>.lock` next to the target (process- and thread-safe:
    /// each call opens its own descriptor; the lock file is removed again by its holder, and a waiter that
    /// finds it gone retries); re-read and parse the file under the lock; call `edits` with the document;
    /// apply each edit to the *text* (replace the value's bytes; insert a new member after the last one of
    /// its object with the layout of its siblings, creating intermediate objects; remove a member with its
    /// comma); write a temporary file in the same directory with the original file's mode, `fsync` it,
    /// `rename` it over the target and `fsync` the directory.
    ///
    /// A missing file is created as pretty JSON (2-space indent, trailing newline). When nothing changes
    /// (no edits, removing an absent key, setting a value to the text it already has) nothing is written.
    /// A file that does not parse is never written.
    ///
    /// - Parameters:
    ///   - path: the settings file.
    ///   - edits: receives the current document (an empty object when the file is missing) and returns the
    ///     edits, applied in order. It runs with the lock held: keep it quick, do not edit the same file in it.
    /// - Throws: what `update(_:keyPath:value:)` throws, and what `edits` throws (nothing is written then).
    public static func update(_ path: String, _ edits: (Node) throws -> [Edit]) throws {
        var thrown: (any Error)?
        try perform(path) { document throws(SettingsError) in
            do {
                return try edits(document)
            } catch {
                thrown = error  // nothing is written: no edits
                return []
            }
        }
        if let thrown { throw thrown }
    }

    /// Replaces a whole file the kernel owns (not a settings file a person edits: `.qoder/plugins.lock`) with
    /// `bytes`, under the same lock and with the same atomic write as `update`: readers see the old bytes or
    /// the new ones, never a mix. Identical bytes are not written.
    public static func replaceContents(_ bytes: [UInt8], at path: String) throws(SettingsError) {
        let target = try resolveSymlinks(path)
        try makeDirectories(parentDirectory(target), reportAs: path)
        let lock = try Lock(path: target + ".lock", reportAs: path)
        defer { lock.release() }
        let existing = try readFile(target, reportAs: path)
        if existing?.bytes == bytes { return }
        try writeAtomically(bytes, to: target, replacing: existing?.status, reportAs: path)
    }

    private static func perform(_ path: String, _ edits: (Node) throws(SettingsError) -> [Edit]) throws(SettingsError) {
        let target = try resolveSymlinks(path)
        let dir = parentDirectory(target)
        try makeDirectories(dir, reportAs: path)
        let lock = try Lock(path: target + ".lock", reportAs: path)
        defer { lock.release() }

        let existing = try readFile(target, reportAs: path)
        let original = existing?.bytes
        let document = try original.flatMap { bytes throws(SettingsError) in try parse(bytes, reportAs: path) }
        let list = try edits(document ?? emptyDocument)
        if list.isEmpty { return }

        guard let text = try edited(original, document: document, list, reportAs: path) else { return }
        try writeAtomically(text, to: target, replacing: existing?.status, reportAs: path)
    }

    /// The file's text after `list` (a missing file starts as `{}`); nil when nothing changes.
    private static func edited(_ original: [UInt8]?, document: Node?, _ list: [Edit], reportAs path: String) throws(SettingsError) -> [UInt8]? {
        var text: [UInt8] = document == nil ? Array("{}\n".utf8) : original!
        var changed = false
        for edit in list {
            guard !edit.keyPath.isEmpty else {
                throw SettingsError(.invalidKeyPath, file: path, message: "the key path to edit is empty")
            }
            do {
                if let next = try SettingsText.apply(text, keyPath: edit.keyPath, value: edit.value) {
                    text = next
                    changed = true
                }
            } catch {
                switch error {
                case .syntax(let error):
                    // Only reachable if an edit produced invalid JSON: a bug, reported rather than written.
                    throw SettingsError(.syntax, file: path, line: error.line, column: error.column,
                                        message: "internal error: editing produced invalid JSON: \(error.message)")
                case .unverified(let reason):
                    throw SettingsError(.editRefused, file: path,
                                        message: "refusing to write '\(edit.keyPath.joined(separator: "."))': \(reason); the file is left as it was")
                case .notAnObject(let keyPath, let node):
                    let what = keyPath.isEmpty ? "the top level" : "'" + keyPath.joined(separator: ".") + "'"
                    throw SettingsError(.notAnObject, file: path, line: node.line, column: node.column,
                                        message: "\(what) is \(node.kindDescription), expected an object; "
                                            + "cannot set '\(edit.keyPath.joined(separator: "."))'")
                }
            }
        }
        return !changed || text == original ? nil : text
    }

    /// What `update(_:_:)` would write, without writing or locking: the file's text now (nil when it does not
    /// exist) and after the edits; nil when nothing would change.
    /// - Throws: what `update(_:_:)` throws.
    public static func preview(_ path: String, _ edits: (Node) throws -> [Edit]) throws -> (before: String?, after: String)? {
        let target = try resolveSymlinks(path)
        let existing = try readFile(target, reportAs: path)
        let document = try existing.flatMap { e throws(SettingsError) in try parse(e.bytes, reportAs: path) }
        let list = try edits(document ?? emptyDocument)
        if list.isEmpty { return nil }
        guard let text = try edited(existing?.bytes, document: document, list, reportAs: path) else { return nil }
        return (existing.map { String(decoding: $0.bytes, as: UTF8.self) }, String(decoding: text, as: UTF8.self))
    }

    // MARK: - Reading

    static var emptyDocument: Node {
        var node = Node(.object([]), line: 1, column: 1)
        node.byteRange = 0..<0
        return node
    }

    /// Parses settings text; nil for whitespace only.
    private static func parse(_ bytes: [UInt8], reportAs path: String) throws(SettingsError) -> Node? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return nil }
        do {
            return try JSONReader.parse(bytes, comments: true).root
        } catch {
            throw SettingsError(.syntax, file: path, line: error.line, column: error.column, message: error.message)
        }
    }

    /// The file's bytes and status, or nil when it does not exist.
    private static func readFile(_ path: String, reportAs name: String) throws(SettingsError) -> (bytes: [UInt8], status: stat)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ioError("cannot open", path, name)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("cannot stat", path, name) }
        guard st.st_size <= maxSize else {
            throw SettingsError(.tooLarge, file: name, message: "file is \(st.st_size) bytes, more than the \(maxSize) accepted")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read", path, name)
            }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= maxSize else {
                throw SettingsError(.tooLarge, file: name, message: "file is more than the \(maxSize) bytes accepted")
            }
        }
        return (bytes, st)
    }

    // MARK: - Writing

    /// Writes `bytes` to a temporary file next to `path` and renames it over `path`. The mode (and, when
    /// permitted, the owner) of the replaced file is kept; a new file gets `0666 & ~umask`.
    private static func writeAtomically(_ bytes: [UInt8], to path: String, replacing old: stat?, reportAs name: String) throws(SettingsError) {
        let dir = parentDirectory(path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var tmp = ""
        var fd: Int32 = -1
        for _ in 0..<16 {
            tmp = (dir == "/" ? "" : dir) + "/." + base + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, old == nil ? 0o666 : 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw ioError("cannot create a temporary file in", dir, name) }
        var done = false
        defer {
            if fd >= 0 { close(fd) }
            if !done { unlink(tmp) }
        }
        if let old {
            guard fchmod(fd, old.st_mode & 0o7777) == 0 else { throw ioError("cannot set the mode of", tmp, name) }
            if old.st_uid != geteuid() || old.st_gid != getegid() {
                _ = fchown(fd, old.st_uid, old.st_gid)  // best effort: only root may give a file away
            }
        }
        guard FileSystem.writeAll(fd, bytes) else { throw ioError("cannot write", tmp, name) }
        guard fsync(fd) == 0 else { throw ioError("cannot sync", tmp, name) }
        guard close(fd) == 0 else { fd = -1; throw ioError("cannot close", tmp, name) }
        fd = -1
        guard rename(tmp, path) == 0 else { throw ioError("cannot rename \(tmp) to", path, name) }
        done = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)  // durability of the rename; some file systems refuse fsync on directories
            close(dfd)
        }
    }

    /// An exclusive `flock` on a lock file, held from `init` to `release`.
    ///
    /// The holder removes the lock file before unlocking so that none is left next to a committed settings
    /// file; a process that was waiting on the removed file finds, once it holds its lock, that the path no
    /// longer names the file it locked, and starts again.
    private struct Lock {
        let fd: Int32
        let path: String

        init(path: String, reportAs name: String) throws(SettingsError) {
            while true {
                let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ioError("cannot open the lock file", path, name) }
                while flock(fd, LOCK_EX) != 0 {
                    if errno == EINTR { continue }
                    let error = ioError("cannot lock", path, name)
                    close(fd)
                    throw error
                }
                var held = stat(), named = stat()
                if fstat(fd, &held) == 0, stat(path, &named) == 0,
                   held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                    self.fd = fd
                    self.path = path
                    return
                }
                close(fd)
            }
        }

        func release() {
            unlink(path)
            close(fd)
        }
    }

    // MARK: - Paths

    /// Follows symlinks at the end of `path` (a dangling link gives the path it points to, so the target
    /// is created), up to 40 links.
    private static func resolveSymlinks(_ path: String) throws(SettingsError) -> String {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return current }
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buf, buf.count - 1)
            guard n >= 0 else { throw ioError("cannot read the link", current, path) }
            let target = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : parentDirectory(current) + "/" + target
        }
        throw SettingsError(.io, file: path, message: "too many levels of symbolic links", errno: ELOOP)
    }

    private static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func makeDirectories(_ dir: String, reportAs name: String) throws(SettingsError) {
        var st = stat()
        if stat(dir, &st) == 0 { return }
        let parent = parentDirectory(dir)
        if parent != dir { try makeDirectories(parent, reportAs: name) }
        if mkdir(dir, 0o777) != 0 && errno != EEXIST { throw ioError("cannot create the directory", dir, name) }
    }

    private static func ioError(_ what: String, _ path: String, _ name: String) -> SettingsError {
        let code = errno
        return SettingsError(.io, file: name, message: "\(what) '\(path)': \(String(cString: strerror(code)))", errno: code)
    }
}
