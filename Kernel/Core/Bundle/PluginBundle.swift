/// Where a bundle's manifest came from.
public enum ManifestFormat: String, Sendable, Codable {
    /// `.qoder-plugin/plugin.json`
    case qoder
    /// `.claude-plugin/plugin.json`
    case claude
    /// A marketplace entry with `strict: false` supplied the manifest.
    case marketplaceEntry
    /// No manifest: the name is the folder's.
    case none
}

/// A plugin bundle as read from disk: its manifest, every component it contributes, and every problem found.
///
/// Reading never stops at the first problem: a broken component is reported and skipped, and the others are
/// still read.
public struct PluginBundle: Sendable {
    /// The root folder, as given (diagnostics and component files use paths under it).
    public var root: String
    public var manifest: PluginManifest?
    public var manifestFormat: ManifestFormat
    public var name: String
    public var version: String?
    public var description: String?
    public var commands: [CommandDefinition] = []
    public var skills: [SkillDefinition] = []
    public var agents: [AgentDefinition] = []
    public var hooks: [HookMatcherGroup] = []
    public var mcpServers: [MCPServerDefinition] = []
    public var outputStyles: [OutputStyleDefinition] = []
    /// Executables under `bin/`, as paths.
    public var binaries: [String] = []
    /// Native modules (`modules/*.so` and the manifest's `modules`), as paths.
    public var modules: [String] = []
    public var diagnostics: [Diagnostic] = []

    public init(root: String, name: String, manifestFormat: ManifestFormat) {
        self.root = root
        self.name = name
        self.manifestFormat = manifestFormat
    }

    /// No diagnostic of severity error.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }

    /// Valid with `--strict`: no errors and no warnings.
    public var isStrictlyValid: Bool { !diagnostics.contains { $0.severity >= .warning } }

    /// The hook event names configured, in first-seen order, each once.
    public var hookEvents: [String] {
        var seen = Set<String>()
        return hooks.compactMap { seen.insert($0.event).inserted ? $0.event : nil }
    }

    /// At least one component or resource: what `install` requires.
    public var hasComponents: Bool {
        !(commands.isEmpty && skills.isEmpty && agents.isEmpty && hooks.isEmpty && mcpServers.isEmpty
          && outputStyles.isEmpty && binaries.isEmpty && modules.isEmpty)
    }
}
