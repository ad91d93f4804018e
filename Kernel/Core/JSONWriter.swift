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
        var out = ""
        write(into: &out, indent: pretty ? 0 : nil)
        return out
    }

    /// Pretty text for a value that will stand `indent` spaces deep (its inner lines are indented from there).
    public func serialized(indent: Int) -> String {
        var out = ""
        write(into: &out, indent: indent)
        return out
    }

    private func write(into out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .raw(let text): out += text
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite {
                out += d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
            } else {
                out += "null"
            }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if let indent { out += "\n" + String(repeating: " ", count: indent + 2) }
                item.write(into: &out, indent: indent.map { $0 + 2 })
            }
            if let indent { out += "\n" + String(repeating: " ", count: indent) }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                if let indent { out += "\n" + String(repeating: " ", count: indent + 2) }
                JSONValue.writeString(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(into: &out, indent: indent.map { $0 + 2 })
            }
            if let indent { out += "\n" + String(repeating: " ", count: indent) }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        // Append runs of bytes that need no escaping whole; most strings are one run.
        let utf8 = s.utf8
        var runStart = utf8.startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b < 0x20 || b == 0x22 || b == 0x5C {
                if runStart != i { out += Substring(utf8[runStart..<i]) }
                switch b {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                default:
                    let hex = String(b, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                utf8.formIndex(after: &i)
                runStart = i
            } else {
                utf8.formIndex(after: &i)
            }
        }
        if runStart != utf8.endIndex { out += Substring(utf8[runStart..<utf8.endIndex]) }
        out += "\""
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
