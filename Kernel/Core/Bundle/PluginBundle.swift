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
/// still read. Its components are a `Contributions` (`bundle.commands` reads `bundle.contributions.commands`).
@dynamicMemberLookup
public struct PluginBundle: Sendable, Codable {
    /// The root folder, as given (diagnostics and component files use paths under it).
    public var root: String
    public var manifest: PluginManifest?
    public var manifestFormat: ManifestFormat
    public var name: String
    public var version: String?
    public var description: String?
    public var contributions = Contributions()
    /// Executables under `bin/`, as paths.
    public var binaries: [String] = []
    /// Native modules (`modules/*.so` and the manifest's `modules`), as paths.
    public var modules: [String] = []
    /// `workflows/*.js` files (saved workflows, `seeds/cli-workflows.md`): counted as content, not run.
    public var workflows: [String] = []
    /// `rules/**/*.md` and `*.mdc` files (plugin memory, `seeds/cli-memory.md`), as paths: content, composed by
    /// the memory walk (`MemoryContext`), which parses them.
    public var rules: [String] = []
    /// `tasks/*.md` task blueprints, as paths: content, read by the tasks engine.
    public var tasks: [String] = []
    public var diagnostics: [Diagnostic] = []
    /// Every folder listed or probed and every file read while loading: if none of them changed (path, inode,
    /// size, mtime), loading again gives the same bundle. What the component cache keys on.
    public var inputs: [String] = []
    /// The stamp of each of `inputs` as it was read (nil where it was only probed): a cache keys on these
    /// instead of stat'ing every input again. Not encoded: a bundle decoded from a cache has none.
    public var inputStamps: [FileSystem.Stamp?] = []

    enum CodingKeys: String, CodingKey {
        case root, manifest, manifestFormat, name, version, description, contributions, binaries, modules, workflows, rules,
             tasks, diagnostics, inputs
    }

    public init(root: String, name: String, manifestFormat: ManifestFormat) {
        self.root = root
        self.name = name
        self.manifestFormat = manifestFormat
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<Contributions, T>) -> T {
        get { contributions[keyPath: keyPath] }
        set { contributions[keyPath: keyPath] = newValue }
    }

    /// No diagnostic of severity error.
    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }

    /// Valid with `--strict`: no errors and no warnings.
    public var isStrictlyValid: Bool { !diagnostics.contains { $0.severity >= .warning } }

    /// The hook event names configured, in first-seen order, each once.
    public var hookEvents: [String] {
        var seen = Set<String>()
        return contributions.hooks.compactMap { seen.insert($0.event).inserted ? $0.event : nil }
    }

    /// At least one component or resource: what `install` requires. LSP servers the manifest declares count
    /// (the official marketplace's language-server plugins are `strict: false` entries holding only those).
    public var hasComponents: Bool {
        !(contributions.isEmpty && binaries.isEmpty && modules.isEmpty && workflows.isEmpty && rules.isEmpty && tasks.isEmpty
          && manifest?.lspServers == nil)
    }
}

extension PluginManifest {
    /// This manifest with every field the other one sets taken from it: how a `strict: false` marketplace
    /// entry supplies a plugin's metadata and components over its plugin.json.
    public func overlaid(by other: PluginManifest) -> PluginManifest {
        var m = self
        m.name = other.name
        m.version = other.version ?? version
        m.description = other.description ?? description
        m.displayName = other.displayName ?? displayName
        m.homepage = other.homepage ?? homepage
        m.repository = other.repository ?? repository
        m.license = other.license ?? license
        m.author = other.author ?? author
        if !other.keywords.isEmpty { m.keywords = other.keywords }
        if !other.dependencies.isEmpty { m.dependencies = other.dependencies }
        m.commands = other.commands ?? commands
        m.agents = other.agents ?? agents
        m.skills = other.skills ?? skills
        m.outputStyles = other.outputStyles ?? outputStyles
        m.hooks = other.hooks ?? hooks
        m.mcpServers = other.mcpServers ?? mcpServers
        m.lspServers = other.lspServers ?? lspServers
        m.modules = other.modules ?? modules
        if !other.userConfig.isEmpty { m.userConfig = other.userConfig }
        m.file = other.file
        return m
    }
}

extension PluginBundle {
    /// What the plugin asks its user for: the manifest's `userConfig`, then, for each MCP server whose `url`
    /// is a placeholder (`{{USER_CONFIG}}` or empty), `mcpServers.<server>.url`: required (the plugin needs
    /// configuration) when its `_setup` says `"required": true`; otherwise only that server waits for it.
    public var userConfigOptions: [UserConfigOption] {
        var out = manifest?.userConfig ?? []
        for s in contributions.mcpServers where s.needsConfiguration != nil && s.transport != .stdio {
            var o = UserConfigOption(key: UserConfigOption.serverKey(s.name, "url"), type: .string,
                                     required: s.setup?.required ?? false, file: s.file, line: s.line, column: s.column)
            o.server = s.name
            o.title = "URL of MCP server '\(s.name)'"
            o.description = [s.setup?.guide, s.setup?.configUrl.map { "Get it at \($0)" }].compactMap { $0 }.joined(separator: " ")
            if o.description?.isEmpty == true { o.description = nil }
            out.append(o)
        }
        return out
    }
}

extension PluginSource {
    /// One line for listings: `./plugins/x`, `github:owner/repo@ref`, `git:https://…#path`, `npm:pkg@1.0`…
    public var summary: String {
        switch self {
        case .relative(let path): return path
        case .github(let repo, let ref, _): return "github:\(repo)" + (ref.map { "@\($0)" } ?? "")
        case .url(let url, let ref, _): return "git:\(url)" + (ref.map { "@\($0)" } ?? "")
        case .gitSubdir(let url, let path, let ref, _): return "git:\(url)#\(path)" + (ref.map { "@\($0)" } ?? "")
        case .npm(let package, let version, _): return "npm:\(package)" + (version.map { "@\($0)" } ?? "")
        case .archive(let url, _): return "archive:\(url)"
        }
    }
}
