/// User configuration: what a plugin asks its user for (plugin.json `userConfig`, and the Qoder `.mcp.json`
/// placeholder form `"url": "{{USER_CONFIG}}"` with `_setup`), the values given, their checks, and the
/// `${user_config.KEY}` substitution into MCP servers and hooks. Pure: storage is the host's.

/// The type of a user configuration value.
public enum UserConfigType: String, Sendable, Codable, CaseIterable {
    case string, number, boolean, directory, file
}

/// One value as given or stored: text, a number, a boolean, or a list of texts (`multiple: true`).
public enum UserConfigValue: Sendable, Codable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([String])

    /// What `${user_config.KEY}` becomes: the text; a number without a needless `.0`; `true`/`false`; a list
    /// joined by spaces (as the reference host joins an array value).
    public var text: String {
        switch self {
        case .string(let s): s
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): b ? "true" : "false"
        case .list(let items): items.joined(separator: " ")
        }
    }

    /// The JSON written to settings or the secrets file.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? .int(Int(n)) : .double(n)
        case .bool(let b): .bool(b)
        case .list(let items): .strings(items)
        }
    }

    /// A stored JSON value read back (strings, numbers, booleans, arrays of scalars); nil for anything else.
    public init?(node: Node) {
        switch node.value {
        case .string(let s): self = .string(s)
        case .number(let n):
            guard let d = Double(n) else { return nil }
            self = .number(d)
        case .bool(let b): self = .bool(b)
        case .array(let items):
            let texts = items.compactMap(\.scalarText)
            guard texts.count == items.count else { return nil }
            self = .list(texts)
        case .null, .object: return nil
        }
    }
}

/// One key a plugin asks for.
public struct UserConfigOption: Sendable, Codable {
    /// The key: a plugin-level key (`api_key`), or `mcpServers.<server>.url` for a placeholder URL.
    public var key: String
    public var type: UserConfigType
    public var title: String?
    public var description: String?
    public var required: Bool
    public var defaultValue: UserConfigValue?
    /// The allowed values (for `string` and `number`); nil allows any.
    public var options: [String]?
    /// Several values (given by repeating the key), stored as a list.
    public var multiple: Bool
    /// Stored outside settings (the secrets file), masked when shown.
    public var sensitive: Bool
    public var min: Double?
    public var max: Double?
    /// For a placeholder URL: the server, and the `_setup` hint (`configUrl`, `guide`).
    public var server: String?
    public var file: String
    public var line: Int
    public var column: Int

    public init(key: String, type: UserConfigType, required: Bool = false, multiple: Bool = false,
                sensitive: Bool = false, file: String = "", line: Int = 0, column: Int = 0) {
        self.key = key
        self.type = type
        self.required = required
        self.multiple = multiple
        self.sensitive = sensitive
        self.file = file
        self.line = line
        self.column = column
    }

    /// Required and no default: a plugin without a value for it needs configuration.
    public var mustBeGiven: Bool { required && defaultValue == nil }

    /// The key of a server-level value: `mcpServers.<server>.<key>`.
    public static func serverKey(_ server: String, _ key: String) -> String { "mcpServers.\(server).\(key)" }

    /// Splits a server-level key into server and key; nil for a plugin-level key.
    public static func splitServerKey(_ key: String) -> (server: String, key: String)? {
        guard key.hasPrefix("mcpServers.") else { return nil }
        let rest = key.dropFirst("mcpServers.".count)
        guard let dot = rest.lastIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) != rest.endIndex else { return nil }
        return (String(rest[..<dot]), String(rest[rest.index(after: dot)...]))
    }
}

/// A value that does not fit its option: the message names the key and what it takes.
public struct UserConfigValueError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension UserConfigOption {
    /// Checks texts given for this key (`KEY=VALUE`, one per occurrence) against its type, options, min and
    /// max, and returns the value to store. A directory or file must exist (a relative path is made absolute
    /// against `workingDirectory`; `~/` is the home folder).
    public func value(from texts: [String], workingDirectory: String, homeDirectory: String) throws(UserConfigValueError) -> UserConfigValue {
        guard !texts.isEmpty else { throw UserConfigValueError(message: "'\(key)' needs a value") }
        if texts.count > 1 && !multiple {
            throw UserConfigValueError(message: "'\(key)' takes one value, got \(texts.count) (it is not 'multiple')")
        }
        var checked: [UserConfigValue] = []
        for text in texts {
            checked.append(try single(text, workingDirectory: workingDirectory, homeDirectory: homeDirectory))
        }
        if multiple { return .list(checked.map(\.text)) }
        return checked[0]
    }

