/// A plugin taking part in composition: installed (at a scope) or given with `--plugin-dir` (scope nil).
public struct PluginInstance: Sendable {
    public var id: String
    public var scope: Scope?
    public var bundle: PluginBundle
    public var enabled: Bool
    /// What the bundle's native modules contribute (from their scan results).
    public var modules: [ModuleComponents]

    public init(id: String, scope: Scope?, bundle: PluginBundle, enabled: Bool, modules: [ModuleComponents] = []) {
        self.id = id
        self.scope = scope
        self.bundle = bundle
        self.enabled = enabled
        self.modules = modules
    }

    public var name: String { bundle.name }
}

/// Everything the resolver composes, already read from disk.
public struct RegistryInput: Sendable {
    public var builtinAgents: [AgentDefinition] = []
    /// The kernel's built-in native modules (beside the executable): source `module`, ranked as built-ins.
    public var builtinModules: [ModuleComponents] = []
    public var userCommands: [CommandDefinition] = []
    public var projectCommands: [CommandDefinition] = []
    public var userSkills: [SkillDefinition] = []
    public var projectSkills: [SkillDefinition] = []
    public var userAgents: [AgentDefinition] = []
    public var projectAgents: [AgentDefinition] = []
    /// `--agents` JSON: highest priority, this process only.
    public var flagAgents: [AgentDefinition] = []
    /// `hooks` of the user, project and local settings files.
    public var settingsHooks: [(scope: Scope, groups: [HookMatcherGroup])] = []
    /// `mcpServers` of the user settings, the project's `.mcp.json`, the local settings.
    public var mcpServers: [(scope: Scope, servers: [MCPServerDefinition])] = []
    public var plugins: [PluginInstance] = []
    /// False in a project folder the user has not trusted: nothing project-scoped executes.
    public var projectTrusted = true
    public var diagnostics: [Diagnostic] = []

    public init() {}
}

/// Composes sources into one `Registry` with the priorities of the seeds:
/// - skills and commands: project beats user; plugin ones are `plugin:name` (a plugin installed at a more
///   specific scope beats the same plugin at a less specific one);
/// - subagents: builtin < user < project < plugin < flag, resolved by name;
/// - hooks: never override, all sources merge;
/// - MCP servers: local > project > user; plugin servers are `plugin:server`.
/// Disabled plugins' components are listed as inactive; in an untrusted project, project-scoped hooks and MCP
/// servers (and those of project- and local-scope plugins) are inactive too.
public enum Resolver {
    public static let untrustedReason = "project not trusted (run `kernel trust` in it)"

