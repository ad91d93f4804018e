/// What one source contributes, parsed: a plugin bundle's files, a native module's registrations, the user's or
/// the project's folders and settings files. The one list of component kinds: bundles, modules and folders all
/// hold a `Contributions`, and the resolver registers every kind through `Contributions.kinds`.
///
/// Adding a kind (see Kernel/Core/README.md): a stored property here (and in `CodingKeys` when it is read from
/// files), its list in `Registry`, and one row in `Contributions.kinds`.
public struct Contributions: Sendable {
    public var commands: [CommandDefinition] = []
    public var skills: [SkillDefinition] = []
    public var agents: [AgentDefinition] = []
    public var hooks: [HookMatcherGroup] = []
    public var mcpServers: [MCPServerDefinition] = []
    public var outputStyles: [OutputStyleDefinition] = []
    /// In-process hook handlers (native modules, an embedding host).
    public var nativeHooks: [any NativeHookHandler] = []
    /// Evaluators for `prompt`/`agent` hooks (ABI 1.1).
    public var evaluators: [any NativeEvaluatorHandler] = []
    /// Native commands (ABI 1.1); each also has its listing entry (`nativeModule` set) in `commands`.
    public var nativeCommands: [any NativeCommandHandler] = []

    public init() {}

    /// No component of any kind.
    public var isEmpty: Bool { Self.kinds.allSatisfy { $0.isEmpty(self) } }

    /// Appends every component of `other`, kind by kind.
    public mutating func append(_ other: Contributions) {
        for kind in Self.kinds { kind.append(other, &self) }
    }
}

extension Contributions: Codable {
    /// The kinds read from files. Native handlers are functions: they are rebuilt from a module's scan result,
    /// never encoded.
    enum CodingKeys: String, CodingKey { case commands, skills, agents, hooks, mcpServers, outputStyles }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        commands = try c.decode([CommandDefinition].self, forKey: .commands)
        skills = try c.decode([SkillDefinition].self, forKey: .skills)
        agents = try c.decode([AgentDefinition].self, forKey: .agents)
        hooks = try c.decode([HookMatcherGroup].self, forKey: .hooks)
        mcpServers = try c.decode([MCPServerDefinition].self, forKey: .mcpServers)
        outputStyles = try c.decode([OutputStyleDefinition].self, forKey: .outputStyles)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(commands, forKey: .commands)
        try c.encode(skills, forKey: .skills)
        try c.encode(agents, forKey: .agents)
        try c.encode(hooks, forKey: .hooks)
        try c.encode(mcpServers, forKey: .mcpServers)
        try c.encode(outputStyles, forKey: .outputStyles)
    }
}

/// The rules of one component kind: how an item is named in the registry, whether it executes code (then it is
/// gated by trust as well as by enablement), whether same-named entries shadow each other, and where its list
/// lives in `Contributions` and `Registry`.
public struct ContributionKind: Sendable {
    /// How an item's registry name is made.
    public enum Naming: Sendable {
        /// `plugin:name` for plugin items, the bare name otherwise (commands, skills, MCP servers, styles).
        case namespaced
        /// Its own name whatever the source (agents: plugin agents also answer to `plugin:name` on lookup).
        case bare
    }

    public var name: String
    public var naming: Naming
    /// Executes code (hooks, MCP servers, native handlers): inactive in an untrusted project when the source is
    /// project-scoped.
    public var executes: Bool
    /// Among same-named active entries the highest `Precedence.rank` stays active, the others are shadowed.
    /// False for hooks (all sources merge) and native handlers.
    public var shadows: Bool
    let isEmpty: @Sendable (Contributions) -> Bool
    let append: @Sendable (Contributions, inout Contributions) -> Void
    let register: @Sendable (Contributions, ContributionSource, ComponentState, inout Registry) -> Void
    let shadow: @Sendable (inout Registry) -> Void

