/// What one native module contributes, parsed: the same definitions as a bundle's files, plus in-process
/// hook handlers, evaluators and native commands. Filled from the module's scan result (cached), never by opening
/// the module. Its kinds are those of `Contributions` (`module.commands` reads `module.contributions.commands`).
@dynamicMemberLookup
public struct ModuleComponents: Sendable {
    /// The module file.
    public var path: String
    /// The descriptor's name.
    public var moduleName: String
    public var contributions = Contributions()
    public var diagnostics: [Diagnostic] = []

    public init(path: String, moduleName: String) {
        self.path = path
        self.moduleName = moduleName
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<Contributions, T>) -> T {
        get { contributions[keyPath: keyPath] }
        set { contributions[keyPath: keyPath] = newValue }
    }

    public var isEmpty: Bool { contributions.isEmpty }
}

/// Reads what a native module contributes: "the same JSON as the on-disk formats".
/// - command, skill, agent, output style: the frontmatter fields as a JSON object, with the Markdown body in
///   `body` (agents: `prompt`, or `body`). Commands need `name` (a file's name comes from its path).
/// - hook: the hooks.json event map, with or without the `{"hooks": …}` wrapper.
/// - MCP servers: the `.mcp.json` object, with or without the `{"mcpServers": …}` wrapper.
/// Problems are diagnostics at `file` (the module path) with the JSON's line and column.
public enum ModuleComponentParser {
    public static func add(_ kind: ComponentKind, json: [UInt8], to module: inout ModuleComponents, fromPlugin: Bool) {
        var d = Diagnostics()
        let file = module.path
        guard let root = JSONFile.read(bytes: json, file: file, diagnostics: &d) else {
            module.diagnostics += d.items
            return
        }
        switch kind {
        case .hook:
            module.hooks += HooksParser.parseEventMap(root["hooks"] ?? root, file: file, diagnostics: &d)
        case .mcpServer:
            module.mcpServers += MCPParser.parseServers(root["mcpServers"] ?? root, file: file, diagnostics: &d)
        case .command, .skill, .agent, .outputStyle:
            guard let members = root.members else {
                d.error(id: "module.json_object", "a \(kind.rawValue) must be a JSON object, got \(root.kindDescription)",
                        at: SourceLocation(file: file, line: root.line, column: root.column))
                break
            }
            let bodyKeys: Set<String> = kind == .agent ? ["prompt", "body"] : ["body"]
            let bodyNode = members.last { bodyKeys.contains($0.key) }?.value
            var fields = root
            fields.value = .object(members.filter { !bodyKeys.contains($0.key) })
            let fm = Frontmatter(fields: fields, body: bodyNode?.string ?? "", bodyLine: bodyNode?.line ?? 1, hasFence: true)
            let name = root["name"]?.string
            switch kind {
            case .command:
                guard let name, !name.isEmpty else {
                    d.error(id: "module.command_contributed_module_needs_name", "a command contributed by a module needs a 'name'",
                            at: SourceLocation(file: file, line: root.line, column: root.column))
                    break
                }
                if let c = CommandParser.parse(frontmatter: fm, file: file, name: name, isSkillFolder: false, diagnostics: &d) {
                    module.commands.append(c)
                }
            case .skill:
                if let s = SkillParser.parse(frontmatter: fm, file: file, folderName: name ?? module.moduleName, diagnostics: &d) {
                    module.skills.append(s)
                }
            case .agent:
                if let a = AgentParser.parse(frontmatter: fm, file: file, fromPlugin: fromPlugin, diagnostics: &d) {
                    module.agents.append(a)
                }
            default:
                if let o = OutputStyleParser.parse(frontmatter: fm, file: file, defaultName: name ?? module.moduleName, diagnostics: &d) {
                    module.outputStyles.append(o)
                }
            }
        }
        module.diagnostics += d.items
    }
}
