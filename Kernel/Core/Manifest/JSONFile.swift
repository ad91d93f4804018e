/// Reading a bundle's JSON file into a `Node`, with syntax errors and duplicate keys turned into diagnostics.
public enum JSONFile {
    /// Parses `bytes` as JSON. A syntax error becomes `file:line:col: error: <message>` and the result is nil;
    /// each duplicate key becomes a warning at the later key (`duplicate key 'x' (first on line N); the last
    /// one is used`). `comments` accepts `//` and `/* */` comments (settings files).
    public static func read(bytes: [UInt8], file: String, comments: Bool = false, diagnostics: inout Diagnostics) -> Node? {
        do {
            let (root, duplicates) = try JSONReader.parse(bytes, comments: comments)
            for dup in duplicates {
                diagnostics.warning(id: "json.duplicate_key_first_line_last",
                    "duplicate key '\(dup.key)' (first on line \(dup.firstLine)); the last one is used",
                    at: SourceLocation(file: file, line: dup.line, column: dup.column))
            }
            return root
        } catch {
            diagnostics.error(id: "json.syntax", error.message, at: SourceLocation(file: file, line: error.line, column: error.column))
            return nil
        }
    }
}

/// Typed reads of object members that report wrong types at the value's position. Shared by the manifest,
/// hooks, MCP and marketplace parsers; every read returns nil (after an error) when the value is unusable.
struct FieldReader {
    let file: String

    func at(_ node: Node) -> SourceLocation { node.location(in: file) }

    func at(_ member: Node.Member) -> SourceLocation {
        SourceLocation(file: file, line: member.keyLine, column: member.keyColumn)
    }

    func typeError(_ label: String, expected: String, got node: Node, _ d: inout Diagnostics) {
        d.error(id: "json.must_be_got", "'\(label)' must be \(expected), got \(node.kindDescription)", at: at(node))
    }

    /// A string member, or nil when absent (null counts as absent) or of another type (error).
    func string(_ object: Node, _ key: String, label: String? = nil, _ d: inout Diagnostics) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        return string(value, label: label ?? key, &d)
    }

    func string(_ value: Node, label: String, _ d: inout Diagnostics) -> String? {
        if let s = value.string { return s }
        typeError(label, expected: "a string", got: value, &d)
        return nil
    }

    /// An array of strings; entries of other types are errors and left out.
    func stringArray(_ object: Node, _ key: String, label: String? = nil, _ d: inout Diagnostics) -> [String]? {
        guard let value = object[key], !value.isNull else { return nil }
        return stringArray(value, label: label ?? key, &d)
    }

    func stringArray(_ value: Node, label: String, _ d: inout Diagnostics) -> [String]? {
        guard let items = value.array else {
            typeError(label, expected: "an array of strings", got: value, &d)
            return nil
        }
        var out: [String] = []
        for item in items {
            if let s = item.string {
                out.append(s)
            } else {
                d.error(id: "json.contain_only_strings", "'\(label)' must contain only strings, got \(item.kindDescription)", at: at(item))
            }
        }
        return out
    }

    /// An object of string values (`env`, `headers`). Numbers and booleans are taken as written, with a
    /// warning (environment values are strings); arrays, objects and null are errors and left out.
    func stringMap(_ object: Node, _ key: String, label: String? = nil, _ d: inout Diagnostics) -> [String: String]? {
        guard let value = object[key], !value.isNull else { return nil }
        let label = label ?? key
        guard let members = value.members else {
            typeError(label, expected: "an object of strings", got: value, &d)
            return nil
        }
        var out: [String: String] = [:]
        for m in members {
            switch m.value.value {
            case .string(let s):
                out[m.key] = s
            case .number, .bool:
                let text = m.value.scalarText ?? ""
                d.warning(id: "json.should_string_read", "'\(label).\(m.key)' should be a string; \(m.value.kindDescription) is read as \"\(text)\"",
                          at: at(m.value))
                out[m.key] = text
            case .null, .array, .object:
                d.error(id: "json.string", "'\(label).\(m.key)' must be a string, got \(m.value.kindDescription)", at: at(m.value))
            }
        }
        return out
    }

    /// A boolean. The strings "true" and "false" are accepted with a warning; anything else is an error.
    func bool(_ object: Node, _ key: String, label: String? = nil, _ d: inout Diagnostics) -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        let label = label ?? key
        if let b = value.bool { return b }
        if let s = value.string, s == "true" || s == "false" {
            d.warning(id: "json.should_boolean_not_string", "'\(label)' should be the boolean \(s), not the string \"\(s)\"", at: at(value))
            return s == "true"
        }
        typeError(label, expected: "a boolean", got: value, &d)
        return nil
    }

    /// A number (as a Double).
    func number(_ object: Node, _ key: String, label: String? = nil, _ d: inout Diagnostics) -> (Double, Node)? {
        guard let value = object[key], !value.isNull else { return nil }
        if case .number(let text) = value.value, let n = Double(text) { return (n, value) }
        typeError(label ?? key, expected: "a number", got: value, &d)
        return nil
    }

    /// The object members, or nil after an error naming `what`.
    func members(_ value: Node, what: String, _ d: inout Diagnostics) -> [Node.Member]? {
        if let m = value.members { return m }
        d.error(id: "json.json_object", "\(what) must be a JSON object, got \(value.kindDescription)", at: at(value))
        return nil
    }
}

/// Names: the kebab-case rule shared by plugins and marketplaces.
enum NameRules {
    /// `^[a-z0-9]+(-[a-z0-9]+)*$`
    static func isKebabCase(_ s: String) -> Bool {
        guard !s.isEmpty, !s.hasPrefix("-"), !s.hasSuffix("-"), !s.contains("--") else { return false }
        return s.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    static func containsWhitespace(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// Semantic version 2.0: MAJOR.MINOR.PATCH with optional -prerelease and +build.
    static func isSemver(_ s: String) -> Bool {
        var core = Substring(s)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            guard isDotIdentifiers(build) else { return false }
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            let pre = core[core.index(after: dash)...]
            guard isDotIdentifiers(pre) else { return false }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.utf8.allSatisfy { (0x30...0x39).contains($0) } && (p == "0" || !p.hasPrefix("0"))
        }
    }

    private static func isDotIdentifiers(_ s: Substring) -> Bool {
        let ids = s.split(separator: ".", omittingEmptySubsequences: false)
        return !ids.isEmpty && ids.allSatisfy { id in
            !id.isEmpty && id.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-"
            }
        }
    }
}

/// String-level checks of a relative path written in a manifest (the loader checks symlinks on disk).
enum RelativePath {
    /// Whether the `..` segments of `path` climb above its starting folder.
    static func escapes(_ path: String) -> Bool {
        var depth = 0
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == ".." {
                depth -= 1
                if depth < 0 { return true }
            } else if segment != "." {
                depth += 1
            }
        }
        return false
    }

    /// Reports a path that escapes the root or does not start with `./`; returns whether the path is usable.
    static func check(_ path: String, root: String, at location: SourceLocation, _ d: inout Diagnostics) -> Bool {
        if path.hasPrefix("/") || path.hasPrefix("~") {
            d.error(id: "json.path_relative_start", "path '\(path)' must be relative to the \(root) and start with './'", at: location)
            return false
        }
        if escapes(path) {
            d.error(id: "json.path_escapes", "path '\(path)' escapes the \(root)", at: location)
            return false
        }
        if !path.hasPrefix("./") {
            d.error(id: "json.path_start", "path '\(path)' must start with './'", at: location)
            return false
        }
        return true
    }
}
