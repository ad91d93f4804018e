/// Spellings of a boolean that Claude Code and Qoder CLI accept in frontmatter: `true/false`, `yes/no`, `on/off`,
/// `1/0`, in any case.
public enum FlexibleBool {
    /// The boolean a text spells, or nil.
    public static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }
}

extension Node {
    /// A YAML boolean, or a scalar spelling one (see `FlexibleBool`). Nil for anything else.
    public var flexibleBool: Bool? {
        if case .bool(let b) = value { return b }
        return scalarText.flatMap(FlexibleBool.parse)
    }

    /// The value quoted for a diagnostic: `'text'` for scalars, the kind ("an array") otherwise.
    var quotedForDiagnostic: String {
        if let s = scalarText { return "'\(s)'" }
        if isNull { return "null" }
        return kindDescription
    }
}

/// Tool lists as the hosts write them.
public enum ToolList {
    /// Splits `"Read, Grep, Agent(Explore, Plan)"` (or space-separated, as the Agent Skills spec writes
    /// `allowed-tools`) into entries: separators are commas and blanks outside parentheses, so
    /// `Agent(Explore, Plan)` and `Bash(git add:*)` stay whole. Empty entries are dropped.
    public static func split(_ text: String) -> [String] {
        var result: [String] = []
        var current: [UInt8] = []
        var depth = 0
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "("):
                depth += 1
                current.append(b)
            case UInt8(ascii: ")"):
                depth = max(0, depth - 1)
                current.append(b)
            case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D:
                if depth > 0 {
                    current.append(b)
                } else if !current.isEmpty {
                    result.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            default:
                current.append(b)
            }
        }
        if !current.isEmpty { result.append(String(decoding: current, as: UTF8.self)) }
        return result
    }
}

/// Typed access to a frontmatter mapping for the component parsers: each accessor reads one key and reports
/// a wrong type at the value's position. A key set to null (`model:`) reads as absent.
struct FrontmatterFields {
    let fields: Node?
    let file: String

    init(_ fields: Node?, file: String) {
        self.fields = fields
        self.file = file
    }

    func node(_ key: String) -> Node? {
        guard let n = fields?[key], !n.isNull else { return nil }
        return n
    }

    func member(_ key: String) -> Node.Member? {
        fields?.member(key)
    }

    func has(_ key: String) -> Bool { fields?.member(key) != nil }

    func location(_ node: Node) -> SourceLocation { node.location(in: file) }

    func keyLocation(_ key: String) -> SourceLocation {
        guard let m = member(key) else { return start }
        return SourceLocation(file: file, line: m.keyLine, column: m.keyColumn)
    }

    /// Where a missing field is reported: the opening fence.
    var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    /// A free-text field: any scalar, as written (`version: 1.0` reads "1.0").
    func text(_ key: String, severity: Severity = .error, _ diagnostics: inout Diagnostics) -> String? {
        guard let n = node(key) else { return nil }
        if let s = n.scalarText { return s }
        diagnostics.append(Diagnostic(id: "field.string", severity, "'\(key)' must be a string, got \(n.kindDescription)", at: location(n)))
        return nil
    }

    /// A boolean field, accepting the `FlexibleBool` spellings.
    func bool(_ key: String, _ diagnostics: inout Diagnostics) -> Bool? {
        guard let n = node(key) else { return nil }
        if let b = n.flexibleBool { return b }
        diagnostics.error(id: "field.boolean_true_false", "'\(key)' must be a boolean (true or false), got \(n.quotedForDiagnostic)", at: location(n))
        return nil
    }

    /// A positive integer: a YAML integer, or a scalar of digits.
    func positiveInt(_ key: String, _ diagnostics: inout Diagnostics) -> Int? {
        guard let n = node(key) else { return nil }
        if let s = n.scalarText, let v = Int(s), v > 0 { return v }
        diagnostics.error(id: "field.positive_integer", "'\(key)' must be a positive integer, got \(n.quotedForDiagnostic)", at: location(n))
        return nil
    }

    /// A list of names: a string split by `ToolList.split`, or a sequence of scalars.
    func list(_ key: String, _ diagnostics: inout Diagnostics) -> [String]? {
        guard let n = node(key) else { return nil }
        if let s = n.scalarText { return ToolList.split(s) }
        if let items = n.array {
            var out: [String] = []
            for item in items {
                if let s = item.scalarText {
                    let trimmed = s.trimmingBlanks
                    if !trimmed.isEmpty { out.append(trimmed) }
                } else {
                    diagnostics.error(id: "field.entries_strings", "entries of '\(key)' must be strings, got \(item.kindDescription)",
                                      at: location(item))
                }
            }
            return out
        }
        diagnostics.error(id: "field.string_list_strings", "'\(key)' must be a string or a list of strings, got \(n.kindDescription)", at: location(n))
        return nil
    }

    /// `argument-hint: [name]` is a YAML list, though the author meant the text `[name]`: read it back as written,
    /// with a warning.
    func hint(_ key: String, _ diagnostics: inout Diagnostics) -> String? {
        guard let n = node(key) else { return nil }
        if let s = n.scalarText { return s }
        if let items = n.array, items.allSatisfy({ $0.scalarText != nil }) {
            let text = "[" + items.compactMap(\.scalarText).joined(separator: ", ") + "]"
            diagnostics.warning(id: "field.read_yaml_list_quote", "'\(key)' was read as a YAML list; quote it: \(key): \"\(text)\"", at: location(n))
            return text
        }
        diagnostics.error(id: "field.string", "'\(key)' must be a string, got \(n.kindDescription)", at: location(n))
        return nil
    }

    /// One of `allowed` values (compared after `normalize`), or an error / warning naming them.
    func oneOf(_ key: String, _ allowed: [String], severity: Severity = .error,
               normalize: (String) -> String = { $0 }, _ diagnostics: inout Diagnostics) -> String? {
        guard let n = node(key) else { return nil }
        if let s = n.scalarText, let hit = allowed.first(where: { normalize($0) == normalize(s) }) { return hit }
        let ignored = severity == .error ? "" : "; it is ignored"
        diagnostics.append(Diagnostic(id: "field.one",
            severity,
            "'\(key)' must be one of \(allowed.joined(separator: ", ")), got \(n.quotedForDiagnostic)\(ignored)",
            at: location(n)))
        return nil
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

/// The first non-empty line of a Markdown body, without heading marks, cut to 100 characters: the description
/// Claude Code shows for a command without one.
func firstLineDescription(_ body: String) -> String? {
    for line in body.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
        var text = String(line).trimmingBlanks
        if text.isEmpty { continue }
        if text.hasPrefix("#") {
            let stripped = text.drop(while: { $0 == "#" })
            if stripped.first == " " { text = String(stripped).trimmingBlanks }
        }
        if text.isEmpty { continue }
        return text.count > 100 ? String(text.prefix(97)) + "..." : text
    }
    return nil
}
