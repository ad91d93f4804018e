/// The settings keys that switch skills off or change how they are shown, as the reference host reads them:
/// `skills.disabled` (a list of skill names in each settings file; the lists are united) and `skillOverrides`
/// (skill name → `on`, `off`, `name-only` or `user-invocable-only`; the most specific file's value wins).
public struct SkillSettings: Sendable {
    public static let overrideValues = ["on", "off", "name-only", "user-invocable-only"]

    /// Each disabled name with the most specific scope whose file lists it.
    public var disabled: [String: Scope] = [:]
    /// Each overridden name with its value and the scope of the file that sets it.
    public var overrides: [String: (value: String, scope: Scope)] = [:]

    public init() {}

    /// Reads the keys from each scope's settings document. Values of another type are ignored.
    public init(documents: [Scope: Node]) {
        for scope in [Scope.user, .project, .local] {
            guard let document = documents[scope] else { continue }
            for name in document["skills"]?["disabled"]?.array?.compactMap(\.string) ?? [] { disabled[name] = scope }
            for member in document["skillOverrides"]?.members ?? [] {
                if let value = member.value.string { overrides[member.key] = (value, scope) }
            }
        }
    }

    /// The names a registry entry answers to in these keys: its registry name (`plugin:skill` for plugin
    /// skills) and its own name.
    static func names(_ e: RegistryEntry<SkillDefinition>) -> [String] {
        e.name == e.item.name ? [e.name] : [e.name, e.item.name]
    }

    /// Marks disabled skills and skills overridden `off` inactive, with the file that says so, and records the
    /// visibility of the others (`name-only`, `user-invocable-only`). A skill already inactive keeps its reason.
    public func apply(to registry: inout Registry, files: [Scope: String]) {
        guard !disabled.isEmpty || !overrides.isEmpty else { return }
        for i in registry.skills.indices {
            let names = Self.names(registry.skills[i])
            if case .inactive = registry.skills[i].state { continue }
            if let scope = names.lazy.compactMap({ disabled[$0] }).first {
                registry.skills[i].state = .inactive(reason: "disabled in skills.disabled of \(scope.rawValue) settings (\(files[scope] ?? "?"))")
                continue
            }
            guard let (value, scope) = names.lazy.compactMap({ overrides[$0] }).first else { continue }
            switch value {
            case "off":
                registry.skills[i].state = .inactive(reason: "skillOverrides is \"off\" in \(scope.rawValue) settings (\(files[scope] ?? "?"))")
            case "name-only", "user-invocable-only":
                registry.skills[i].item.visibility = value
            default:
                continue
            }
        }
    }
}