    func single(_ text: String, workingDirectory: String, homeDirectory: String) throws(UserConfigValueError) -> UserConfigValue {
        if let options, !options.contains(text) {
            throw UserConfigValueError(message: "'\(key)' must be one of \(options.map { "'\($0)'" }.joined(separator: ", ")), got '\(text)'"
                                       + didYouMean(text, in: options))
        }
        switch type {
        case .string:
            return .string(text)
        case .number:
            guard let n = Double(text.trimmingBlanks), n.isFinite else {
                throw UserConfigValueError(message: "'\(key)' must be a number, got '\(text)'")
            }
            if let min, n < min { throw UserConfigValueError(message: "'\(key)' must be at least \(UserConfigValue.number(min).text), got \(text)") }
            if let max, n > max { throw UserConfigValueError(message: "'\(key)' must be at most \(UserConfigValue.number(max).text), got \(text)") }
            return .number(n)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: throw UserConfigValueError(message: "'\(key)' must be true or false, got '\(text)'")
            }
        case .directory, .file:
            guard !text.isEmpty else { throw UserConfigValueError(message: "'\(key)' must be a path to a \(type.rawValue), got an empty value") }
            let expanded = text == "~" ? homeDirectory : text.hasPrefix("~/") ? homeDirectory + text.dropFirst(1) : text
            let absolute = expanded.hasPrefix("/") ? expanded : FileSystem.join(workingDirectory, expanded)
            let path = FileSystem.normalizeAbsolute(absolute)
            let isRight = type == .directory ? FileSystem.isDirectory(path) : FileSystem.isFile(path)
            guard isRight else {
                let what = FileSystem.exists(path) ? "is not a \(type.rawValue)" : "does not exist"
                throw UserConfigValueError(message: "'\(key)' must be an existing \(type.rawValue): \(path) \(what)")
            }
            return .string(path)
        }
    }

    /// A default as written in the manifest, checked like a value (paths are not required to exist).
    func checkDefault(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> UserConfigValue? {
        let label = "userConfig.\(key).default"
        func scalar(_ n: Node) -> String? {
            switch (type, n.value) {
            case (.string, .string(let s)), (.directory, .string(let s)), (.file, .string(let s)): return s
            case (.number, .number(let s)): return s
            case (.boolean, .bool(let b)): return b ? "true" : "false"
            default:
                let expected = type == .number ? "a number" : type == .boolean ? "a boolean" : "a string"
                r.typeError(label, expected: expected, got: n, &d)
                return nil
            }
        }
        var texts: [String] = []
        if multiple, let items = node.array {
            for item in items { guard let s = scalar(item) else { return nil }; texts.append(s) }
        } else {
            guard let s = scalar(node) else { return nil }
            texts = [s]
        }
        do {
            if type == .directory || type == .file { return multiple ? .list(texts) : .string(texts[0]) }
            var checked: [UserConfigValue] = []
            for t in texts { checked.append(try single(t, workingDirectory: "/", homeDirectory: "/")) }
            return multiple ? .list(checked.map(\.text)) : checked[0]
        } catch {
            d.error(id: "manifest.user_config_default_invalid", "default of \(error.message)", at: r.at(node))
            return nil
        }
    }
}

/// `_setup` of a `.mcp.json` server whose `url` is the user's to fill in (`{{USER_CONFIG}}` or empty).
public struct MCPSetup: Sendable, Codable {
    public var configUrl: String?
    public var guide: String?
    /// Whether the plugin needs the URL to be given (default false: only the server waits for it).
    public var required: Bool
}

public enum UserConfigParser {
    static let optionKeys = ["type", "title", "description", "required", "default", "options", "multiple", "sensitive", "min", "max"]

