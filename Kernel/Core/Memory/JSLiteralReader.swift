/// A value of the JavaScript object-literal subset that a workflow's `meta` uses.
public indirect enum JSLiteral: Sendable, Equatable {
    case string(String)
    /// The number as written (`-1.5e3`, `0x1F`); `doubleValue` reads it.
    case number(String)
    case bool(Bool)
    case null
    case array([JSLiteral])
    /// Members in source order, each with the byte offset of its key.
    case object([(key: String, offset: Int, value: JSLiteral)])

    public static func == (a: JSLiteral, b: JSLiteral) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public subscript(key: String) -> JSLiteral? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }

    public var kindDescription: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as JSON (numbers that JSON cannot hold, like hex, become their double value).
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n):
            if let i = Int(n) { .int(i) } else { JSLiteralReader.doubleValue(n).map { .double($0) } ?? .string(n) }
        case .bool(let b): .bool(b)
        case .null: .null
        case .array(let items): .array(items.map(\.json))
        case .object(let members): .object(members.map { ($0.key, $0.value.json) })
        }
    }
}

/// Reads one object literal of the subset JSON-like JavaScript `meta` objects are written in: unquoted or quoted
/// keys, single, double or backtick quotes (no `${…}`), trailing commas, `//` and `/* */` comments, numbers
/// (decimal, hex, octal, binary, exponent, a leading `-`), `true`, `false`, `null`, nested arrays and objects.
/// Nothing is evaluated. Anything else — identifiers, calls, spreads, shorthand or computed keys, `__proto__` —
/// is an error with its byte offset. Bounded: nesting deeper than `maxDepth` is an error, and every step
/// consumes input, so any input finishes in time linear in its size.
public struct JSLiteralReader {
    public struct Failure: Error, Sendable, Equatable {
        public var message: String
        public var offset: Int
    }

    public static let maxDepth = 64
    let bytes: [UInt8]
    var i: Int
    var depth = 0

    public init(_ bytes: [UInt8], at offset: Int = 0) {
        self.bytes = bytes
        self.i = offset
    }

    /// The offset just after the last value read.
    public var offset: Int { i }

