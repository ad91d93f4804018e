/// Everything the resolver composes, already read from disk: the sources in composition order.
public struct RegistryInput: Sendable {
    /// In order: built-in agents, the user folder, the project folder, `--agents`, built-in modules, the
    /// settings files (user, project with `.mcp.json`, local), then each plugin followed by its modules. Within a
    /// kind, entries keep this order (listings show it; the first wins a precedence tie).
    public var sources: [ContributionSource] = []
    /// False in a project folder the user has not trusted: nothing project-scoped executes.
    public var projectTrusted = true
    /// Why the project is not trusted, as listings show it (default `Resolver.untrustedReason`; a project
    /// changed since it was trusted says what changed).
    public var untrustedReason = Resolver.untrustedReason
    /// The kinds to register (`ContributionKind.name`); nil registers all. What `compose(needs:)` narrows.
    public var kinds: Set<String>?
    public var diagnostics: [Diagnostic] = []

    public init(sources: [ContributionSource] = [], projectTrusted: Bool = true, kinds: Set<String>? = nil) {
        self.sources = sources
        self.projectTrusted = projectTrusted
        self.kinds = kinds
    }
}

/// The precedence of same-named components, as one table: among active entries of a kind that shadows
/// (`ContributionKind.shadows`), the highest rank stays active and the first wins a tie.
///
/// | provenance                                   | rank      |
/// | -------------------------------------------- | --------- |
/// | built-in (source `builtin`, built-in module) | 0         |
/// | user folder / user settings                  | 1         |
/// | project folder / settings / `.mcp.json`      | 2         |
/// | local settings                               | 3         |
/// | plugin (and its modules), by install scope   | 10 + user 1, project 2, local 3, `--plugin-dir` 4 |
/// | `--agents` definitions (flag, no plugin)     | 30        |
///
/// It gives the seeds' rules: commands and skills, project beats user (plugin ones are `plugin:name`, so a
/// plugin only meets itself installed at another scope: the more specific scope wins); subagents builtin < user <
/// project < plugin < flag; MCP servers local > project > user. Hooks never shadow.
public enum Precedence {
    public static let builtin = 0
    public static let flagDefinitions = 30
    static let pluginBase = 10

    public static func rank(of scope: Scope) -> Int {
        switch scope {
        case .user: 1
        case .project: 2
        case .local: 3
        }
    }

    /// The rank of a provenance (see the table).
    public static func rank(_ p: Provenance) -> Int {
        if p.pluginID != nil { return pluginBase + (p.scope.map(rank(of:)) ?? 4) }
        switch p.source {
        case .builtin, .module: return builtin
        case .user: return rank(of: .user)
        case .project: return rank(of: .project)
        case .local: return rank(of: .local)
        case .flag: return flagDefinitions
        case .plugin: return pluginBase + (p.scope.map(rank(of:)) ?? 4)
        }
    }
}

/// Composes sources into one `Registry`: one loop over the sources, registering each kind through
/// `Contributions.kinds`, then shadowing by `Precedence`.
/// - A disabled plugin's components are inactive (listed, never used).
/// - In an untrusted project, what executes code (hooks, MCP servers, native handlers) from a project- or
///   local-scoped source — the settings files, `.mcp.json`, project- and local-scope plugins — is inactive.
public enum Resolver {
    public static let untrustedReason = "project not trusted (run `kernel trust` in it)"

    public static func compose(_ input: RegistryInput) -> Registry {
        var registry = Registry()
        registry.diagnostics = input.diagnostics
        let kinds = Contributions.kinds(named: input.kinds)
        for source in input.sources {
            let (prompt, execute) = states(of: source, projectTrusted: input.projectTrusted, reason: input.untrustedReason)
            for kind in kinds {
                kind.register(source.contributions, source, kind.executes ? execute : prompt, &registry)
            }
        }
        for kind in kinds { kind.shadow(&registry) }
        return registry
    }

    /// The state of a source's prompt components and of those that execute code.
    static func states(of source: ContributionSource, projectTrusted: Bool,
                       reason: String = untrustedReason) -> (prompt: ComponentState, execute: ComponentState) {
        guard source.enabled else {
            let disabled = ComponentState.inactive(reason: "plugin \(source.provenance.pluginID ?? "?") is disabled")
            return (disabled, disabled)
        }
        if let reason = source.needsConfiguration { return (.active, .inactive(reason: reason)) }
        if let scope = source.provenance.scope, scope != .user, !projectTrusted {
            return (.active, .inactive(reason: reason))
        }
        return (.active, .active)
    }