    /// `userConfig` of a manifest: `{"<key>": {type, title, description, required, default, options, multiple,
    /// sensitive, min, max}}`. Problems are reported at their position; a broken option is left out.
    static func parse(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> [UserConfigOption] {
        guard let members = node.members else {
            r.typeError("userConfig", expected: "an object mapping keys to option objects", got: node, &d)
            return []
        }
        var out: [UserConfigOption] = []
        for m in members {
            let key = m.key
            guard isValidKey(key) else {
                d.error(id: "manifest.user_config_key_invalid",
                        "userConfig key '\(key)' must start with a letter or '_' and hold only letters, digits, '_' and '-' (it is written ${user_config.\(key)})",
                        at: r.at(m))
                continue
            }
            let o = m.value
            guard let fields = o.members else {
                r.typeError("userConfig.\(key)", expected: "an object with 'type'", got: o, &d)
                continue
            }
            for f in fields where !optionKeys.contains(f.key) {
                d.warning(id: "manifest.user_config_unknown_field", "unknown field '\(f.key)' in userConfig '\(key)'\(didYouMean(f.key, in: optionKeys))", at: r.at(f))
            }
            guard let typeNode = o["type"], !typeNode.isNull else {
                d.error(id: "manifest.user_config_missing_type", "userConfig '\(key)' is missing required key 'type' (one of \(UserConfigType.allCases.map(\.rawValue).joined(separator: ", ")))",
                        at: r.at(o))
                continue
            }
            guard let typeName = r.string(typeNode, label: "userConfig.\(key).type", &d) else { continue }
            guard let type = UserConfigType(rawValue: typeName) else {
                let names = UserConfigType.allCases.map(\.rawValue)
                d.error(id: "manifest.user_config_unknown_type", "unknown userConfig type '\(typeName)' for '\(key)'\(didYouMean(typeName, in: names)); expected one of \(names.joined(separator: ", "))",
                        at: r.at(typeNode))
                continue
            }
            var option = UserConfigOption(key: key, type: type, file: r.file, line: m.keyLine, column: m.keyColumn)
            option.title = r.string(o, "title", label: "userConfig.\(key).title", &d)
            option.description = r.string(o, "description", label: "userConfig.\(key).description", &d)
            option.required = r.bool(o, "required", label: "userConfig.\(key).required", &d) ?? false
            option.multiple = r.bool(o, "multiple", label: "userConfig.\(key).multiple", &d) ?? false
            option.sensitive = r.bool(o, "sensitive", label: "userConfig.\(key).sensitive", &d) ?? false
            if let optionsNode = o["options"], !optionsNode.isNull {
                if type != .string && type != .number {
                    d.error(id: "manifest.user_config_options_type", "userConfig '\(key)': 'options' applies to string and number keys, not \(type.rawValue)", at: r.at(optionsNode))
                } else if let items = optionsNode.array {
                    var texts: [String] = []
                    for item in items {
                        let ok: Bool
                        switch (type, item.value) {
                        case (.string, .string), (.number, .number): ok = true
                        default: ok = false
                        }
                        if ok, let t = item.scalarText { texts.append(t) } else {
                            r.typeError("userConfig.\(key).options", expected: "an array of \(type == .number ? "numbers" : "strings")", got: item, &d)
                        }
                    }
                    if texts.isEmpty {
                        d.error(id: "manifest.user_config_options_empty", "userConfig '\(key)': 'options' must not be empty", at: r.at(optionsNode))
                    } else {
                        option.options = texts
                    }
                } else {
                    r.typeError("userConfig.\(key).options", expected: "an array", got: optionsNode, &d)
                }
            }
            for bound in ["min", "max"] {
                guard let (value, at) = r.number(o, bound, label: "userConfig.\(key).\(bound)", &d) else { continue }
                if type != .number {
                    d.error(id: "manifest.user_config_bound_type", "userConfig '\(key)': '\(bound)' applies to number keys, not \(type.rawValue)", at: r.at(at))
                } else if bound == "min" { option.min = value } else { option.max = value }
            }
            if let min = option.min, let max = option.max, min > max, let at = o["max"] {
                d.error(id: "manifest.user_config_min_over_max", "userConfig '\(key)': 'min' (\(UserConfigValue.number(min).text)) is greater than 'max' (\(UserConfigValue.number(max).text))", at: r.at(at))
            }
            if let def = o["default"], !def.isNull {
                option.defaultValue = option.checkDefault(def, reader: r, &d)
            }
            out.append(option)
        }
        return out
    }

    /// `[A-Za-z_][A-Za-z0-9_-]*`
    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// `_setup` of a server: `{configUrl, guide, required}`.
    static func setup(_ node: Node, server: String, reader r: FieldReader, _ d: inout Diagnostics) -> MCPSetup? {
        guard node.members != nil else {
            r.typeError("\(server)._setup", expected: "an object with 'configUrl', 'guide', 'required'", got: node, &d)
            return nil
        }
        return MCPSetup(configUrl: r.string(node, "configUrl", label: "_setup.configUrl", &d),
                        guide: r.string(node, "guide", label: "_setup.guide", &d),
                        required: r.bool(node, "required", label: "_setup.required", &d) ?? false)
    }
}

/// `${user_config.KEY}`: the references in a text, and their substitution.
public enum UserConfigReference {
    static let prefix = "${user_config."

