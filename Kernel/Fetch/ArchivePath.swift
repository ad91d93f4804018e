/// The rules an archive entry's path must follow to be unpacked: pure, so tests and the fuzzer check them
/// without an archive.
public enum ArchivePath {
    /// A path that was refused, and why (a sentence fragment: "has a '..' component").
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The longest path component accepted, in bytes (the common file-system limit).
    public static let maxComponentBytes = 255
    /// The longest path accepted, in bytes.
    public static let maxPathBytes = 4096

    /// Checks an entry's path and returns its components.
    ///
    /// Accepted: relative `/`-separated UTF-8 paths; `.` components and empty ones (a leading `./`, a trailing
    /// `/`, `a//b`) are dropped. Refused: a path that is not UTF-8, empty after that, absolute (`/…`), with a
    /// drive letter (`C:…`), a backslash, a `..` component, a control character, a component over 255 bytes, a
    /// path over 4096 bytes or deeper than `maxDepth` components.
    /// - Parameters:
    ///   - bytes: the path as the archive stores it.
    ///   - maxDepth: the most components accepted.
    /// - Returns: the components; empty for the archive's root itself (`./`), which callers skip.
    /// - Throws: ``Refusal`` naming the rule broken.
    public static func components(_ bytes: [UInt8], maxDepth: Int) throws(Refusal) -> [String] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Refusal(reason: "is not valid UTF-8")
        }
        guard !bytes.isEmpty else { throw Refusal(reason: "is empty") }
        guard bytes.count <= maxPathBytes else { throw Refusal(reason: "is longer than \(maxPathBytes) bytes") }
        if bytes.contains(UInt8(ascii: "\\")) { throw Refusal(reason: "has a backslash") }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw Refusal(reason: "has a control character") }
        if bytes.first == UInt8(ascii: "/") { throw Refusal(reason: "is absolute") }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"), isASCIILetter(bytes[0]) {
            throw Refusal(reason: "starts with a drive letter")
        }
        var parts: [String] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw Refusal(reason: "has a '..' component") }
            if part.utf8.count > maxComponentBytes {
                throw Refusal(reason: "has a component longer than \(maxComponentBytes) bytes")
            }
            parts.append(String(part))
        }
        if parts.count > maxDepth { throw Refusal(reason: "is \(parts.count) levels deep (limit \(maxDepth))") }
        return parts
    }

    /// The key two paths collide under: case-folded and compared by Unicode canonical equivalence (Swift
    /// `String` equality), so `A.md`/`a.md` and NFC/NFD spellings of `é.md` are one name, as on a
    /// case-insensitive or normalising file system (macOS, Windows).
    public static func collisionKey(_ components: ArraySlice<String>) -> String {
        components.joined(separator: "/").lowercased()
    }

    private static func isASCIILetter(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
    }
}