    public static func compose(_ input: RegistryInput) -> Registry {
        var registry = Registry()
        registry.diagnostics = input.diagnostics

        func plain(_ source: ComponentSource, _ scope: Scope?, _ file: String, _ line: Int? = nil) -> Provenance {
            Provenance(source: source, scope: scope, file: file, line: line)
        }

        // Commands and skills.
        for c in input.userCommands { registry.commands.append(.init(name: c.name, item: c, provenance: plain(.user, .user, c.file))) }
        for c in input.projectCommands { registry.commands.append(.init(name: c.name, item: c, provenance: plain(.project, .project, c.file))) }
        for s in input.userSkills { registry.skills.append(.init(name: s.name, item: s, provenance: plain(.user, .user, s.file))) }
        for s in input.projectSkills { registry.skills.append(.init(name: s.name, item: s, provenance: plain(.project, .project, s.file))) }
        // Agents.
        for a in input.builtinAgents { registry.agents.append(.init(name: a.name, item: a, provenance: plain(.builtin, nil, a.file))) }
        for a in input.userAgents { registry.agents.append(.init(name: a.name, item: a, provenance: plain(.user, .user, a.file))) }
        for a in input.projectAgents { registry.agents.append(.init(name: a.name, item: a, provenance: plain(.project, .project, a.file))) }
        for a in input.flagAgents { registry.agents.append(.init(name: a.name, item: a, provenance: plain(.flag, nil, a.file))) }
        // Built-in modules.
        for m in input.builtinModules {
            func prov(_ file: String, _ line: Int? = nil) -> Provenance { Provenance(source: .module, file: file, line: line) }
            for c in m.commands { registry.commands.append(.init(name: c.name, item: c, provenance: prov(c.file))) }
            for s in m.skills { registry.skills.append(.init(name: s.name, item: s, provenance: prov(s.file))) }
            for a in m.agents { registry.agents.append(.init(name: a.name, item: a, provenance: prov(a.file))) }
            for g in m.hooks { registry.hooks.append(.init(name: g.event, item: g, provenance: prov(g.file, g.line))) }
            for s in m.mcpServers { registry.mcpServers.append(.init(name: s.name, item: s, provenance: prov(s.file, s.line))) }
            for o in m.outputStyles { registry.outputStyles.append(.init(name: o.name, item: o, provenance: prov(o.file))) }
            for h in m.nativeHooks { registry.nativeHooks.append(.init(name: h.name, item: h, provenance: prov(m.path))) }
            for e in m.evaluators { registry.evaluators.append(.init(name: e.name, item: e, provenance: prov(m.path))) }
            for n in m.nativeCommands { registry.nativeCommands[Registry.nativeCommandKey(module: n.modulePath, name: n.name)] = n }
        }
        // Settings hooks and MCP servers.
        for (scope, groups) in input.settingsHooks {
            let state: ComponentState = scope != .user && !input.projectTrusted ? .inactive(reason: untrustedReason) : .active
            for g in groups {
                registry.hooks.append(.init(name: g.event, item: g, provenance: plain(source(of: scope), scope, g.file, g.line), state: state))
            }
        }
        for (scope, servers) in input.mcpServers {
            let state: ComponentState = scope != .user && !input.projectTrusted ? .inactive(reason: untrustedReason) : .active
            for s in servers {
                registry.mcpServers.append(.init(name: s.name, item: s, provenance: plain(source(of: scope), scope, s.file, s.line), state: state))
            }
        }

        // Plugins.
        for plugin in input.plugins {
            let bundle = plugin.bundle
            let name = bundle.name
            func prov(_ file: String, _ line: Int? = nil) -> Provenance {
                Provenance(source: plugin.scope == nil ? .flag : .plugin, scope: plugin.scope, pluginID: plugin.id,
                           pluginName: name, file: file, line: line)
            }
            let promptState: ComponentState = plugin.enabled ? .active : .inactive(reason: "plugin \(plugin.id) is disabled")
            var execState = promptState
            if promptState.isActive, let scope = plugin.scope, scope != .user, !input.projectTrusted {
                execState = .inactive(reason: untrustedReason)
            }
            for c in bundle.commands {
                registry.commands.append(.init(name: "\(name):\(c.name)", item: c, provenance: prov(c.file), state: promptState))
            }
            for s in bundle.skills {
                registry.skills.append(.init(name: "\(name):\(s.name)", item: s, provenance: prov(s.file), state: promptState))
            }
            for a in bundle.agents {
                registry.agents.append(.init(name: a.name, item: a, provenance: prov(a.file), state: promptState))
            }
            for g in bundle.hooks {
                registry.hooks.append(.init(name: g.event, item: g, provenance: prov(g.file, g.line), state: execState))
            }
            for s in bundle.mcpServers {
                registry.mcpServers.append(.init(name: "\(name):\(s.name)", item: s, provenance: prov(s.file, s.line), state: execState))
            }
            for o in bundle.outputStyles {
                registry.outputStyles.append(.init(name: "\(name):\(o.name)", item: o, provenance: prov(o.file), state: promptState))
            }
            // Its native modules: the same rules, with source `module`.
            for m in plugin.modules {
                func mprov(_ file: String, _ line: Int? = nil) -> Provenance {
                    Provenance(source: .module, scope: plugin.scope, pluginID: plugin.id, pluginName: name, file: file, line: line)
                }
                for c in m.commands {
                    registry.commands.append(.init(name: "\(name):\(c.name)", item: c, provenance: mprov(c.file), state: promptState))
                }
                for s in m.skills {
                    registry.skills.append(.init(name: "\(name):\(s.name)", item: s, provenance: mprov(s.file), state: promptState))
                }
                for a in m.agents {
                    registry.agents.append(.init(name: a.name, item: a, provenance: mprov(a.file), state: promptState))
                }
                for g in m.hooks {
                    registry.hooks.append(.init(name: g.event, item: g, provenance: mprov(g.file, g.line), state: execState))
                }
                for s in m.mcpServers {
                    registry.mcpServers.append(.init(name: "\(name):\(s.name)", item: s, provenance: mprov(s.file, s.line), state: execState))
                }
                for o in m.outputStyles {
                    registry.outputStyles.append(.init(name: "\(name):\(o.name)", item: o, provenance: mprov(o.file), state: promptState))
                }
                for h in m.nativeHooks {
                    registry.nativeHooks.append(.init(name: h.name, item: h, provenance: mprov(m.path), state: execState))
                }
                for e in m.evaluators {
                    registry.evaluators.append(.init(name: e.name, item: e, provenance: mprov(m.path), state: execState))
                }
                for n in m.nativeCommands {
                    registry.nativeCommands[Registry.nativeCommandKey(module: n.modulePath, name: n.name)] = n
                }
            }
        }

        shadow(&registry.commands, rank: promptRank)
        shadow(&registry.skills, rank: promptRank)
        shadow(&registry.agents, rank: agentRank)
        shadow(&registry.mcpServers, rank: mcpRank)
        shadow(&registry.outputStyles, rank: promptRank)
        return registry
    }

