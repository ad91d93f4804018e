/// A strict JSON reader (RFC 8259) that keeps the line and column of every value and key, so that a
/// diagnostic about `hooks.json` or `plugin.json` can point at the exact place. Foundation's
/// JSONSerialization gives no positions; this reader gives them and is faster on the small files it reads.
///
/// Duplicate keys are not an error (JSON.parse keeps the last one, and so does `Node`'s subscript); they are
/// reported through `duplicateKeys` so validators can warn.
public struct JSONReader {
    /// A syntax error, with the position of the offending byte.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var line: Int
        public var column: Int
        public var description: String { "\(line):\(column): \(message)" }
    }

    /// A key seen twice in one object: the later occurrence's position and the earlier one's line.
    public struct DuplicateKey: Sendable {
        public var key: String
        public var line: Int
        public var column: Int
        public var firstLine: Int
    }

    /// The most deeply nested arrays/objects accepted; deeper input is an error, not a stack overflow.
    public static let maxDepth = 256

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0  // byte index where the current line starts
    private var columnMark = (index: 0, column: 1)  // the last column computed, on the current line
    private var depth = 0
    public private(set) var duplicateKeys: [DuplicateKey] = []

    /// Whether `//` and `/* */` comments count as whitespace (the Qoder CLI's settings files: it reads and
    /// keeps them; trailing commas stay errors there too).
    private let comments: Bool

    private init(bytes: [UInt8], comments: Bool) {
        self.bytes = bytes
        self.comments = comments
    }

    /// Parses a whole JSON document.
    /// - Returns: the root value and the duplicate keys met.
    /// - Throws: `SyntaxError` for anything that is not JSON (a UTF-8 BOM is skipped, as JSON.parse after
    ///   reading a file with Node's `utf8` decoding does not, but every editor writes one on request).
    /// - Parameter comments: accept `//` and `/* */` comments where whitespace may stand (settings files).
    public static func parse(_ bytes: [UInt8], comments: Bool = false) throws(SyntaxError) -> (root: Node, duplicateKeys: [DuplicateKey]) {
        var reader = JSONReader(bytes: bytes, comments: comments)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            reader.index = 3
            reader.lineStart = 3
        }
        try reader.skipWhitespace()
        let root = try reader.parseValue()
        try reader.skipWhitespace()
        if reader.index < bytes.count {
            throw reader.error("unexpected \(reader.describeCurrent()) after the end of the JSON value")
        }
        return (root, reader.duplicateKeys)
    }

    public static func parse(_ text: String, comments: Bool = false) throws(SyntaxError) -> (root: Node, duplicateKeys: [DuplicateKey]) {
        try parse(Array(text.utf8), comments: comments)
    }

    // MARK: - Positions

    /// Column of byte `i` on the current line, counting Unicode scalars (UTF-8 lead bytes), 1-based.
    /// Incremental: positions asked for only move forward on a line, so the count continues from the last
    /// one asked (a line of any length costs one pass, not one pass per key).
    private mutating func column(at i: Int) -> Int {
        if columnMark.index < lineStart || columnMark.index > i { columnMark = (lineStart, 1) }
        var col = columnMark.column
        var j = columnMark.index
        while j < i {
            if bytes[j] & 0xC0 != 0x80 { col += 1 }
            j += 1
        }
        columnMark = (i, col)
        return col
    }

    /// The same count without the mark, for errors (computed once per parse).
    private func errorColumn(at i: Int) -> Int {
        var col = 1
        var j = lineStart
        while j < i {
            if bytes[j] & 0xC0 != 0x80 { col += 1 }
            j += 1
        }
        return col
    }

    private func error(_ message: String, at i: Int? = nil) -> SyntaxError {
        let at = i ?? index
        return SyntaxError(message: message, line: line, column: errorColumn(at: at))
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let b = bytes[index]
        if b >= 0x20 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    // MARK: - Grammar

    private mutating func skipWhitespace() throws(SyntaxError) {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D:
                index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            case 0x2F where comments && index + 1 < bytes.count && bytes[index + 1] == 0x2F:
                // `// …` to the end of the line (the line break is whitespace, counted above).
                index += 2
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            case 0x2F where comments && index + 1 < bytes.count && bytes[index + 1] == 0x2A:
                let open = (index: index, line: line, lineStart: lineStart)
                index += 2
                while true {
                    guard index < bytes.count else {
                        (line, lineStart) = (open.line, open.lineStart)
                        throw error("unterminated comment: '/*' without '*/'", at: open.index)
                    }
                    if bytes[index] == 0x2A, index + 1 < bytes.count, bytes[index + 1] == 0x2F {
                        index += 2
                        break
                    }
                    if bytes[index] == 0x0A {
                        line += 1
                        lineStart = index + 1
                    }
                    index += 1
                }
            default:
                return
            }
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> Node {
        let start = index
        var node = try parseBareValue()
        node.byteRange = start..<index
        return node
    }

    private mutating func parseBareValue() throws(SyntaxError) -> Node {
        guard index < bytes.count else { throw error("unexpected end of file, expected a value") }
        let startLine = line
        let startColumn = column(at: index)
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return try parseObject(line: startLine, column: startColumn)
        case UInt8(ascii: "["):
            return try parseArray(line: startLine, column: startColumn)
        case UInt8(ascii: "\""):
            let s = try parseString()
            return Node(.string(s), line: startLine, column: startColumn)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return Node(.bool(true), line: startLine, column: startColumn, text: "true")
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return Node(.bool(false), line: startLine, column: startColumn, text: "false")
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return Node(.null, line: startLine, column: startColumn, text: "null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let n = try parseNumber()
            return Node(.number(n), line: startLine, column: startColumn, text: n)
        default:
            throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func expectLiteral(_ word: String) throws(SyntaxError) {
        let start = index
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
            index += 1
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ r: inout JSONReader) -> Int {
            let s = r.index
            while r.index < r.bytes.count, r.bytes[r.index] >= 0x30, r.bytes[r.index] <= 0x39 { r.index += 1 }
            return r.index - s
        }
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else {
            throw error("invalid number: expected a digit")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                throw error("invalid number: leading zeros are not allowed", at: start)
            }
        } else {
            _ = digits(&self)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits(&self) == 0 { throw error("invalid number: expected a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            if digits(&self) == 0 { throw error("invalid number: expected a digit in the exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let open = index
        index += 1  // opening quote
        var out: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: open) }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[runStart..<index])
                try parseEscape(into: &out)
                runStart = index
                continue
            }
            if b < 0x20 {
                throw error(b == 0x0A ? "unterminated string (a newline must be written \\n)"
                                      : "control character in string must be escaped")
            }
            if b >= 0x80 {
                try skipUTF8Sequence()
                continue
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Checks one multi-byte UTF-8 sequence at `index` and steps over it.
    private mutating func skipUTF8Sequence() throws(SyntaxError) {
        let b = bytes[index]
        let length: Int
        let minScalar: UInt32
        switch b {
        case 0xC2...0xDF: length = 2; minScalar = 0x80
        case 0xE0...0xEF: length = 3; minScalar = 0x800
        case 0xF0...0xF4: length = 4; minScalar = 0x10000
        default: throw error("invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true))")
        }
        guard index + length <= bytes.count else { throw error("truncated UTF-8 sequence") }
        var scalar = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length {
            let c = bytes[index + k]
            guard c & 0xC0 == 0x80 else { throw error("invalid UTF-8 sequence") }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
            throw error("invalid UTF-8 sequence")
        }
        index += length
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(SyntaxError) {
        let start = index
        if let message = Self.decodeEscape(bytes, at: &index, end: bytes.count, into: &out) {
            throw error(message, at: start)
        }
    }

    /// Decodes the escape sequence at `i` (a backslash) into UTF-8, appends it to `out` and moves `i` past it:
    /// the one decoding of JSON escapes, shared with the hook engine's field scanner. A high surrogate must be
    /// followed by an escaped low one to pair; a lone surrogate becomes U+FFFD (JSON.parse keeps it).
    /// - Returns: nil, or the error message (the error is at the backslash; `i` is then unspecified).
    public static func decodeEscape(_ bytes: [UInt8], at i: inout Int, end: Int, into out: inout [UInt8]) -> String? {
        i += 1
        guard i < end else { return "unterminated escape sequence" }
        let c = bytes[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard var scalar = hex4(bytes, at: &i, end: end) else { return "invalid \\u escape: expected 4 hex digits" }
            if (0xD800...0xDBFF).contains(scalar) {
                if i + 1 < end, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    guard let low = hex4(bytes, at: &i, end: end) else { return "invalid \\u escape: expected 4 hex digits" }
                    guard (0xDC00...0xDFFF).contains(low) else { return "invalid surrogate pair in \\u escape" }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(scalar) {
                scalar = 0xFFFD
            }
            appendUTF8(scalar, to: &out)
        default:
            let shown = c >= 0x20 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "\\u{\(String(c, radix: 16))}"
            return "invalid escape sequence '\\\(shown)'"
        }
        return nil
    }

    private static func hex4(_ bytes: [UInt8], at i: inout Int, end: Int) -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80: out.append(UInt8(scalar))
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseArray(line: Int, column: Int) throws(SyntaxError) -> Node {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [Node] = []
        try skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return Node(.array(items), line: line, column: column)
        }
        while true {
            try skipWhitespace()
            items.append(try parseValue())
            try skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file, expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                try skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    throw error("trailing comma in array")
                }
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return Node(.array(items), line: line, column: column)
            }
            throw error("unexpected \(describeCurrent()), expected ',' or ']' in array")
        }
    }

    private mutating func parseObject(line: Int, column: Int) throws(SyntaxError) -> Node {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [Node.Member] = []
        var seen: [String: Int] = [:]
        try skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return Node(.object(members), line: line, column: column)
        }
        while true {
            try skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file, expected a key") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "}") { throw error("trailing comma in object") }
                throw error("unexpected \(describeCurrent()), expected a key in double quotes")
            }
            let keyLine = self.line
            let keyColumn = self.column(at: index)
            let keyOffset = index
            let key = try parseString()
            try skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()), expected ':' after key \"\(key)\"")
            }
            index += 1
            try skipWhitespace()
            let value = try parseValue()
            if let first = seen[key] {
                duplicateKeys.append(DuplicateKey(key: key, line: keyLine, column: keyColumn, firstLine: first))
            } else {
                seen[key] = keyLine
            }
            var member = Node.Member(key: key, keyLine: keyLine, keyColumn: keyColumn, value: value)
            member.keyByteOffset = keyOffset
            members.append(member)
            try skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file, expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return Node(.object(members), line: line, column: column)
            }
            throw error("unexpected \(describeCurrent()), expected ',' or '}' in object")
        }
    }
}
