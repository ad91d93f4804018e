internal import CArchive
import Foundation
import KernelCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Unpacks zip, tar, and gzip-compressed tar archives that are hostile until proven otherwise.
///
/// libarchive reads the archive (streaming, header by header); every entry is checked before a byte of it is
/// written: its path (``ArchivePath``), its type (only regular files and folders: symbolic and hard links,
/// devices, FIFOs and sockets are refused whatever their target), collisions with earlier entries (case and
/// Unicode normalisation folded), and the caps of ``ArchiveLimits``. Modes keep the owner's and group's bits
/// and others' read/execute; setuid, setgid, sticky and world-write are stripped (reported), and the owner can
/// always read and write (and enter folders). Timestamps and owners are not restored.
public enum SafeArchive {
    /// Unpacks `archive` into `staging`, which must not exist yet.
    ///
    /// The tree is written to a fresh hidden folder beside `staging` (same parent, so the same file system),
    /// and renamed to `staging` only when every entry was accepted; on any failure that folder is removed and
    /// `staging` is not created.
    /// - Parameters:
    ///   - archive: a `.zip`, `.tar`, `.tar.gz` or `.tgz` file (recognised by its content, not its name).
    ///   - staging: the folder to create with the tree in it; its parent must exist.
    ///   - limits: the caps to keep.
    /// - Returns: what was written.
    /// - Throws: `KernelError` `.archive` naming the entry refused (or the archive, when it is malformed or
    ///   not a zip or tar), `.io` when the file system fails. An archive with no entries is not an error.
    public static func extract(_ archive: URL, into staging: URL, limits: ArchiveLimits) throws -> ExtractReport {
        let archivePath = archive.path
        let target = staging.standardizedFileURL.path
        let parent = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        guard !name.isEmpty, name != "/" else { throw KernelError(.io, "'\(target)' cannot be a staging folder") }
        var st = stat()
        guard lstat(target, &st) != 0 else { throw KernelError(.io, "'\(target)' already exists") }
        var template = Array("\(parent)/.\(name).partial-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw KernelError(.io, "cannot create a staging folder in '\(parent)': \(String(cString: strerror(errno)))")
        }
        let partial = String(cString: made)
        do {
            var extraction = Extraction(archive: archivePath, root: partial, limits: limits)
            var report = try extraction.run()
            guard chmod(partial, 0o755) == 0, rename(partial, target) == 0 else {
                throw KernelError(.io, "cannot rename '\(partial)' to '\(target)': \(String(cString: strerror(errno)))")
            }
            report.directory = target
            return report
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}

/// One run of an extraction: the libarchive reader and the bookkeeping of what was written.
private struct Extraction {
    let archive: String
    let root: String
    let limits: ArchiveLimits
    /// Collision key → the spelling written and whether it is a folder.
    var seen: [String: (spelling: [UInt8], isDirectory: Bool)] = [:]
    var report = ExtractReport(directory: "", files: 0, directories: 0, totalBytes: 0, strippedModes: [])
    /// Folders whose archived mode is applied at the end (after their children are written).
    var directoryModes: [(path: String, mode: mode_t)] = []

    init(archive: String, root: String, limits: ArchiveLimits) {
        self.archive = archive
        self.root = root
        self.limits = limits
    }

    func refuse(_ entry: String, _ why: String) -> KernelError {
        KernelError(.archive, "\(archive): entry '\(entry)' \(why)")
    }

    mutating func run() throws -> ExtractReport {
        if let problem = kernel_archive_load_error() {
            throw KernelError(.archive, "\(archive): \(String(cString: problem))")
        }
        var st = stat()
        guard stat(archive, &st) == 0 else {
            throw KernelError(.io, "cannot read '\(archive)': \(String(cString: strerror(errno)))")
        }
        let archiveBytes = max(Int64(st.st_size), 1)
        if !Self.isTar(archive) { try ZipDirectory.check(archive, maxEntries: limits.maxEntries) }
        // Entry names are read as UTF-8 whatever the process's locale (libarchive converts names to the current
        // locale's charset, and the C locale has no é): a UTF-8 locale for this thread only, restored after.
        let utf8 = newlocale(KERNEL_LC_CTYPE_MASK, "C.UTF-8", nil)
        let previousLocale = utf8.map { uselocale($0) }
        defer {
            if let previousLocale { uselocale(previousLocale) }
            if let utf8 { freelocale(utf8) }
        }
        guard let reader = kernel_archive_read_new() else { throw KernelError(.archive, "\(archive): archive_read_new failed") }
        defer { _ = kernel_archive_read_free(reader) }
        _ = kernel_archive_read_support_format_zip(reader)
        _ = kernel_archive_read_support_format_tar(reader)
        _ = kernel_archive_read_support_filter_gzip(reader)
        guard kernel_archive_read_open_filename(reader, archive, 64 * 1024) == ARCHIVE_OK else {
            throw KernelError(.archive, "\(archive): not a zip or tar archive (\(errorText(reader)))")
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var entries = 0
        var previous = "(the first entry)"
        while true {
            var entry: OpaquePointer? = nil
            let status = kernel_archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw KernelError(.archive, "\(archive): malformed after entry '\(previous)': \(errorText(reader))")
            }
            let raw = pathBytes(entry)
            let shown = String(decoding: raw, as: UTF8.self)
            previous = shown
            entries += 1
            guard entries <= limits.maxEntries else {
                throw refuse(shown, "is over the limit of \(limits.maxEntries) entries")
            }
            let parts: [String]
            do {
                parts = try ArchivePath.components(raw, maxDepth: limits.maxDepth)
            } catch {
                throw refuse(shown, "is refused: its path \(error.reason)")
            }
            if let target = kernel_archive_entry_hardlink(entry) {
                throw refuse(shown, "is a hard link (to '\(String(cString: target))'): links are refused")
            }
            let type = kernel_archive_entry_filetype(entry) & KERNEL_AE_IFMT
            if type == KERNEL_AE_IFLNK {
                let target = kernel_archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                throw refuse(shown, "is a symbolic link (to '\(target)'): links are refused")
            }
            guard type == KERNEL_AE_IFREG || type == KERNEL_AE_IFDIR else {
                throw refuse(shown, "is a \(Self.typeName(type)): only files and folders are accepted")
            }
            if parts.isEmpty {
                guard type == KERNEL_AE_IFDIR else { throw refuse(shown, "is a file without a name") }
                continue  // The archive's root (`./`).
            }
            let isDirectory = type == KERNEL_AE_IFDIR
            let archived = UInt32(kernel_archive_entry_perm(entry)) & 0o7777
            try makeParents(parts, entry: shown)
            let key = ArchivePath.collisionKey(parts[...])
            let spelling = Array(parts.joined(separator: "/").utf8)
            let path = root + "/" + parts.joined(separator: "/")
            if let earlier = seen[key] {
                let same = earlier.spelling == spelling
                if isDirectory && earlier.isDirectory && same {
                    directoryModes.append((path, mode(archived, shown, directory: true)))
                    continue  // A folder listed again (or after a file inside it).
                }
                throw refuse(shown, same ? "appears twice in the archive"
                    : "collides with '\(String(decoding: earlier.spelling, as: UTF8.self))' (names that differ only by case or Unicode normalisation)")
            }
            seen[key] = (spelling, isDirectory)
            if isDirectory {
                guard mkdir(path, 0o700) == 0 else { throw ioError("cannot create", path) }
                report.directories += 1
                directoryModes.append((path, mode(archived, shown, directory: true)))
                continue
            }
            if kernel_archive_entry_size_is_set(entry) != 0, kernel_archive_entry_size(entry) > limits.maxEntryBytes {
                throw refuse(shown, "is \(kernel_archive_entry_size(entry)) bytes, over the limit of \(limits.maxEntryBytes) per file")
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ioError("cannot create", path) }
            defer { close(fd) }
            var written: Int64 = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { kernel_archive_read_data(reader, $0.baseAddress, $0.count) }
                if n == 0 { break }
                guard n > 0 else {
                    throw KernelError(.archive, "\(archive): entry '\(shown)' cannot be read: \(errorText(reader))")
                }
                written += Int64(n)
                report.totalBytes += Int64(n)
                guard written <= limits.maxEntryBytes else {
                    throw refuse(shown, "holds more than the limit of \(limits.maxEntryBytes) bytes per file")
                }
                guard report.totalBytes <= limits.maxTotalBytes else {
                    throw refuse(shown, "takes the archive over the limit of \(limits.maxTotalBytes) bytes unpacked")
                }
                if report.totalBytes > limits.ratioFloorBytes,
                   report.totalBytes / archiveBytes > limits.maxCompressionRatio {
                    throw refuse(shown, "takes the archive over a compression ratio of \(limits.maxCompressionRatio) "
                        + "(\(report.totalBytes) bytes from \(archiveBytes))")
                }
                let complete = buffer.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < n {
                        let w = write(fd, bytes.baseAddress! + offset, n - offset)
                        guard w > 0 else { return false }
                        offset += w
                    }
                    return true
                }
                guard complete else { throw ioError("cannot write", path) }
            }
            guard fchmod(fd, mode(archived, shown, directory: false)) == 0 else { throw ioError("cannot set the mode of", path) }
            report.files += 1
        }
        // Deepest first, so a folder's own mode never stops its children's.
        for (path, mode) in directoryModes.reversed() where chmod(path, mode) != 0 {
            throw ioError("cannot set the mode of", path)
        }
        return report
    }

