public import KernelCore

/// The three settings files (user, project, local), each read and parsed once: the first stage of a
/// composition. Everything composition takes from settings — `enabledPlugins`, `hooks`, `mcpServers` — comes
/// from one snapshot, so a file changing mid-composition cannot give two answers.
public struct SettingsSnapshot: Sendable {
    /// Each file's document (an empty object when the file does not exist).
    public var documents: [Scope: Node]
    /// Each file's path.
    public var files: [Scope: String]

    /// Reads the three files of `paths`.
    /// - Throws: `KernelError` `settings` naming the line and column of a file that does not parse.
    public init(paths: KernelPaths) throws(KernelError) {
        var documents: [Scope: Node] = [:]
        var files: [Scope: String] = [:]
        for scope in Scope.allCases {
            let file = paths.settingsFile(scope)
            files[scope] = file
            do {
                documents[scope] = try SettingsFile.read(file)
            } catch {
                throw KernelError(settings: error)
            }
        }
        self.documents = documents
        self.files = files
    }

    public subscript(scope: Scope) -> Node { documents[scope] ?? Node(.object([]), line: 1, column: 1) }

    /// `enabledPlugins` of the three files: for each id, the value of the most specific scope that names it
    /// (local > project > user).
    public var enabledStates: [String: (enabled: Bool, scope: Scope)] {
        var states: [String: (enabled: Bool, scope: Scope)] = [:]
        for scope in [Scope.user, .project, .local] {
            for member in self[scope]["enabledPlugins"]?.members ?? [] {
                if let value = member.value.bool { states[member.key] = (value, scope) }
            }
        }
        return states
    }

    /// The approvals of the project's `.mcp.json` servers, merged over the three files.
    public var mcpApprovals: MCPApprovals {
        MCPApprovals(documents: [self[.user], self[.project], self[.local]])
    }

    /// `skills.disabled` and `skillOverrides` of the three files.
    public var skillSettings: SkillSettings { SkillSettings(documents: documents) }

    /// The `hooks` of one file, parsed.
    public func hooks(_ scope: Scope, diagnostics: inout Diagnostics) -> [HookMatcherGroup] {
        guard let node = self[scope]["hooks"] else { return [] }
        return HooksParser.parseEventMap(node, file: files[scope] ?? "", diagnostics: &diagnostics)
    }

    /// The `mcpServers` of one file, parsed (the project's servers are in `.mcp.json`, not here).
    public func mcpServers(_ scope: Scope, diagnostics: inout Diagnostics) -> [MCPServerDefinition] {
        guard let node = self[scope]["mcpServers"] else { return [] }
        return MCPParser.parseServers(node, file: files[scope] ?? "", diagnostics: &diagnostics)
    }
}
