internal import CArchive
import Foundation
import KernelCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Writes a folder as a `.tar.gz` that is the same byte for byte whenever the folder's content is: entries in
/// byte order of their paths, every folder listed, mtime fixed (``fixedModificationTime``), owner 0:0 without
/// names, modes normalised (folders 755, files 644, or 755 when anyone may execute them), no timestamp in the
/// gzip header. `.git` folders are left out. A link, device, FIFO or socket in the folder is an error (the
/// archive would be refused by ``SafeArchive`` anyway).
public enum ReproducibleArchive {
    /// 1980-01-01T00:00:00Z, the earliest time a zip can hold: the mtime of every entry.
    public static let fixedModificationTime: Int64 = 315_532_800

    /// Writes `folder`'s tree to `archive` (created or replaced).
    /// - Returns: the number of files written.
    /// - Throws: `KernelError` `.io` naming the file that is not a regular file or folder, or that cannot be read;
    ///   `.archive` when libarchive fails.
    @discardableResult
    public static func writeTarGz(of folder: String, to archive: String) throws -> Int {
        var entries: [(relative: String, isDirectory: Bool, executable: Bool, size: Int64)] = []
        try collect(folder, "", into: &entries)
        entries.sort { Array($0.relative.utf8).lexicographicallyPrecedes(Array($1.relative.utf8)) }

        if let problem = kernel_archive_load_error() { throw KernelError(.archive, String(cString: problem)) }
        guard let writer = kernel_archive_write_new() else { throw KernelError(.archive, "archive_write_new failed") }
        defer { _ = kernel_archive_write_free(writer) }
        func check(_ status: Int32, _ what: String) throws {
            guard status == ARCHIVE_OK else {
                throw KernelError(.archive, "\(archive): \(what): "
                    + (kernel_archive_error_string(writer).map { String(cString: $0) } ?? "error \(status)"))
            }
        }
        try check(kernel_archive_write_set_format_pax_restricted(writer), "tar format")
        try check(kernel_archive_write_add_filter_gzip(writer), "gzip filter")
        try check(kernel_archive_write_set_options(writer, "gzip:!timestamp"), "gzip options")
        try check(kernel_archive_write_set_bytes_in_last_block(writer, 1), "block size")
        try check(kernel_archive_write_open_filename(writer, archive), "open")
        guard let entry = kernel_archive_entry_new() else { throw KernelError(.archive, "archive_entry_new failed") }
        defer { kernel_archive_entry_free(entry) }
        var files = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        for item in entries {
            // A fresh entry each time: clear by re-setting every field written.
            kernel_archive_entry_set_pathname_utf8(entry, item.relative + (item.isDirectory ? "/" : ""))
            kernel_archive_entry_set_filetype(entry, item.isDirectory ? KERNEL_AE_IFDIR : KERNEL_AE_IFREG)
            kernel_archive_entry_set_perm(entry, item.isDirectory || item.executable ? 0o755 : 0o644)
            kernel_archive_entry_set_size(entry, item.isDirectory ? 0 : item.size)
            kernel_archive_entry_set_mtime(entry, fixedModificationTime)
            kernel_archive_entry_set_uid(entry, 0)
            kernel_archive_entry_set_gid(entry, 0)
            try check(kernel_archive_write_header(writer, entry), "entry '\(item.relative)'")
            guard !item.isDirectory else { continue }
            let path = folder + "/" + item.relative
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw KernelError(.io, "cannot read '\(path)': \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var total: Int64 = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw KernelError(.io, "cannot read '\(path)': \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                total += Int64(n)
                let w = buffer.withUnsafeBytes { kernel_archive_write_data(writer, $0.baseAddress, n) }
                guard w == n else { try check(ARCHIVE_FATAL, "entry '\(item.relative)'"); break }
            }
            guard total == item.size else { throw KernelError(.io, "'\(path)' changed while it was archived") }
            files += 1
        }
        try check(kernel_archive_write_close(writer), "close")
        return files
    }

    private static func collect(_ root: String, _ relative: String,
                                into entries: inout [(relative: String, isDirectory: Bool, executable: Bool, size: Int64)]) throws {
        let folder = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw KernelError(.io, wrapping: error, context: "cannot list '\(folder)'")
        }
        for name in names where name != ".git" {
            let child = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard lstat(root + "/" + child, &st) == 0 else {
                throw KernelError(.io, "cannot read '\(root)/\(child)': \(String(cString: strerror(errno)))")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append((child, true, false, 0))
                try collect(root, child, into: &entries)
            case S_IFREG:
                entries.append((child, false, st.st_mode & 0o111 != 0, Int64(st.st_size)))
            case S_IFLNK:
                throw KernelError(.io, "'\(root)/\(child)' is a symbolic link: a published plugin must hold only files and folders")
            default:
                throw KernelError(.io, "'\(root)/\(child)' is not a regular file or folder")
            }
        }
    }
}