    /// Creates the folders above the entry that the archive did not list (yet), refusing a parent that is a
    /// file or that collides with another spelling.
    mutating func makeParents(_ parts: [String], entry: String) throws {
        for depth in 1..<parts.count {
            let prefix = parts[..<depth]
            let key = ArchivePath.collisionKey(prefix)
            let spelling = Array(prefix.joined(separator: "/").utf8)
            if let earlier = seen[key] {
                guard earlier.isDirectory else {
                    throw refuse(entry, "is inside '\(String(decoding: earlier.spelling, as: UTF8.self))', which is a file")
                }
                guard earlier.spelling == spelling else {
                    throw refuse(entry, "collides with '\(String(decoding: earlier.spelling, as: UTF8.self))' (names that differ only by case or Unicode normalisation)")
                }
                continue
            }
            let path = root + "/" + prefix.joined(separator: "/")
            guard mkdir(path, 0o755) == 0 else { throw ioError("cannot create", path) }
            seen[key] = (spelling, true)
            report.directories += 1
        }
    }

    /// The mode written for an entry archived with `archived`: setuid, setgid, sticky and world-write
    /// stripped (reported), owner read/write (and search for folders) added.
    mutating func mode(_ archived: UInt32, _ entry: String, directory: Bool) -> mode_t {
        let written = (archived & 0o775) | (directory ? 0o700 : 0o600)
        if archived & 0o7002 != 0 {
            report.strippedModes.append(.init(path: entry, archivedMode: archived, writtenMode: written))
        }
        return mode_t(written)
    }

    func pathBytes(_ entry: OpaquePointer) -> [UInt8] {
        if let p = kernel_archive_entry_pathname_utf8(entry) ?? kernel_archive_entry_pathname(entry) {
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        }
        return []
    }

    func errorText(_ reader: OpaquePointer) -> String {
        kernel_archive_error_string(reader).map { String(cString: $0) } ?? "unknown error"
    }

    func ioError(_ what: String, _ path: String) -> KernelError {
        KernelError(.io, "\(what) '\(path)': \(String(cString: strerror(errno)))")
    }

    /// Whether the file is a gzip stream or a ustar/pax/GNU tar (the `ustar` magic at byte 257); anything else
    /// libarchive opens is a zip, whose central directory is checked first.
    static func isTar(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 262)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 262) }
        if n >= 2, head[0] == 0x1F, head[1] == 0x8B { return true }
        return n == 262 && head[257..<262].elementsEqual("ustar".utf8)
    }

    static func typeName(_ type: UInt32) -> String {
        switch type {
        case 0o020000: "character device"
        case 0o060000: "block device"
        case 0o010000: "FIFO"
        case 0o140000: "socket"
        default: "entry of unknown type \(String(type, radix: 8))"
        }
    }
}
