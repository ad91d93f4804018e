/// Writes JSON text straight into bytes, member by member, in exactly the layout
/// ``JSONValue/serializedBytes(indent:)`` gives the same value (pretty, 2-space indent; `{}` and `[]` when
/// empty): for large outputs (hundreds of objects) that would otherwise be built as a `JSONValue` tree, then
/// serialized, then freed node by node.
public struct JSONStream {
    public private(set) var bytes: [UInt8] = []
    /// Per open container: whether it has a member yet.
    private var open: [Bool] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    private var depth: Int { open.count }

    /// Before a value in the open container (an array item, or after ``key(_:)`` in an object).
    private mutating func item() {
        guard let last = open.last else { return }
        if last { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1] = true
        newline()
    }

    /// A line break and the indent of the current depth.
    private mutating func newline() {
        bytes.append(0x0A)
        var spaces = 2 * depth
        while spaces > 0 {
            let n = min(spaces, Self.spaces.count)
            bytes.append(contentsOf: Self.spaces[0..<n])
            spaces -= n
        }
    }

    private static let spaces = [UInt8](repeating: 0x20, count: 64)

    private var pendingKey = false

    private mutating func prefix() {
        if pendingKey { pendingKey = false } else { item() }
    }

    /// The next member's key, in an open object.
    public mutating func key(_ name: String) {
        item()
        JSONValue.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        pendingKey = true
    }

    public mutating func beginObject() {
        prefix()
        bytes.append(UInt8(ascii: "{"))
        open.append(false)
    }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    public mutating func beginArray() {
        prefix()
        bytes.append(UInt8(ascii: "["))
        open.append(false)
    }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func close(_ bracket: UInt8) {
        let hadMembers = open.removeLast()
        if hadMembers { newline() }
        bytes.append(bracket)
    }

    public mutating func string(_ s: String) {
        prefix()
        JSONValue.writeString(s, into: &bytes)
    }

    public mutating func optional(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    public mutating func int(_ i: Int) {
        prefix()
        var s = String(i)
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func bool(_ b: Bool) {
        prefix()
        bytes.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func null() {
        prefix()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func strings(_ items: [String]) {
        beginArray()
        for s in items { string(s) }
        endArray()
    }

    /// A value built as a `JSONValue`, at the current depth.
    public mutating func value(_ v: JSONValue) {
        prefix()
        bytes.append(contentsOf: v.serializedBytes(indent: 2 * depth))
    }
}
