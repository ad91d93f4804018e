/// A JSON value built for output, with object keys kept in the order they were added (listings and reports
/// are contracts; their key order should not change from run to run).
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// JSON text written verbatim: a fragment serialized earlier (with `serialized(indent:)` at the depth it
    /// is spliced in), so cached output need not be parsed and rebuilt.
    case raw(String)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.raw(let a), .raw(let b)): a == b
        default: false
        }
    }

    /// An optional string: `.null` when nil.
    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }

    /// The value as JSON text: pretty (2-space indent, like `JSON.stringify(v, null, 2)`) or compact.
    public func serialized(pretty: Bool = true) -> String {
        String(decoding: serializedBytes(indent: pretty ? 0 : nil), as: UTF8.self)
    }

    /// Pretty text for a value that will stand `indent` spaces deep (its inner lines are indented from there).
    public func serialized(indent: Int) -> String {
        String(decoding: serializedBytes(indent: indent), as: UTF8.self)
    }

    /// The JSON text as UTF-8 bytes: pretty from `indent` spaces deep, or compact when nil.
    public func serializedBytes(indent: Int? = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(into: &out, indent: indent)
        return out
    }

    /// Output is built as bytes, not by appending to a String: a listing writes tens of thousands of small
    /// pieces, and String appends (with their interpolation and repeated-space strings) cost several times more.
    private func write(into out: inout [UInt8], indent: Int?) {
        switch self {
        case .null: JSONValue.append("null", to: &out)
        case .raw(let text): JSONValue.append(text, to: &out)
        case .bool(let b): JSONValue.append(b ? "true" : "false", to: &out)
        case .int(let i): JSONValue.append(String(i), to: &out)
        case .double(let d):
            if d.isFinite {
                JSONValue.append(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d), to: &out)
            } else {
                JSONValue.append("null", to: &out)
            }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { JSONValue.append("[]", to: &out); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let indent { JSONValue.newline(indent + 2, into: &out) }
                item.write(into: &out, indent: indent.map { $0 + 2 })
            }
            if let indent { JSONValue.newline(indent, into: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { JSONValue.append("{}", to: &out); return }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let indent { JSONValue.newline(indent + 2, into: &out) }
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                value.write(into: &out, indent: indent.map { $0 + 2 })
            }
            if let indent { JSONValue.newline(indent, into: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ indent: Int, into out: inout [UInt8]) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent))
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            out.append(0x22)
            guard let base = utf8.baseAddress else { out.append(0x22); return }
            let count = utf8.count
            // Append runs of bytes that need no escaping whole; most strings are one run. The scan takes eight
            // bytes at a time while none of them needs escaping, and looks at single bytes only in a word that has one.
            var runStart = 0
            var i = 0
            while i < count {
                if i + 8 <= count, !mayNeedEscaping(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let end = min(i + 8, count)
                while i < end {
                    let b = base[i]
                    i += 1
                    guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                    if runStart != i - 1 { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - 1 - runStart)) }
                    switch b {
                    case 0x22: out.append(0x5C); out.append(0x22)
                    case 0x5C: out.append(0x5C); out.append(0x5C)
                    case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                    case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                    case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                    case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                    case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                    default:
                        let hex = Array("0123456789abcdef".utf8)
                        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                    }
                    runStart = i
                }
            }
            if runStart != count { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
            out.append(0x22)
        }
    }

    /// Whether one of the eight bytes of `w` may be a control character, a quote or a backslash (never false when one is;
    /// the per-byte test decides). The classic word tests: a byte below n sets its high bit in
    /// `(w - n·0x01…) & ~w & 0x80…`, and a byte equal to c is a zero byte of `w ^ c·0x01…`.
    @inline(__always)
    static func mayNeedEscaping(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = w ^ (0x22 &* ones)
        let backslash = w ^ (0x5C &* ones)
        let below = (w &- 0x20 &* ones) & ~w
        let quotes = (quote &- ones) & ~quote
        let backslashes = (backslash &- ones) & ~backslash
        return (below | quotes | backslashes) & 0x8080_8080_8080_8080 != 0
    }
}

extension Node {
    /// The node as an output JSON value (object key order kept; for duplicated keys the last wins).
    public var json: JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n):
            if let i = Int(n) { return .int(i) }
            return .double(Double(n) ?? 0)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.json))
        case .object(let members):
            var out: [(String, JSONValue)] = []
            for m in members {
                if let i = out.firstIndex(where: { $0.0 == m.key }) { out[i].1 = m.value.json } else { out.append((m.key, m.value.json)) }
            }
            return .object(out)
        }
    }
}