    static func source(of scope: Scope) -> ComponentSource {
        switch scope {
        case .user: .user
        case .project: .project
        case .local: .local
        }
    }

    static func scopeRank(_ scope: Scope?) -> Int {
        switch scope {
        case .user: 1
        case .project: 2
        case .local: 3
        case nil: 4  // --plugin-dir
        }
    }

    /// Commands, skills, output styles: project over user; among plugin copies, the more specific scope.
    static func promptRank(_ p: Provenance) -> Int {
        switch p.source {
        case .module where p.pluginID != nil: 10 + scopeRank(p.scope)
        case .builtin, .module: 0
        case .user: 1
        case .project, .local: 2
        case .plugin, .flag: 10 + scopeRank(p.scope)
        }
    }

    /// Subagents: builtin < user < project < plugin < flag.
    static func agentRank(_ p: Provenance) -> Int {
        switch p.source {
        case .module where p.pluginID != nil: 10 + scopeRank(p.scope)
        case .builtin, .module: 0
        case .user: 1
        case .project, .local: 2
        case .plugin: 10 + scopeRank(p.scope)
        case .flag: p.pluginID == nil ? 30 : 10 + scopeRank(nil)
        }
    }

    /// MCP servers: local > project > user.
    static func mcpRank(_ p: Provenance) -> Int {
        switch p.source {
        case .module where p.pluginID != nil: 10 + scopeRank(p.scope)
        case .builtin, .module: 0
        case .user: 1
        case .project: 2
        case .local: 3
        case .plugin, .flag: 10 + scopeRank(p.scope)
        }
    }

    /// Among active entries with the same name, the highest rank stays active (the first on a tie) and the
    /// others are marked shadowed by it.
    static func shadow<Item>(_ entries: inout [RegistryEntry<Item>], rank: (Provenance) -> Int) {
        var winner: [String: Int] = [:]
        for (i, e) in entries.enumerated() where e.state.isActive {
            if let w = winner[e.name] {
                if rank(e.provenance) > rank(entries[w].provenance) { winner[e.name] = i }
            } else {
                winner[e.name] = i
            }
        }
        for i in entries.indices where entries[i].state.isActive {
            guard let w = winner[entries[i].name], w != i else { continue }
            let by = entries[w]
            entries[i].state = .shadowed(by: "\(by.provenance.label) (\(by.provenance.file ?? "?"))")
        }
    }
}
