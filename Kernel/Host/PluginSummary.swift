public import KernelCore

/// What `plugins list` shows of a plugin, built from its bundle or read back from the cache: name, version,
/// description, the `resources` JSON (pre-serialized at the depth `list --json` prints it) and the text lines.
public struct PluginSummary: Sendable {
    public var name: String
    public var version: String?
    public var description: String?
    /// The `resources` object as JSON text, pretty at indent 4 (its place in `plugins list --json`).
    public var resourcesJSON: String
    /// `Commands (2): …` lines for the text listing.
    public var textLines: [String]
    /// The user configuration keys that must be given (required, no default): the plugin needs configuration
    /// while one of them has no value.
    public var requiredConfigKeys: [String]

    /// The depth at which `resourcesJSON` is spliced into `list --json`.
    public static let resourcesIndent = 4

    public init(_ b: PluginBundle) {
        name = b.name
        version = b.version
        description = b.description
        let n = b.name
        func item(_ name: String, _ description: String?, _ extra: [(String, JSONValue)] = []) -> JSONValue {
            .object([("name", .string(name)), ("description", .string(description ?? ""))] + extra)
        }
        let resources = JSONValue.object([
            ("skills", .array(b.skills.map { item($0.name, $0.description) })),
            ("agents", .array(b.agents.map { item("\(n):\($0.name)", $0.description) })),
            ("mcpServers", .array(b.mcpServers.map {
                item($0.name, $0.url ?? ([$0.command ?? ""] + $0.args).joined(separator: " "),
                     [("type", .string($0.transport.rawValue))])
            })),
            ("commands", .array(b.commands.map {
                item("\(n):\($0.name)", $0.description, $0.argumentHint.map { [("argumentHint", .string($0))] } ?? [])
            })),
            ("hooks", .array(b.hooks.map { g in
                item(g.event, g.matcher.map { "matcher \($0)" } ?? "all", [
                    ("event", .string(g.event)), ("matcher", .optional(g.matcher)),
                    ("types", .strings(g.handlers.map(\.type.rawValue))),
                ])
            })),
        ])
        resourcesJSON = resources.serialized(indent: Self.resourcesIndent)
        var lines: [String] = []
        func add(_ title: String, _ names: [String]) {
            if !names.isEmpty { lines.append("  \(title) (\(names.count)): \(names.joined(separator: ", "))") }
        }
        add("Commands", b.commands.map { "/\(n):\($0.name)" })
        add("Skills", b.skills.map { "\(n):\($0.name)" })
        add("Agents", b.agents.map(\.name))
        add("Hooks", b.hookEvents)
        add("MCP servers", b.mcpServers.map { "\(n):\($0.name)" })
        add("Output styles", b.outputStyles.map(\.name))
        textLines = lines
        requiredConfigKeys = b.userConfigOptions.filter(\.mustBeGiven).map(\.key)
    }

    init(name: String, version: String?, description: String?, resourcesJSON: String, textLines: [String],
         requiredConfigKeys: [String]) {
        self.name = name
        self.version = version
        self.description = description
        self.resourcesJSON = resourcesJSON
        self.textLines = textLines
        self.requiredConfigKeys = requiredConfigKeys
    }
}
