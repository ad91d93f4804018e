/// Where a component came from.
public enum ComponentSource: String, Sendable, Codable, CaseIterable {
    case builtin, user, project, local, plugin, flag, module
}

/// A component's provenance: source, scope, plugin (id, name, root and data folder), file and line. Listings
/// show it; hook and MCP processes and native commands get the plugin's folders from it.
public struct Provenance: Sendable, Equatable {
    public var source: ComponentSource
    public var scope: Scope?
    /// `name@marketplace` for plugin components.
    public var pluginID: String?
    /// The plugin's name, for namespacing.
    public var pluginName: String?
    /// The plugin's folder (`QODER_PLUGIN_ROOT`), for plugin components.
    public var pluginRoot: String?
    /// The plugin's data folder (`QODER_PLUGIN_DATA`), for plugin components; created when a handler runs.
    public var pluginData: String?
    public var file: String?
    public var line: Int?

    public init(source: ComponentSource, scope: Scope? = nil, pluginID: String? = nil, pluginName: String? = nil,
                pluginRoot: String? = nil, pluginData: String? = nil, file: String? = nil, line: Int? = nil) {
        self.source = source
        self.scope = scope
        self.pluginID = pluginID
        self.pluginName = pluginName
        self.pluginRoot = pluginRoot
        self.pluginData = pluginData
        self.file = file
        self.line = line
    }

    /// The folders a plugin component's variables and processes see (nil for others), with the project's.
    public func renderContext(projectDir: String) -> RenderContext {
        RenderContext(pluginRoot: pluginRoot, pluginData: pluginData, projectDir: projectDir)
    }

    /// `project`, `user`, `plugin hello@local`…: how listings name the origin.
    public var label: String {
        if let pluginID { return "\(source.rawValue) \(pluginID)" }
        return source.rawValue
    }
}

/// Whether a registered component takes effect.
public enum ComponentState: Sendable, Equatable {
    case active
    /// Another component of the same name wins; `by` says which (its provenance label and file).
    case shadowed(by: String)
    /// Not in effect for a reason other than shadowing: its plugin is disabled, the project is not trusted…
    case inactive(reason: String)

    public var isActive: Bool { self == .active }

    /// `active`, `shadowed`, `inactive`.
    public var name: String {
        switch self {
        case .active: "active"
        case .shadowed: "shadowed"
        case .inactive: "inactive"
        }
    }

    /// Why it is not active; nil when active.
    public var reason: String? {
        switch self {
        case .active: nil
        case .shadowed(let by): "shadowed by \(by)"
        case .inactive(let reason): reason
        }
    }
}

/// One component in the registry: the name it is invoked by, the parsed definition, where it came from and
/// whether it is in effect.
public struct RegistryEntry<Item: Sendable>: Sendable {
    public var name: String
    public var item: Item
    public var provenance: Provenance
    public var state: ComponentState

    public init(name: String, item: Item, provenance: Provenance, state: ComponentState = .active) {
        self.name = name
        self.item = item
        self.provenance = provenance
        self.state = state
    }
}

/// Everything the composed sources contribute, with priorities applied. Shadowed and inactive entries stay
/// in the lists (listings show them); consumers that act use `active…`.
public struct Registry: Sendable {
    public var commands: [RegistryEntry<CommandDefinition>] = []
    public var skills: [RegistryEntry<SkillDefinition>] = []
    public var agents: [RegistryEntry<AgentDefinition>] = []
    public var hooks: [RegistryEntry<HookMatcherGroup>] = []
    public var mcpServers: [RegistryEntry<MCPServerDefinition>] = []
    public var outputStyles: [RegistryEntry<OutputStyleDefinition>] = []
    /// In-process hook handlers registered by native modules or the embedding host.
    public var nativeHooks: [RegistryEntry<any NativeHookHandler>] = []
    /// Evaluators for `prompt`/`agent` hooks registered by native modules, in composition order (built-in
    /// modules, then plugins); inactive ones (disabled plugin, untrusted project) never run.
    public var evaluators: [RegistryEntry<any NativeEvaluatorHandler>] = []
    /// The functions of native commands, by module path and command name; the commands themselves are in
    /// `commands` (their `nativeModule` is set). Use `nativeCommand(for:)`.
    public var nativeCommands: [String: any NativeCommandHandler] = [:]
    /// Problems met while composing (a broken component is reported here and skipped).
    public var diagnostics: [Diagnostic] = []

    public init() {}

    /// The active command invoked as `/name`: an exact name first, else a plugin command whose own name (after
    /// `plugin:`) is `name` when exactly one plugin has it.
    public func command(named name: String) -> Lookup<CommandDefinition> {
        Self.lookup(name, in: commands)
    }

    /// The function that produces the prompt of a native command entry; nil for a Markdown command.
    public func nativeCommand(for entry: RegistryEntry<CommandDefinition>) -> (any NativeCommandHandler)? {
        guard let module = entry.item.nativeModule else { return nil }
        return nativeCommands[Self.nativeCommandKey(module: module, name: entry.item.name)]
    }

    package static func nativeCommandKey(module: String, name: String) -> String { module + "\u{0}" + name }

    /// The active skill invoked as `name` (same rules as commands).
    public func skill(named name: String) -> Lookup<SkillDefinition> {
        Self.lookup(name, in: skills)
    }

    /// The active agent named `name` (agents resolve by their own name; plugin agents also answer to
    /// `plugin:name`).
    public func agent(named name: String) -> Lookup<AgentDefinition> {
        Self.lookup(name, in: agents)
    }

    public enum Lookup<Item: Sendable>: Sendable {
        case found(RegistryEntry<Item>)
        case ambiguous([RegistryEntry<Item>])
        case notFound(suggestion: String?)
    }

    static func lookup<Item>(_ name: String, in entries: [RegistryEntry<Item>]) -> Lookup<Item> {
        let active = entries.filter { $0.state.isActive }
        if let exact = active.first(where: { $0.name == name }) { return .found(exact) }
        // `plugin:agent` for an entry registered by its bare name (agents).
        if let qualified = active.first(where: { e in e.provenance.pluginName.map { "\($0):\(e.name)" == name } ?? false }) {
            return .found(qualified)
        }
        // `cmd` for an entry registered as `plugin:cmd` (commands, skills), when only one plugin has it.
        let bare = active.filter { e in e.provenance.pluginName.map { e.name == "\($0):\(name)" } ?? false }
        if bare.count == 1 { return .found(bare[0]) }
        if bare.count > 1 { return .ambiguous(bare) }
        return .notFound(suggestion: closestMatch(name, in: entries.map(\.name)))
    }
}