    /// Skips whitespace and comments; fails on an unterminated block comment.
    public mutating func skipTrivia() throws(Failure) {
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C {
                i += 1
            } else if b == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0xA0 {
                i += 2
            } else if b == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBB, bytes[i + 2] == 0xBF {
                i += 3
            } else if b == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            } else if b == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                let start = i
                i += 2
                while true {
                    if i + 1 >= bytes.count { throw Failure(message: "unterminated /* comment", offset: start) }
                    if bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/") { i += 2; break }
                    i += 1
                }
            } else {
                return
            }
        }
    }

    /// Reads an identifier-like word at the cursor (letters, digits, `_`, `$`), or nil.
    public mutating func word() -> String? {
        let start = i
        while i < bytes.count, Self.isIdentifierByte(bytes[i]) { i += 1 }
        return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
    }

    /// Consumes `byte` after trivia, or fails with `expected`.
    public mutating func expect(_ byte: UInt8, _ expected: String) throws(Failure) {
        try skipTrivia()
        guard i < bytes.count, bytes[i] == byte else { throw Failure(message: "expected \(expected), found \(found())", offset: i) }
        i += 1
    }

    /// Reads one value.
    public mutating func value() throws(Failure) -> JSLiteral {
        try skipTrivia()
        guard i < bytes.count else { throw Failure(message: "expected a value, found the end of the file", offset: i) }
        let b = bytes[i]
        switch b {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default:
            let start = i
            guard let w = word() else { throw Failure(message: "expected a value, found \(found())", offset: i) }
            switch w {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                i = start
                throw Failure(message: "'\(w)' is not a literal: meta must be a pure literal (no variables, calls or computed values)", offset: start)
            }
        }
    }

    mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw Failure(message: "nesting is deeper than \(Self.maxDepth) levels", offset: i) }
    }

    mutating func object() throws(Failure) -> JSLiteral {
        try enter()
        i += 1
        var members: [(key: String, offset: Int, value: JSLiteral)] = []
        while true {
            try skipTrivia()
            guard i < bytes.count else { throw Failure(message: "expected '}' or a key, found the end of the file", offset: i) }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            let keyOffset = i
            let key: String
            switch bytes[i] {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                key = try string()
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                key = try number()
            case UInt8(ascii: "["):
                throw Failure(message: "computed keys are not allowed in meta", offset: i)
            case UInt8(ascii: "."):
                throw Failure(message: "spread is not allowed in meta", offset: i)
            default:
                guard let w = word() else { throw Failure(message: "expected a key, found \(found())", offset: i) }
                key = w
            }
            if key == "__proto__" || key == "constructor" || key == "prototype" {
                throw Failure(message: "reserved key name not allowed in meta: \(key)", offset: keyOffset)
            }
            try skipTrivia()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                if i < bytes.count, bytes[i] == UInt8(ascii: ",") || bytes[i] == UInt8(ascii: "}") {
                    throw Failure(message: "shorthand property '\(key)' is not a literal; write '\(key): value'", offset: keyOffset)
                }
                if i < bytes.count, bytes[i] == UInt8(ascii: "(") {
                    throw Failure(message: "methods are not allowed in meta", offset: keyOffset)
                }
                throw Failure(message: "expected ':' after key '\(key)', found \(found())", offset: i)
            }
            i += 1
            let v = try value()
            members.append((key, keyOffset, v))
            try skipTrivia()
            guard i < bytes.count else { throw Failure(message: "expected ',' or '}', found the end of the file", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw Failure(message: "expected ',' or '}', found \(found())", offset: i)
        }
        depth -= 1
        return .object(members)
    }

    mutating func array() throws(Failure) -> JSLiteral {
        try enter()
        i += 1
        var items: [JSLiteral] = []
        while true {
            try skipTrivia()
            guard i < bytes.count else { throw Failure(message: "expected ']' or a value, found the end of the file", offset: i) }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            if bytes[i] == UInt8(ascii: ",") { throw Failure(message: "sparse arrays are not allowed in meta", offset: i) }
            if bytes[i] == UInt8(ascii: "."), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "."), bytes[i + 2] == UInt8(ascii: ".") {
                throw Failure(message: "spread is not allowed in meta", offset: i)
            }
            items.append(try value())
            try skipTrivia()
            guard i < bytes.count else { throw Failure(message: "expected ',' or ']', found the end of the file", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw Failure(message: "expected ',' or ']', found \(found())", offset: i)
        }
        depth -= 1
        return .array(items)
    }

    mutating func string() throws(Failure) -> String {
        let quote = bytes[i]
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else {
                throw Failure(message: "unterminated string (opened here, no closing \(Character(Unicode.Scalar(quote))))", offset: start)
            }
            let b = bytes[i]
            if b == quote { i += 1; break }
            if (b == 0x0A || b == 0x0D) && quote != UInt8(ascii: "`") {
                throw Failure(message: "unterminated string (a line ends before the closing \(Character(Unicode.Scalar(quote))))", offset: start)
            }
            if quote == UInt8(ascii: "`"), b == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
                throw Failure(message: "template interpolation is not allowed in meta", offset: i)
            }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { continue }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "0"): out.append(0)
                case 0x0A: break  // line continuation
                case 0x0D: if i < bytes.count && bytes[i] == 0x0A { i += 1 }
                case UInt8(ascii: "x"):
                    guard let v = hex(count: 2) else { throw Failure(message: "invalid \\x escape", offset: i - 2) }
                    append(scalar: v, to: &out)
                case UInt8(ascii: "u"):
                    let escapeStart = i - 2
                    var v: UInt32?
                    if i < bytes.count, bytes[i] == UInt8(ascii: "{") {
                        i += 1
                        var acc: UInt32 = 0
                        var digits = 0
                        while i < bytes.count, bytes[i] != UInt8(ascii: "}"), let d = Self.hexDigit(bytes[i]), digits < 6 {
                            acc = acc * 16 + d; digits += 1; i += 1
                        }
                        if digits > 0, i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; v = acc }
                    } else {
                        v = hex(count: 4)
                        // A surrogate pair written as two \u escapes.
                        if let hi = v, (0xD800...0xDBFF).contains(hi), i + 1 < bytes.count,
                           bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            let save = i
                            i += 2
                            if let lo = hex(count: 4), (0xDC00...0xDFFF).contains(lo) {
                                v = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                i = save
                            }
                        }
                    }
                    guard let v else { throw Failure(message: "invalid \\u escape", offset: escapeStart) }
                    append(scalar: v, to: &out)
                default:
                    out.append(e)
                }
                continue
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func append(scalar v: UInt32, to out: inout [UInt8]) {
        let s = Unicode.Scalar(v) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(s)).utf8))
    }

    mutating func hex(count: Int) -> UInt32? {
        guard i + count <= bytes.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<count {
            guard let d = Self.hexDigit(bytes[i + k]) else { return nil }
            v = v * 16 + d
        }
        i += count
        return v
    }

    static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    mutating func number() throws(Failure) -> String {
        let start = i
        if bytes[i] == UInt8(ascii: "+") {
            throw Failure(message: "unary '+' is not allowed in meta", offset: i)
        }
        if bytes[i] == UInt8(ascii: "-") {
            i += 1
            try skipTrivia()
        }
        let bodyStart = i
        while i < bytes.count {
            let b = bytes[i]
            let isExponentSign = (b == UInt8(ascii: "+") || b == UInt8(ascii: "-")) && i > bodyStart
                && (bytes[i - 1] == UInt8(ascii: "e") || bytes[i - 1] == UInt8(ascii: "E"))
                && !(bytes[bodyStart] == UInt8(ascii: "0") && i > bodyStart + 1 && (bytes[bodyStart + 1] | 0x20) == UInt8(ascii: "x"))
            if Self.isIdentifierByte(b) || b == UInt8(ascii: ".") || isExponentSign { i += 1 } else { break }
        }
        let text = String(decoding: bytes[bodyStart..<i], as: UTF8.self).replacingUnderscores
        guard !text.isEmpty, Self.doubleValue(text) != nil else {
            throw Failure(message: "'\(String(decoding: bytes[start..<i], as: UTF8.self))' is not a number", offset: start)
        }
        return (bytes[start] == UInt8(ascii: "-") ? "-" : "") + text
    }

    /// The value of a JavaScript numeric literal (decimal, `0x`, `0o`, `0b`), or nil.
    public static func doubleValue(_ text: String) -> Double? {
        var t = Substring(text)
        var sign = 1.0
        if t.hasPrefix("-") { sign = -1; t = t.dropFirst() }
        let lower = t.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            guard let v = UInt64(lower.dropFirst(2), radix: radix) else { return nil }
            return sign * Double(v)
        }
        guard let first = t.first, first.isNumber || first == "." else { return nil }
        if t.contains(where: { !($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-") }) { return nil }
        return Double(t).map { sign * $0 }
    }

    static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b == UInt8(ascii: "$") || b >= 0x80
    }

    func found() -> String {
        guard i < bytes.count else { return "the end of the file" }
        var end = i + 1
        while end < bytes.count && (bytes[end] & 0xC0) == 0x80 { end += 1 }
        let c = String(decoding: bytes[i..<end], as: UTF8.self)
        return c == "\n" ? "a line end" : "'\(c)'"
    }

    /// 1-based line and column (in Unicode scalars) of a byte offset.
    public static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var k = 0
        let end = min(offset, bytes.count)
        while k < end {
            let b = bytes[k]
            if b == 0x0A { line += 1; column = 1 } else if (b & 0xC0) != 0x80 { column += 1 }
            k += 1
        }
        return (line, column)
    }
}

extension String {
    var replacingUnderscores: String { contains("_") ? String(filter { $0 != "_" }) : self }
}