    static func source(of scope: Scope) -> ComponentSource {
        switch scope {
        case .user: .user
        case .project: .project
        case .local: .local
        }
    }

    /// Among active entries with the same name, the highest rank stays active (the first on a tie) and the
    /// others are marked shadowed by it.
    static func shadow<Item>(_ entries: inout [RegistryEntry<Item>]) {
        var winner: [String: Int] = [:]
        for (i, e) in entries.enumerated() where e.state.isActive {
            if let w = winner[e.name] {
                if Precedence.rank(e.provenance) > Precedence.rank(entries[w].provenance) { winner[e.name] = i }
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

extension ContributionSource {
    /// The user's or the project's folders (`commands/`, `skills/`, `agents/`) or settings files (hooks, MCP
    /// servers): source and scope `scope`.
    public static func scope(_ scope: Scope, _ contributions: Contributions) -> ContributionSource {
        ContributionSource(provenance: Provenance(source: Resolver.source(of: scope), scope: scope), contributions: contributions)
    }

    /// Definitions of the kernel itself (source `builtin`).
    public static func builtin(_ contributions: Contributions) -> ContributionSource {
        ContributionSource(provenance: Provenance(source: .builtin), contributions: contributions)
    }

    /// `--agents` definitions: this process only, highest agent priority.
    public static func flag(_ contributions: Contributions) -> ContributionSource {
        ContributionSource(provenance: Provenance(source: .flag), contributions: contributions)
    }

    /// A built-in native module (beside the executable): source `module`, ranked as a built-in.
    public static func builtinModule(_ module: ModuleComponents) -> ContributionSource {
        ContributionSource(provenance: Provenance(source: .module), contributions: module.contributions, file: module.path)
    }

    /// A plugin's files: installed at `scope`, or given with `--plugin-dir` (scope nil, source `flag`).
    public static func plugin(_ plugin: PluginInstance, _ contributions: Contributions) -> ContributionSource {
        ContributionSource(provenance: plugin.provenance(plugin.scope == nil ? .flag : .plugin),
                           contributions: contributions, enabled: plugin.enabled)
    }

    /// One of a plugin's native modules: the plugin's rules, with source `module`.
    public static func pluginModule(_ plugin: PluginInstance, _ module: ModuleComponents) -> ContributionSource {
        ContributionSource(provenance: plugin.provenance(.module), contributions: module.contributions,
                           enabled: plugin.enabled, file: module.path)
    }
}

/// A plugin taking part in composition: installed (at a scope) or given with `--plugin-dir` (scope nil).
public struct PluginInstance: Sendable {
    public var id: String
    public var scope: Scope?
    public var bundle: PluginBundle
    public var enabled: Bool
    /// The plugin's folder, absolute (`QODER_PLUGIN_ROOT`); the bundle's root as given by default.
    public var root: String
    /// The plugin's data folder (`~/.qoder/plugins/data/<id>`).
    public var dataDir: String?
    /// What the bundle's native modules contribute (from their scan results).
    public var modules: [ModuleComponents]
    /// Why its hooks, MCP servers and native handlers do not start: required user configuration is missing
    /// (`UserConfigResolution.needsConfiguration`); nil when nothing is.
    public var needsConfiguration: String?

    public init(id: String, scope: Scope?, bundle: PluginBundle, enabled: Bool, root: String? = nil,
                dataDir: String? = nil, modules: [ModuleComponents] = []) {
        self.id = id
        self.scope = scope
        self.bundle = bundle
        self.enabled = enabled
        self.root = root ?? bundle.root
        self.dataDir = dataDir
        self.modules = modules
    }

    public var name: String { bundle.name }

    func provenance(_ source: ComponentSource) -> Provenance {
        Provenance(source: source, scope: scope, pluginID: id, pluginName: name, pluginRoot: root, pluginData: dataDir)
    }

    /// The plugin's sources: its files, then each of its modules.
    public var sources: [ContributionSource] {
        let all: [ContributionSource] = [.plugin(self, bundle.contributions)] + modules.map { .pluginModule(self, $0) }
        return all.map { (source: ContributionSource) -> ContributionSource in
            var s = source
            s.needsConfiguration = needsConfiguration
            return s
        }
    }
}
