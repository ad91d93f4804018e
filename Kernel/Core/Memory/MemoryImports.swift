/// `@path` references in an AGENTS.md file (`seeds/cli-memory.md`, "Import Other Files").
///
/// A reference is `@` at the start of the text or after a space, tab or line end, followed by the path up to the
/// next whitespace. It counts as a file when it starts with `./`, `../`, `~/` or `/`, or looks like a file name
/// (`README.md`, `docs/testing.md`, `.env.example`): the reference host's test, so `@user`, `@scope/pkg` and
/// email-like text are not imports. Trailing sentence punctuation (`See @README.md.`) is not part of the path.
/// References inside inline code (`` `@x.md` ``) and fenced code blocks (```` ``` ```` or `~~~`) are ignored.
public enum MemoryImports {
    public struct Reference: Sendable, Equatable {
        /// The path as written.
        public var path: String
        /// The UTF-8 byte range of `@path` in the text (to splice the imported content in).
        public var range: Range<Int>
        public var line: Int
        public var column: Int
    }

    public static func references(in text: String) -> [Reference] {
        let bytes = Array(text.utf8)
        let code = codeRanges(bytes)
        var out: [Reference] = []
        var codeIndex = 0
        var line = 1
        var lineStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A { line += 1; lineStart = i + 1; i += 1; continue }
            guard b == UInt8(ascii: "@"), i == 0 || isSpace(bytes[i - 1]) else { i += 1; continue }
            while codeIndex < code.count && code[codeIndex].upperBound <= i { codeIndex += 1 }
            var end = i + 1
            while end < bytes.count && !isSpace(bytes[end]) { end += 1 }
            if codeIndex < code.count && code[codeIndex].contains(i) { i = end; continue }
            var pathEnd = end
            while pathEnd > i + 1, isTrailingPunctuation(bytes[pathEnd - 1]) { pathEnd -= 1 }
            let path = String(decoding: bytes[(i + 1)..<pathEnd], as: UTF8.self)
            if looksLikeFile(path) {
                let column = String(decoding: bytes[lineStart..<i], as: UTF8.self).unicodeScalars.count + 1
                out.append(Reference(path: path, range: i..<pathEnd, line: line, column: column))
            }
            i = end
        }
        return out
    }

    /// The reference host's test for "this `@word` names a file".
    public static func looksLikeFile(_ t: String) -> Bool {
        if t.isEmpty { return false }
        if t.hasPrefix("./") || t.hasPrefix("../") || t.hasPrefix("~/") { return true }
        if t.hasPrefix("/") { return t.count > 1 }
        if t.hasPrefix("file://") || t.hasPrefix("http://") || t.hasPrefix("https://") { return false }
        guard let first = t.unicodeScalars.first, first.isASCIIAlnum || first == "." || first == "_" || first == "-" else { return false }
        let hasExtension = endsWithExtension(t) || t.split(separator: "/").dropLast().contains { endsWithExtension($0) }
        if !hasExtension && !t.hasPrefix(".") { return false }
        if t.contains("/"), !hasExtension, !(t.split(separator: "/").first?.contains(".") ?? false) { return false }
        return true
    }

    static func endsWithExtension<S: StringProtocol>(_ s: S) -> Bool {
        guard let dot = s.lastIndex(of: ".") else { return false }
        let ext = s[s.index(after: dot)...]
        return !ext.isEmpty && ext.unicodeScalars.allSatisfy(\.isASCIIAlnum)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func isTrailingPunctuation(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"),
             UInt8(ascii: "?"), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        default: false
        }
    }

    /// Byte ranges of fenced code blocks and inline code spans, in order.
    static func codeRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = 0
        var atLineStart = true
        while i < bytes.count {
            let b = bytes[i]
            if atLineStart {
                // A fence: up to 3 spaces, then ``` or ~~~; it runs to a closing fence of the same kind or the end.
                var j = i
                while j < bytes.count && j - i < 3 && bytes[j] == 0x20 { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: "`") || bytes[j] == UInt8(ascii: "~") {
                    let fence = bytes[j]
                    var n = 0
                    while j + n < bytes.count && bytes[j + n] == fence { n += 1 }
                    if n >= 3 {
                        let end = closingFence(bytes, from: j + n, fence: fence, length: n)
                        ranges.append(i..<end)
                        i = end
                        atLineStart = true
                        continue
                    }
                }
            }
            atLineStart = false
            if b == 0x0A { atLineStart = true; i += 1; continue }
            if b == UInt8(ascii: "`") {
                var n = 0
                while i + n < bytes.count && bytes[i + n] == UInt8(ascii: "`") { n += 1 }
                // The span closes at the next run of exactly n backticks.
                var k = i + n
                var close: Int?
                while k < bytes.count {
                    if bytes[k] == UInt8(ascii: "`") {
                        var m = 0
                        while k + m < bytes.count && bytes[k + m] == UInt8(ascii: "`") { m += 1 }
                        if m == n { close = k + m; break }
                        k += m
                    } else {
                        k += 1
                    }
                }
                if let close {
                    ranges.append(i..<close)
                    i = close
                } else {
                    i += n
                }
                continue
            }
            i += 1
        }
        return ranges
    }

    static func closingFence(_ bytes: [UInt8], from start: Int, fence: UInt8, length: Int) -> Int {
        var i = start
        // Skip the rest of the opening line.
        while i < bytes.count && bytes[i] != 0x0A { i += 1 }
        while i < bytes.count {
            i += 1  // past the newline
            var j = i
            while j < bytes.count && j - i < 3 && bytes[j] == 0x20 { j += 1 }
            var n = 0
            while j + n < bytes.count && bytes[j + n] == fence { n += 1 }
            var lineEnd = j + n
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            if n >= length && bytes[(j + n)..<lineEnd].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                return lineEnd
            }
            i = lineEnd
        }
        return bytes.count
    }

    /// The text without HTML comments (`<!-- … -->`) outside code, as the reference host strips them from
    /// memory files before injecting them. An unclosed comment is kept.
    public static func strippingComments(_ text: String) -> String {
        guard contains(text, UInt8(ascii: "<")) else { return text }
        let bytes = Array(text.utf8)
        guard find(bytes, "<!--", from: 0) != nil else { return text }
        let code = codeRanges(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var c = 0
        while i < bytes.count {
            while c < code.count && code[c].upperBound <= i { c += 1 }
            if c < code.count && code[c].contains(i) {
                out.append(contentsOf: bytes[i..<code[c].upperBound])
                i = code[c].upperBound
                continue
            }
            if bytes[i] == UInt8(ascii: "<"), i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "!"),
               bytes[i + 2] == UInt8(ascii: "-"), bytes[i + 3] == UInt8(ascii: "-"),
               let end = find(bytes, "-->", from: i + 4) {
                i = end + 3
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func find(_ bytes: [UInt8], _ needle: StaticString, from: Int) -> Int? {
        needle.withUTF8Buffer { n in
            var i = from
            while i + n.count <= bytes.count {
                if bytes[i] == n[0] {
                    var k = 1
                    while k < n.count && bytes[i + k] == n[k] { k += 1 }
                    if k == n.count { return i }
                }
                i += 1
            }
            return nil
        }
    }

    /// True when the text holds an `@` (nothing to import otherwise).
    public static func mayHaveReferences(_ text: String) -> Bool {
        contains(text, UInt8(ascii: "@"))
    }

    /// Whether the text's UTF-8 holds `byte`: over its contiguous storage (a native string), not through the
    /// generic `String.UTF8View` iteration, which costs every rule of a start ten instructions a byte.
    static func contains(_ text: String, _ byte: UInt8) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? text.utf8.contains(byte)
    }
}

extension Unicode.Scalar {
    var isASCIIAlnum: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