    /// Warns about each `${user_config.KEY}` in a hook or an MCP server whose KEY the plugin does not declare
    /// (a server's own `mcpServers.<server>.KEY` may still be configured: it is a warning, not an error).
    static func checkDeclared(_ bundle: PluginBundle, _ d: inout Diagnostics) {
        let declared = Set((bundle.manifest?.userConfig ?? []).map(\.key))
        func check(_ texts: [String], what: String, at location: SourceLocation) {
            var seen = Set<String>()
            for key in texts.flatMap(keys(in:)) where !declared.contains(key) && seen.insert(key).inserted {
                d.warning(id: "manifest.user_config_undeclared", "\(what) refers to ${user_config.\(key)}, which userConfig does not declare"
                          + "\(didYouMean(key, in: Array(declared))); set it with `kernel plugins configure`", at: location)
            }
        }
        for s in bundle.contributions.mcpServers {
            let texts = [s.command, s.url].compactMap { $0 } + s.args + Array(s.env.values) + Array(s.headers.values)
            check(texts, what: "MCP server '\(s.name)'", at: SourceLocation(file: s.file, line: s.line, column: s.column))
        }
        for g in bundle.contributions.hooks {
            for h in g.handlers {
                let texts = [h.command, h.url].compactMap { $0 } + (h.args ?? []) + Array(h.env.values) + Array(h.headers.values)
                check(texts, what: "\(g.event) hook", at: SourceLocation(file: g.file, line: h.line, column: h.column))
            }
        }
    }

    /// The keys referenced, in order, each once.
    public static func keys(in text: String) -> [String] {
        var out: [String] = []
        _ = substitute(text) { key in
            if !out.contains(key) { out.append(key) }
            return nil
        }
        return out
    }

    /// Replaces each reference whose key `lookup` knows; others stay as written.
    public static func substitute(_ text: String, _ lookup: (String) -> String?) -> String {
        guard text.contains(prefix) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: prefix) {
            out += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            guard let close = after.firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let key = String(after[..<close])
            if !key.isEmpty, let value = lookup(key) {
                out += value
            } else {
                out += rest[start.lowerBound...close]
            }
            rest = after[after.index(after: close)...]
        }
        return out + rest
    }
}

/// A plugin's configuration values (flat keys: `KEY`, `mcpServers.<server>.<key>`) against what it declares:
/// what is missing, and the values substituted into its MCP servers and hooks.
public struct UserConfigResolution: Sendable {
    public var pluginID: String
    public var options: [UserConfigOption]
    /// The values given (settings and secrets merged).
    public var values: [String: UserConfigValue]

    public init(pluginID: String, options: [UserConfigOption], values: [String: UserConfigValue]) {
        self.pluginID = pluginID
        self.options = options
        self.values = values
    }

    /// The texts of the sensitive values given (each list item too): what listings mask.
    public var sensitiveTexts: [String] {
        options.filter(\.sensitive).flatMap { o -> [String] in
            let given = values.filter { $0.key == o.key }.map(\.value)
            return given.flatMap { v -> [String] in if case .list(let items) = v { items + [v.text] } else { [v.text] } }
        }
    }

