import KernelCore
#if canImport(Glibc)
internal import Glibc
#endif

/// A bounded pass over a zip's central directory, before libarchive reads it: the raw entry names (libarchive
/// turns a zip name's backslashes into `/`, which would hide `a\..\b`), and the real entry count, walked record
/// by record, so a forged count in the end record allocates nothing.
enum ZipDirectory {
    /// The largest central directory read (a zip within the default limits needs a few MiB at most).
    static let maxDirectoryBytes = 64 << 20

    /// Checks every name the central directory lists. A file with no end record that does not start with `PK`
    /// is not a zip: nothing is checked (libarchive then reads it as a tar, or refuses it).
    /// - Throws: `KernelError` `.archive` naming an entry with a backslash, when there are more entries than
    ///   `maxEntries`, or when the directory is malformed or too large.
    static func check(_ path: String, maxEntries: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError(.io, "cannot read '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw KernelError(.io, "cannot read '\(path)'") }
        let size = Int(st.st_size)
        func read(_ offset: Int, _ count: Int) -> [UInt8]? {
            guard offset >= 0, count >= 0, offset + count <= size else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? out : nil
        }
        func malformed(_ why: String) -> KernelError { KernelError(.archive, "\(path): malformed zip: \(why)") }

        let tailLength = min(size, 22 + 65_535)
        guard let tail = read(size - tailLength, tailLength) else { throw malformed("cannot read its end") }
        guard let end = lastIndex(of: [0x50, 0x4B, 0x05, 0x06], in: tail, atLeast: 22) else {
            // Not a zip at all (an old tar, junk): libarchive decides. A file that starts like a zip must have one.
            guard let head = read(0, 2), head == [0x50, 0x4B] else { return }
            throw malformed("no end of central directory record")
        }
        let endOffset = size - tailLength + end
        var directorySize = Int(le32(tail, end + 12))
        var directoryOffset = Int(le32(tail, end + 16))
        if directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: the locator just before the end record points at the zip64 end record.
            guard let locator = read(endOffset - 20, 20), locator.starts(with: [0x50, 0x4B, 0x06, 0x07]),
                  let record = read(Int(clamping: le64(locator, 8)), 56), record.starts(with: [0x50, 0x4B, 0x06, 0x06])
            else { throw malformed("a zip64 end record that cannot be read") }
            directorySize = Int(clamping: le64(record, 40))
            directoryOffset = Int(clamping: le64(record, 48))
        }
        guard directorySize <= maxDirectoryBytes else {
            throw KernelError(.archive, "\(path): its central directory is \(directorySize) bytes (limit \(maxDirectoryBytes))")
        }
        guard let directory = read(directoryOffset, directorySize) else {
            throw malformed("the central directory lies outside the file")
        }
        var i = 0
        var count = 0
        while i < directory.count {
            guard i + 46 <= directory.count, directory[i..<i + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) else {
                throw malformed("a broken central directory record at byte \(directoryOffset + i)")
            }
            let nameLength = Int(le16(directory, i + 28))
            let skip = 46 + nameLength + Int(le16(directory, i + 30)) + Int(le16(directory, i + 32))
            guard i + skip <= directory.count else { throw malformed("a central directory record runs past its end") }
            let name = directory[(i + 46)..<(i + 46 + nameLength)]
            count += 1
            if count > maxEntries {
                throw KernelError(.archive, "\(path): entry '\(String(decoding: name, as: UTF8.self))' is over the limit of \(maxEntries) entries")
            }
            if name.contains(UInt8(ascii: "\\")) {
                throw KernelError(.archive, "\(path): entry '\(String(decoding: name, as: UTF8.self))' is refused: its path has a backslash")
            }
            i += skip
        }
    }

    static func lastIndex(of signature: [UInt8], in bytes: [UInt8], atLeast room: Int) -> Int? {
        var i = bytes.count - room
        while i >= 0 {
            if bytes[i] == signature[0], bytes[i + 1] == signature[1], bytes[i + 2] == signature[2], bytes[i + 3] == signature[3] {
                return i
            }
            i -= 1
        }
        return nil
    }

    static func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func le32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(le16(b, i)) | UInt32(le16(b, i + 2)) << 16 }
    static func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }
}