    /// A kind whose items become `RegistryEntry`s in `entries`.
    /// - Parameters:
    ///   - key: the item's own name (hooks: the event).
    ///   - location: the item's file and line; nil file means the source's `file` (a module's path).
    ///   - inactive: why an item does not take effect (it is inactive and shadows nothing); nil when it does.
    ///   - retired: why an item that wins its name does not take effect: applied after shadowing, so it still
    ///     shadows the entries below it (a disabled MCP server: the definition in effect is the disabled one).
    init<Item: Sendable>(_ name: String, _ items: any WritableKeyPath<Contributions, [Item]> & Sendable,
                         _ entries: any WritableKeyPath<Registry, [RegistryEntry<Item>]> & Sendable,
                         naming: Naming, executes: Bool, shadows: Bool,
                         key: @escaping @Sendable (Item) -> String,
                         location: @escaping @Sendable (Item) -> (file: String?, line: Int?),
                         inactive: @escaping @Sendable (Item) -> String? = { _ in nil },
                         retired: @escaping @Sendable (Item) -> String? = { _ in nil }) {
        self.name = name
        self.naming = naming
        self.executes = executes
        self.shadows = shadows
        isEmpty = { $0[keyPath: items].isEmpty }
        append = { other, into in into[keyPath: items] += other[keyPath: items] }
        register = { contributions, source, state, registry in
            for item in contributions[keyPath: items] {
                let own = key(item)
                let name = naming == .namespaced ? source.provenance.pluginName.map { "\($0):\(own)" } ?? own : own
                var provenance = source.provenance
                let (file, line) = location(item)
                provenance.file = file ?? source.file
                provenance.line = line
                let itemState = state.isActive ? inactive(item).map { ComponentState.inactive(reason: $0) } ?? state : state
                registry[keyPath: entries].append(RegistryEntry(name: name, item: item, provenance: provenance, state: itemState))
            }
        }
        if shadows {
            shadow = { (registry: inout Registry) in
                Resolver.shadow(&registry[keyPath: entries])
                for i in registry[keyPath: entries].indices where registry[keyPath: entries][i].state.isActive {
                    if let reason = retired(registry[keyPath: entries][i].item) {
                        registry[keyPath: entries][i].state = .inactive(reason: reason)
                    }
                }
            }
        } else {
            shadow = { (_: inout Registry) in }
        }
    }

    init(_ name: String, executes: Bool, isEmpty: @escaping @Sendable (Contributions) -> Bool,
         append: @escaping @Sendable (Contributions, inout Contributions) -> Void,
         register: @escaping @Sendable (Contributions, ContributionSource, ComponentState, inout Registry) -> Void) {
        self.name = name
        self.naming = .bare
        self.executes = executes
        self.shadows = false
        self.isEmpty = isEmpty
        self.append = append
        self.register = register
        shadow = { _ in }
    }
}

extension Contributions {
    /// Every component kind, in the order listings show them. The one place a new kind is added.
    public static let kinds: [ContributionKind] = [
        ContributionKind("commands", \.commands, \.commands, naming: .namespaced, executes: false, shadows: true,
                         key: \.name, location: { ($0.file, nil) }),
        ContributionKind("skills", \.skills, \.skills, naming: .namespaced, executes: false, shadows: true,
                         key: \.name, location: { ($0.file, nil) }),
        ContributionKind("agents", \.agents, \.agents, naming: .bare, executes: false, shadows: true,
                         key: \.name, location: { ($0.file, nil) }),
        ContributionKind("hooks", \.hooks, \.hooks, naming: .bare, executes: true, shadows: false,
                         key: \.event, location: { ($0.file, $0.line) }),
        ContributionKind("mcpServers", \.mcpServers, \.mcpServers, naming: .namespaced, executes: true, shadows: true,
                         key: \.name, location: { ($0.file, $0.line) }, inactive: { $0.inactiveReason }, retired: { $0.disabledReason }),
        ContributionKind("outputStyles", \.outputStyles, \.outputStyles, naming: .namespaced, executes: false,
                         shadows: true, key: \.name, location: { ($0.file, nil) }),
        ContributionKind("nativeHooks", \.nativeHooks, \.nativeHooks, naming: .bare, executes: true, shadows: false,
                         key: \.name, location: { _ in (nil, nil) }),
        ContributionKind("evaluators", \.evaluators, \.evaluators, naming: .bare, executes: true, shadows: false,
                         key: \.name, location: { _ in (nil, nil) }),
        // Native commands' functions, by module and name; their listing entries are in `commands`.
        ContributionKind("nativeCommands", executes: false, isEmpty: { $0.nativeCommands.isEmpty },
                         append: { other, into in into.nativeCommands += other.nativeCommands },
                         register: { contributions, _, _, registry in
                             for n in contributions.nativeCommands {
                                 registry.nativeCommands[Registry.nativeCommandKey(module: n.modulePath, name: n.name)] = n
                             }
                         }),
    ]

    /// The kinds a consumer needs; nil is all of them.
    public static func kinds(named names: Set<String>?) -> [ContributionKind] {
        guard let names else { return kinds }
        return kinds.filter { names.contains($0.name) }
    }
}

/// One source taking part in composition: its provenance (source, scope, plugin id and name, plugin root and
/// data folder; file and line are filled per item), what it contributes, and whether it is enabled.
public struct ContributionSource: Sendable {
    public var provenance: Provenance
    public var contributions: Contributions
    /// A disabled plugin's components are listed as inactive.
    public var enabled: Bool
    /// The file of items that carry none (a native module's handlers): the module's path.
    public var file: String?
    /// A plugin missing required user configuration: what executes (hooks, MCP servers, native handlers) is
    /// inactive with this reason; prompt components stay active.
    public var needsConfiguration: String?

    public init(provenance: Provenance, contributions: Contributions, enabled: Bool = true, file: String? = nil) {
        self.provenance = provenance
        self.contributions = contributions
        self.enabled = enabled
        self.file = file
    }
}