    /// The keys that must be given and are not, in declaration order.
    public var missing: [String] {
        options.filter { $0.mustBeGiven && values[$0.key] == nil }.map(\.key)
    }

    /// The reason the plugin's hooks and MCP servers do not start; nil when nothing is missing.
    public var needsConfiguration: String? {
        Self.reason(pluginID: pluginID, missing: missing)
    }

    public static let reasonPrefix = "needs configuration"

    /// "needs configuration: missing a, b (run `kernel plugins configure id a=…`)"; nil when nothing is missing.
    public static func reason(pluginID: String, missing: [String]) -> String? {
        guard let first = missing.first else { return nil }
        return "\(reasonPrefix): missing \(missing.joined(separator: ", ")) (run `kernel plugins configure \(pluginID) \(first)=…`)"
    }

    /// The text of `${user_config.KEY}` for a server (its own `mcpServers.<server>.KEY` first) or, with `server`
    /// nil, for a hook: the value given, else the default, else empty for a declared optional key; nil for a
    /// key with no value at all.
    public func text(_ key: String, server: String?) -> String? {
        if let server, let v = values[UserConfigOption.serverKey(server, key)] { return v.text }
        if let v = values[key] { return v.text }
        if let o = options.first(where: { $0.key == key }) { return o.defaultValue?.text ?? "" }
        return nil
    }

    /// Substitutes the values into an MCP server (command, args, env, url, headers); a placeholder `url` takes
    /// `mcpServers.<server>.url`. A reference left without a value makes the server need configuration.
    public func apply(to server: MCPServerDefinition) -> MCPServerDefinition {
        var s = server
        if s.needsConfiguration != nil, let url = values[UserConfigOption.serverKey(s.name, "url")] {
            s.url = url.text
            s.needsConfiguration = nil
        }
        var unresolved: [String] = []
        func sub(_ text: String) -> String {
            UserConfigReference.substitute(text) { key in
                let v = self.text(key, server: s.name)
                if v == nil, !unresolved.contains(key) { unresolved.append(key) }
                return v
            }
        }
        s.command = s.command.map(sub)
        s.args = s.args.map(sub)
        s.env = s.env.mapValues(sub)
        s.url = s.url.map(sub)
        s.headers = s.headers.mapValues(sub)
        if s.needsConfiguration == nil, let first = unresolved.first {
            s.needsConfiguration = "\(Self.reasonPrefix): ${user_config.\(first)} has no value (run `kernel plugins configure \(pluginID) "
                + "\(UserConfigOption.serverKey(s.name, first))=…`)"
        }
        return s
    }

    /// Substitutes the values into hook handlers (command, args, env, url, headers). References without a value
    /// stay as written, each reported once as a warning.
    public func apply(to groups: [HookMatcherGroup], diagnostics d: inout Diagnostics) -> [HookMatcherGroup] {
        var reported = Set<String>()
        return groups.map { group in
            var g = group
            g.handlers = group.handlers.map { handler in
                var h = handler
                func sub(_ text: String) -> String {
                    UserConfigReference.substitute(text) { key in
                        let v = self.text(key, server: nil)
                        if v == nil, reported.insert(key).inserted {
                            d.warning(id: "hooks.user_config_no_value",
                                      "hook of plugin \(pluginID) refers to ${user_config.\(key)}, which has no value and is not declared in userConfig; it is left as written",
                                      at: SourceLocation(file: group.file, line: handler.line, column: handler.column))
                        }
                        return v
                    }
                }
                h.command = h.command.map(sub)
                h.args = h.args?.map(sub)
                h.env = h.env.mapValues(sub)
                h.url = h.url.map(sub)
                h.headers = h.headers.mapValues(sub)
                return h
            }
            return g
        }
    }

    /// The contributions with the values substituted into MCP servers and hooks.
    public func apply(to c: Contributions, diagnostics d: inout Diagnostics) -> Contributions {
        var out = c
        out.mcpServers = c.mcpServers.map(apply(to:))
        out.hooks = apply(to: c.hooks, diagnostics: &d)
        return out
    }
}
