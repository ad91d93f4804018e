/// Reads a subagent: `agents/*.md`, fields as the subagent reference lists them.
public enum AgentParser {
    public static let permissionModes = ["default", "acceptEdits", "bypassPermissions", "dontAsk", "auto", "plan"]
    public static let colors = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan"]
    public static let memoryScopes = ["user", "project", "local"]
    public static let effortLevels = ["low", "medium", "high", "xhigh", "max"]
    public static let kinds = ["local", "remote"]

    /// Parses one agent file.
    ///
    /// Errors: no frontmatter, `name` or `description` missing or empty, `permissionMode`, `memory`, `kind`,
    /// `effort` outside their values, `maxTurns`/`timeoutMins` not positive integers, `background` not a
    /// boolean, `temperature` not a number, wrong types. Warnings: `color` outside the palette (dropped),
    /// `isolation` other than `worktree`. Unknown keys are ignored, as the hosts do.
    /// `tools`/`disallowedTools`/`skills`: a comma-separated string or a list; `Agent(Explore, Plan)` stays one
    /// entry. `permissionMode` tolerates case and separators (`accept-edits`), and `yolo` is `bypassPermissions`.
    /// - Parameter fromPlugin: true for agents shipped by a plugin: `hooks`, `mcpServers` and `permissionMode` are
    ///   removed with a warning, and `isolation` is kept only when it is `worktree`.
    /// - Returns: nil when the frontmatter is missing or unusable, or `name` or `description` is missing (the
    ///   other fields are still checked, so every problem is reported at once).
    public static func parse(_ bytes: [UInt8], file: String, fromPlugin: Bool,
                             diagnostics: inout Diagnostics) -> AgentDefinition? {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &diagnostics) else { return nil }
        return parse(frontmatter: fm, file: file, fromPlugin: fromPlugin, diagnostics: &diagnostics)
    }

    /// Parses an agent already split into frontmatter and body (a native module's JSON, see `ModuleComponentParser`).
    public static func parse(frontmatter fm: Frontmatter, file: String, fromPlugin: Bool,
                             diagnostics: inout Diagnostics) -> AgentDefinition? {
        guard fm.hasFence, let fields = fm.fields else {
            diagnostics.error(id: "agent.agent_file_start_yaml_frontmatter", "an agent file must start with YAML frontmatter ('---') holding 'name' and 'description'",
                              at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        let f = FrontmatterFields(fields, file: file)
        let name = required("name", f, &diagnostics)
        let description = required("description", f, &diagnostics)
        var agent = AgentDefinition(name: name ?? "", description: description ?? "", body: fm.body,
                                    bodyLine: fm.bodyLine, file: file)
        agent.frontmatter = fields
        agent.tools = f.list("tools", &diagnostics)
        agent.disallowedTools = f.list("disallowedTools", &diagnostics)
        agent.model = f.text("model", &diagnostics)
        agent.color = f.oneOf("color", colors, severity: .warning, normalize: { $0.lowercased() }, &diagnostics)
        agent.memory = f.oneOf("memory", memoryScopes, normalize: { $0.lowercased() }, &diagnostics)
        agent.maxTurns = f.positiveInt("maxTurns", &diagnostics)
        agent.timeoutMins = f.positiveInt("timeoutMins", &diagnostics)
        agent.effort = effort(f, &diagnostics)
        agent.background = f.bool("background", &diagnostics)
        agent.initialPrompt = f.text("initialPrompt", &diagnostics)
        agent.skills = f.list("skills", &diagnostics)
        agent.kind = f.oneOf("kind", kinds, normalize: { $0.lowercased() }, &diagnostics)
        if let t = f.node("temperature") {
            if let s = t.scalarText, let v = Double(s) {
                agent.temperature = v
            } else {
                diagnostics.error(id: "agent.temperature_number", "'temperature' must be a number, got \(t.quotedForDiagnostic)", at: f.location(t))
            }
        }

        // Fields a plugin may not set.
        if let h = f.node("hooks") {
            if fromPlugin {
                diagnostics.warning(id: "agent.plugin_agents_cannot_set_hooks", "plugin agents cannot set 'hooks'; it is removed", at: f.keyLocation("hooks"))
            } else if h.members == nil {
                diagnostics.error(id: "agent.hooks_map_events_matcher_lists", "'hooks' must be a map of events to matcher lists, got \(h.kindDescription)",
                                  at: f.location(h))
            } else {
                agent.hooks = h
                agent.hookGroups = HooksParser.parseEventMap(h, file: file, diagnostics: &diagnostics)
            }
        }
        if let m = f.node("mcpServers") {
            if fromPlugin {
                diagnostics.warning(id: "agent.plugin_agents_cannot_set_mcpservers", "plugin agents cannot set 'mcpServers'; it is removed",
                                    at: f.keyLocation("mcpServers"))
            } else if m.members == nil && m.array == nil {
                diagnostics.error(id: "agent.mcpservers_list_server_names_map", "'mcpServers' must be a list of server names or a map of servers, got "
                                      + m.kindDescription, at: f.location(m))
            } else {
                agent.mcpServers = m
            }
        }
        if let p = f.node("permissionMode") {
            if fromPlugin {
                diagnostics.warning(id: "agent.plugin_agents_cannot_set_permissionmode", "plugin agents cannot set 'permissionMode'; it is removed",
                                    at: f.keyLocation("permissionMode"))
            } else if let s = p.scalarText, let mode = permissionMode(s) {
                agent.permissionMode = mode
            } else {
                diagnostics.error(id: "agent.permissionmode_one", "'permissionMode' must be one of \(permissionModes.joined(separator: ", ")), got "
                                      + p.quotedForDiagnostic, at: f.location(p))
            }
        }
        if let i = f.node("isolation") {
            let value = i.scalarText
            if value == "worktree" {
                agent.isolation = "worktree"
            } else if fromPlugin {
                diagnostics.warning(id: "agent.plugin_agents_can_only_set", "plugin agents can only set 'isolation: worktree'; \(i.quotedForDiagnostic) is "
                                        + "removed", at: f.location(i))
            } else {
                diagnostics.warning(id: "agent.isolation_should_worktree", "'isolation' should be 'worktree', got \(i.quotedForDiagnostic)", at: f.location(i))
                agent.isolation = value
            }
        }
        return name == nil || description == nil ? nil : agent
    }

    /// The canonical permission mode for a spelling tolerant of case and separators (`accept_edits`,
    /// `AcceptEdits`), with `yolo` as `bypassPermissions`; nil when unknown.
    public static func permissionMode(_ text: String) -> String? {
        let key = squash(text)
        if key == "yolo" { return "bypassPermissions" }
        return permissionModes.first { squash($0) == key }
    }

    private static func squash(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" && $0 != " " })
    }

    private static func required(_ key: String, _ f: FrontmatterFields, _ diagnostics: inout Diagnostics) -> String? {
        guard let n = f.node(key) else {
            if f.has(key) {
                diagnostics.error(id: "agent.not_empty", "'\(key)' must not be empty", at: f.keyLocation(key))
            } else {
                diagnostics.error(id: "agent.required", "'\(key)' is required", at: f.start)
            }
            return nil
        }
        guard let s = n.scalarText else {
            diagnostics.error(id: "agent.string", "'\(key)' must be a string, got \(n.kindDescription)", at: f.location(n))
            return nil
        }
        if s.trimmingBlanks.isEmpty {
            diagnostics.error(id: "agent.not_empty", "'\(key)' must not be empty", at: f.location(n))
            return nil
        }
        return s
    }

    private static func effort(_ f: FrontmatterFields, _ diagnostics: inout Diagnostics) -> String? {
        guard let n = f.node("effort") else { return nil }
        if let s = n.scalarText {
            if let level = effortLevels.first(where: { $0 == s.lowercased() }) { return level }
            if let v = Int(s), v > 0 { return s }
        }
        diagnostics.error(id: "agent.effort_one_positive_integer", "'effort' must be one of \(effortLevels.joined(separator: ", ")) or a positive integer, got "
                              + n.quotedForDiagnostic, at: f.location(n))
        return nil
    }
}
