/// A parsed configuration value with its position: what the JSON reader and the YAML frontmatter reader both
/// produce, so that one validator serves a `hooks` block whether it came from hooks.json or from an agent's
/// frontmatter.
///
/// Positions are 1-based line and column in the file the value was read from (for frontmatter, the Markdown
/// file, not the YAML fragment).
public struct Node: Sendable, Codable {
    public enum Value: Sendable, Codable {
        case null
        case bool(Bool)
        /// A number, kept as written (`1.10` stays `1.10`).
        case number(String)
        case string(String)
        case array([Node])
        case object([Member])
    }

    /// A key of an object, in source order, with the key's own position.
    public struct Member: Sendable, Codable {
        public var key: String
        public var keyLine: Int
        public var keyColumn: Int
        public var value: Node
        /// Byte offset of the key's opening quote in the source the value was read from, when the reader
        /// records offsets (the JSON reader does; the YAML reader does not). Used for surgical text edits.
        public var keyByteOffset: Int? = nil

        public init(key: String, keyLine: Int, keyColumn: Int, value: Node) {
            self.key = key
            self.keyLine = keyLine
            self.keyColumn = keyColumn
            self.value = value
        }
    }

    public var value: Value
    public var line: Int
    public var column: Int
    /// For YAML scalars, the scalar as written (so `version: 1.0` reads back as "1.0" and `on` as "on");
    /// for JSON scalars, the literal text. Nil for arrays and objects.
    public var text: String?
    /// The value's bytes in the source it was read from (from its first byte to just past its last: a
    /// string's quotes and an object's braces included), when the reader records offsets (the JSON reader
    /// does, counting from the start of the input, BOM included; the YAML reader does not). Used for
    /// surgical text edits.
    public var byteRange: Range<Int>? = nil

    public init(_ value: Value, line: Int, column: Int, text: String? = nil) {
        self.value = value
        self.line = line
        self.column = column
        self.text = text
    }
}

extension Node {
    /// The type name used in diagnostics: "a string", "an object"…
    public var kindDescription: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var string: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    /// A scalar's text whatever its YAML type: the reading for free-text fields such as a description that
    /// happens to look like a number. Nil for null, arrays and objects.
    public var scalarText: String? {
        switch value {
        case .string(let s): s
        case .bool(let b): text ?? (b ? "true" : "false")
        case .number(let n): text ?? n
        case .null, .array, .object: nil
        }
    }

    public var bool: Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    public var array: [Node]? {
        if case .array(let a) = value { return a }
        return nil
    }

    public var members: [Member]? {
        if case .object(let m) = value { return m }
        return nil
    }

    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The first member with this key (objects only).
    /// The member with this key (objects only). With a duplicated key the last one wins, as in
    /// `JSON.parse` and YAML loaders; the readers warn about duplicates.
    public subscript(key: String) -> Node? {
        members?.last { $0.key == key }?.value
    }

    public func member(_ key: String) -> Member? {
        members?.last { $0.key == key }
    }

    /// An integer value: a JSON/YAML number without fraction, or nil.
    public var int: Int? {
        if case .number(let n) = value { return Int(n) }
        return nil
    }

    /// The location of this value in `file`.
    public func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }
}
