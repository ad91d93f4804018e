/// What `kernel plugins validate` reports, for a plugin folder or a marketplace folder, as JSON or as text.
public enum ValidationReport {
    /// The JSON object for one plugin:
    /// `{"kind": "plugin", "name", "version", "path", "valid", "components": {…}, "diagnostics": […]}`.
    public static func json(_ bundle: PluginBundle, strict: Bool) -> JSONValue {
        .object([
            ("kind", "plugin"),
            ("name", .string(bundle.name)),
            ("version", .optional(bundle.version)),
            ("path", .string(bundle.root)),
            ("valid", .bool(strict ? bundle.isStrictlyValid : bundle.isValid)),
            ("components", components(bundle)),
            ("diagnostics", .array(bundle.diagnostics.map(json))),
        ])
    }

    /// The JSON object for a marketplace: `{"kind": "marketplace", "name", "valid", "plugins": […], "diagnostics": […]}`.
    /// Each plugin object also carries `source`; for remote sources `path` is null and the components are empty.
    public static func json(_ marketplace: MarketplaceBundle, strict: Bool) -> JSONValue {
        let plugins: [JSONValue] = marketplace.plugins.map { plugin in
            let diagnostics = plugin.diagnostics + (plugin.bundle?.diagnostics ?? [])
            let valid = strict ? !diagnostics.contains { $0.severity >= .warning }
                               : !diagnostics.contains { $0.severity == .error }
            return .object([
                ("kind", "plugin"),
                ("name", .string(plugin.entry.name)),
                ("version", .optional(plugin.bundle?.version ?? plugin.entry.version)),
                ("path", .optional(plugin.bundle?.root)),
                ("source", .string(plugin.entry.source.summary)),
                ("valid", .bool(valid)),
                ("components", components(plugin.bundle ?? PluginBundle(root: "", name: "", manifestFormat: .none))),
                ("diagnostics", .array(diagnostics.map(json))),
            ])
        }
        let all = marketplace.allDiagnostics
        return .object([
            ("kind", "marketplace"),
            ("name", .string(marketplace.name)),
            ("path", .string(marketplace.root)),
            ("valid", .bool(strict ? !all.contains { $0.severity >= .warning } : marketplace.isValid)),
            ("plugins", .array(plugins)),
            ("diagnostics", .array(marketplace.diagnostics.map(json))),
        ])
    }

    static func components(_ bundle: PluginBundle) -> JSONValue {
        .object([
            ("commands", .strings(bundle.commands.map(\.name))),
            ("skills", .strings(bundle.skills.map(\.name))),
            ("agents", .strings(bundle.agents.map(\.name))),
            ("hooks", .strings(bundle.hookEvents)),
            ("mcpServers", .strings(bundle.mcpServers.map(\.name))),
            ("outputStyles", .strings(bundle.outputStyles.map(\.name))),
            ("modules", .strings(bundle.modules)),
        ])
    }

    public static func json(_ d: Diagnostic) -> JSONValue {
        .object([
            ("id", .string(d.id)),
            ("severity", .string(d.severity.rawValue)),
            ("file", .string(d.location.file)),
            ("line", d.location.line.map { .int($0) } ?? .null),
            ("column", d.location.column.map { .int($0) } ?? .null),
            ("message", .string(d.message)),
        ])
    }

    // MARK: - Text

    /// The human summary of one plugin: name, version, then each component kind with its names.
    public static func text(_ bundle: PluginBundle, indent: String = "") -> String {
        var lines: [String] = []
        let version = bundle.version.map { " \($0)" } ?? ""
        lines.append("\(indent)Plugin \(bundle.name)\(version) (\(bundle.root))")
        let manifest: String = switch bundle.manifestFormat {
        case .qoder: ".qoder-plugin/plugin.json"
        case .claude: ".claude-plugin/plugin.json"
        case .marketplaceEntry: "marketplace entry (strict: false)"
        case .none: "none (name taken from the folder)"
        }
        lines.append("\(indent)  manifest: \(manifest)")
        func row(_ title: String, _ names: [String]) {
            guard !names.isEmpty else { return }
            lines.append("\(indent)  \(title) (\(names.count)): \(names.joined(separator: ", "))")
        }
        row("commands", bundle.commands.map { "/" + $0.name })
        row("skills", bundle.skills.map(\.name))
        row("agents", bundle.agents.map(\.name))
        row("hooks", bundle.hookEvents)
        row("MCP servers", bundle.mcpServers.map(\.name))
        row("output styles", bundle.outputStyles.map(\.name))
        row("bin", bundle.binaries.map(FileSystem.baseName))
        row("modules", bundle.modules.map(FileSystem.baseName))
        return lines.joined(separator: "\n")
    }

    /// "0 errors, 1 warning".
    public static func counts(_ diagnostics: [Diagnostic]) -> String {
        let e = diagnostics.count { $0.severity == .error }
        let w = diagnostics.count { $0.severity == .warning }
        return "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
    }
}
