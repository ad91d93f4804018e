import Foundation
public import KernelCore
import KernelStore

extension PluginHost {
    /// One plugin as `plugins list` shows it: an installed plugin (at a scope) or a `--plugin-dir` folder.
    public struct PluginListing: Sendable {
        public var id: String
        public var name: String
        /// `name@marketplace` for installs, `name@inline` for `--plugin-dir` folders (as the reference host).
        public var source: String
        public var version: String
        /// `user`, `project`, `local` or `flag`.
        public var scope: String
        public var enabled: Bool
        public var canDisable: Bool
        public var projectPath: String?
        public var installPath: String
        public var installedAt: Date?
        /// The summary read from the cache (`listings`, plugin unchanged); nil when the bundle was read.
        var cachedSummary: PluginSummary?
        /// The whole bundle, when it was read (always in `compose`; not on a cache hit in `listings`).
        public var bundle: PluginBundle?
        /// Installed only as another plugin's dependency (the receipt's `autoInstalled`).
        public var autoInstalled = false
        /// The plugin ids it requires, and the installed plugins here that require it.
        public var requires: [String] = []
        public var requiredBy: [String] = []
        /// What the managed policy does to it (forced on or blocked, and why); nil when it says nothing.
        public var policy: PolicyDecision?
        /// The required user configuration keys without a value: while any is missing the plugin "needs
        /// configuration" and its hooks and MCP servers do not start.
        public var missingConfig: [String] = []

        /// Why its hooks and MCP servers do not start for want of configuration; nil when nothing is missing.
        public var needsConfiguration: String? {
            UserConfigResolution.reason(pluginID: id, missing: missingConfig)
        }

        /// What listings show: from the cache when the plugin's files are unchanged, else made from the bundle
        /// (on demand: `compose` callers that never print a listing do not pay for it).
        public var summary: PluginSummary {
            cachedSummary ?? PluginSummary(bundle ?? PluginBundle(root: installPath, name: name, manifestFormat: .none))
        }
    }

    /// The row of a `--plugin-dir` folder (scope `flag`, id `name@flag`, source `name@inline`, as the reference
    /// host lists them), read now.
    func flagListing(_ dir: String) -> PluginListing {
        let bundle = BundleLoader.load(at: dir)
        return PluginListing(
            id: "\(bundle.name)@flag", name: bundle.name, source: "\(bundle.name)@inline",
            version: bundle.version ?? "local", scope: "flag", enabled: true, canDisable: false, projectPath: nil,
            installPath: URL(fileURLWithPath: dir).standardizedFileURL.path, installedAt: nil, cachedSummary: nil,
            bundle: bundle)
    }

    /// What a consumer of a composition needs: the kinds the resolver registers. `hooks fire` composes with
    /// `.hooks` only (no MCP files read, no prompt components registered).
    public struct Needs: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Commands (with native commands), skills, agents, output styles.
        public static let prompts = Needs(rawValue: 1)
        /// Hooks, native hook handlers, evaluators, and agents (for their frontmatter hooks).
        public static let hooks = Needs(rawValue: 2)
        /// MCP servers (the settings files' and the project's `.mcp.json`).
        public static let mcp = Needs(rawValue: 4)
        public static let all: Needs = [.prompts, .hooks, .mcp]

        /// The `ContributionKind` names; nil for all.
        var kinds: Set<String>? {
            if self.contains(.all) { return nil }
            var names: Set<String> = []
            if contains(.prompts) { names.formUnion(["commands", "skills", "agents", "outputStyles", "nativeCommands"]) }
            if contains(.hooks) { names.formUnion(["hooks", "nativeHooks", "evaluators", "agents"]) }
            if contains(.mcp) { names.insert("mcpServers") }
            return names
        }
    }

    /// Everything the registry is built from, and the plugin rows `list` prints.
    public struct Composition: Sendable {
        public var registry: Registry
        public var plugins: [PluginListing]
        public var projectTrusted: Bool
        /// How many folders (user, project, installed plugins) came from the cache without reading a file,
        /// and how many were read.
        public var cachedFolders: Int
        public var readFolders: Int
        /// Every native module seen: built-in ones, then plugins' (with their scan verdicts).
        public var modules: [ModuleListing] = []
        /// The settings files as this composition read them.
        public var settings: SettingsSnapshot
        /// The sensitive user configuration values substituted into hooks and MCP servers: listings mask them
        /// (`masked(_:)`).
        public var sensitiveValues: [String] = []

        /// `text` with every sensitive value (raw, and as escaped in JSON) replaced by `********`. Values shorter
        /// than 3 characters are not masked (they would garble the listing).
        public func masked(_ text: String) -> String {
            var out = text
            for value in sensitiveValues where value.count >= 3 {
                out = out.replacingOccurrences(of: value, with: "********")
                let escaped = String(JSONValue.string(value).serialized(pretty: false).dropFirst().dropLast())
                if escaped != value { out = out.replacingOccurrences(of: escaped, with: "********") }
            }
            return out
        }
    }

    /// Reads every source and composes the registry, in stages (each a value in, a value out):
    /// 1. settings: the three files read once (`SettingsSnapshot`);
    /// 2. sources: the user and project folders, the settings files' hooks and MCP servers and the project's
    ///    `.mcp.json`, `--plugin-dir` folders, installed plugins (enabled or not: disabled ones are listed as
    ///    inactive), `--agents` definitions;
    /// 3. folders through the one bundle cache (`BundleCache`: unchanged folders are not read);
    /// 4. module scan (`scanModules`: cached verdicts, one scanner child for the rest);
    /// 5. resolver (`Resolver.compose`: precedence, enablement, trust) → the registry.
    /// A broken component is reported in `registry.diagnostics` and skipped; it never hides the others.
    /// - Parameters:
    ///   - needs: the kinds to register (default all).
    ///   - settingSources: when given, only the sources of these scopes take part (the user's folder, settings
    ///     and user-scope plugins for `user`; the project's for `project`; the local settings and local-scope
    ///     plugins for `local`); built-in components, `--plugin-dir` folders and `--agents` always do
    ///     (`agents list --setting-sources`).
    public func compose(pluginDirs: [String] = [], flagAgents: [AgentDefinition] = [],
                        needs: Needs = .all, settingSources: Set<Scope>? = nil) throws(KernelError) -> Composition {
        let settings = try SettingsSnapshot(paths: paths)
        let trust = projectTrust()
        let projectTrusted = trust.trusted
        var diagnostics: [Diagnostic] = []

        // User and project folders, and installed plugins: from the cache when nothing changed.
        let cache = BundleCache(store: store)
        let projectRoot = FileSystem.join(paths.project, ".qoder")
        let folderRoots = projectRoot == paths.home ? [paths.home] : [paths.home, projectRoot]
        let (receipts, interopDiagnostics) = try installedHere()
        diagnostics += interopDiagnostics
        var roots: [String] = []
        var seenRoots = Set<String>()
        for receipt in receipts where seenRoots.insert(receipt.installPath).inserted { roots.append(receipt.installPath) }
        let folders = cache.load(folderRoots, decodeBundles: true) { BundleLoader.loadComponentFolders(at: $0) }
        let installedFolders = cache.load(roots, decodeBundles: true) { BundleLoader.load(at: $0) }
        let cachedCount = (folders + installedFolders).count { $0.cached }
        let readCount = folders.count + installedFolders.count - cachedCount
        let empty = PluginBundle(root: projectRoot, name: "", manifestFormat: .none)
        let user = folders[0].bundle ?? empty
        let project = folders.count > 1 ? folders[1].bundle ?? empty : empty
        diagnostics += user.diagnostics + project.diagnostics

        // Settings: hooks of all three, MCP servers of user and local; the project's are in .mcp.json.
        var settingsDiagnostics = Diagnostics()
        var settingsContributions: [Scope: Contributions] = [:]
        for scope in Scope.allCases {
            var c = Contributions()
            if needs.contains(.hooks) { c.hooks = settings.hooks(scope, diagnostics: &settingsDiagnostics) }
            if needs.contains(.mcp) {
                if scope == .project {
                    if FileSystem.isFile(paths.projectMCPFile), let bytes = try? FileSystem.read(paths.projectMCPFile) {
                        let approvals = settings.mcpApprovals
                        c.mcpServers = MCPParser.parseFile(bytes, file: paths.projectMCPFile, diagnostics: &settingsDiagnostics)
                            .map { server in
                                var s = server
                                s.projectApproval = approvals.state(of: s.name)
                                return s
                            }
                    }
                } else {
                    c.mcpServers = settings.mcpServers(scope, diagnostics: &settingsDiagnostics)
                }
            }
            settingsContributions[scope] = c
        }
        diagnostics += settingsDiagnostics.items

        // Plugins: --plugin-dir first (as the reference host lists them), then installs. Each one's user
        // configuration is substituted into its hooks and MCP servers; one missing required values keeps them
        // from starting.
        let (secrets, secretsDiagnostics) = secretsForComposition()
        diagnostics += secretsDiagnostics
        var configDiagnostics = Diagnostics()
        var sensitiveValues: [String] = []
        func configured(_ id: String, _ bundle: PluginBundle, _ row: inout PluginListing) -> (PluginBundle, String?) {
            let resolution = Self.configResolution(id: id, bundle: bundle, settings: settings, secrets: secrets)
            var applied = bundle
            applied.contributions = resolution.apply(to: bundle.contributions, diagnostics: &configDiagnostics)
            row.missingConfig = resolution.missing
            sensitiveValues += resolution.sensitiveTexts
            return (applied, resolution.needsConfiguration)
        }
        var listings: [PluginListing] = []
        var plugins: [PluginInstance] = []
        for dir in pluginDirs {
            var row = flagListing(dir)
            guard let bundle = row.bundle else { continue }
            diagnostics += bundle.diagnostics
            let (applied, needsConfiguration) = configured(row.id, bundle, &row)
            listings.append(row)
            var instance = PluginInstance(id: row.id, scope: nil, bundle: applied, enabled: true, root: row.installPath,
                                          dataDir: paths.dataDir(pluginID: row.id))
            instance.needsConfiguration = needsConfiguration
            plugins.append(instance)
        }
        let states = settings.enabledStates
        let policy = managedPolicy()
        diagnostics += policy?.problems ?? []
        let decisions = policyDecisions(receipts, policy: policy)
        let dependencyIndex = DependencyIndex(receipts)
        var installedBundles: [String: PluginBundle] = [:]
        for (root, loaded) in zip(roots, installedFolders) { installedBundles[root] = loaded.bundle }
        for receipt in receipts {
            guard let bundle = installedBundles[receipt.installPath] else { continue }
            diagnostics += bundle.diagnostics.filter { $0.severity == .error }
            let decision = decisions[receipt.id]
            let enabled = decision.map { if case .forced = $0 { true } else { false } } ?? isEnabled(receipt, states: states)
            listings.append(PluginListing(
                id: receipt.id, name: receipt.name, source: receipt.id, version: receipt.version,
                scope: receipt.scope.rawValue, enabled: enabled, canDisable: true, projectPath: receipt.projectPath,
                installPath: receipt.installPath, installedAt: receipt.installedAt, cachedSummary: nil, bundle: bundle))
            listings[listings.count - 1].setDependencies(receipt, index: dependencyIndex)
            listings[listings.count - 1].policy = decision
            let (applied, needsConfiguration) = configured(receipt.id, bundle, &listings[listings.count - 1])
            var instance = PluginInstance(id: receipt.id, scope: receipt.scope, bundle: applied, enabled: enabled,
                                          root: receipt.installPath, dataDir: paths.dataDir(pluginID: receipt.id))
            instance.needsConfiguration = needsConfiguration
            plugins.append(instance)
        }
        diagnostics += configDiagnostics.items

        // Native modules: scan results from the cache, one scanner child for the rest.
        let modules = scanModules(plugins: plugins, projectTrusted: projectTrusted)
        for i in plugins.indices {
            plugins[i].modules = modules.filter { $0.pluginID == plugins[i].id && $0.pluginPath == plugins[i].bundle.root }
                .map(\.components)
        }
        for m in modules { diagnostics += m.components.diagnostics }

        // The sources, in composition order (see `RegistryInput.sources`), then the resolver.
        var flag = Contributions()
        flag.agents = flagAgents
        var input = RegistryInput(projectTrusted: projectTrusted, kinds: needs.kinds)
        if !trust.changes.isEmpty {
            input.untrustedReason = "project changed since it was trusted (\(trust.changes.joined(separator: ", "))): run `kernel trust` in it again"
        }
        input.sources = [.scope(.user, user.contributions), .scope(.project, project.contributions), .flag(flag)]
            + modules.filter { $0.pluginID == nil }.map { .builtinModule($0.components) }
            + Scope.allCases.map { .scope($0, settingsContributions[$0] ?? Contributions()) }
            + plugins.flatMap(\.sources)
        if let settingSources {
            input.sources.removeAll { source in source.provenance.scope.map { !settingSources.contains($0) } ?? false }
        }
        input.diagnostics = diagnostics
        var registry = Resolver.compose(input)
        settings.skillSettings.apply(to: &registry, files: settings.files)
        settings.hookSettings.apply(to: &registry)
        return Composition(registry: registry, plugins: listings, projectTrusted: projectTrusted,
                           cachedFolders: cachedCount, readFolders: readCount, modules: modules, settings: settings,
                           sensitiveValues: sensitiveValues.sorted { $0.count > $1.count })
    }
}

extension PluginHost {
    /// The secrets file for a composition or listing: one that cannot be read is reported (its values are then
    /// missing) and never stops the listing.
    func secretsForComposition() -> (Node, [Diagnostic]) {
        do {
            return (try readSecrets(), [])
        } catch {
            return (Node(.object([]), line: 1, column: 1),
                    error.diagnostics.isEmpty
                        ? [Diagnostic(id: "config.secrets_unreadable", .warning, "\(error.message); sensitive plugin configuration is treated as unset",
                                      at: SourceLocation(file: secretsFile, line: 1, column: 1))]
                        : error.diagnostics)
        }
    }

    /// The rows of `plugins list`: `--plugin-dir` folders, then installed plugins. A plugin whose files are
    /// unchanged since the last run (every folder listed and file read has the same device, inode, size and
    /// mtime) is not read again: its summary comes from the store; others are read and cached.
    public func listings(pluginDirs: [String] = []) throws(KernelError) -> [PluginListing] {
        try listingsReport(pluginDirs: pluginDirs).rows
    }

    /// `listings` with what reconciling with `installed_plugins_v2.json` reported.
    public func listingsReport(pluginDirs: [String] = []) throws(KernelError) -> (rows: [PluginListing], diagnostics: [Diagnostic]) {
        var rows = pluginDirs.map(flagListing)
        let settings = try SettingsSnapshot(paths: paths)
        let states = settings.enabledStates
        let (secrets, secretsDiagnostics) = secretsForComposition()
        for i in rows.indices {
            rows[i].missingConfig = Self.missingConfig(id: rows[i].id, name: rows[i].name, required: rows[i].summary.requiredConfigKeys,
                                                       settings: settings, secrets: secrets)
        }
        let (receipts, interop) = try installedHere()
        let policy = managedPolicy()
        let diagnostics = interop + (policy?.problems ?? []) + secretsDiagnostics
        let decisions = policyDecisions(receipts, policy: policy)
        let dependencyIndex = DependencyIndex(receipts)
        // Each install folder once (the same copy may be installed at several scopes), checked or read in
        // parallel: freshness is one stat per input, a miss a whole bundle read.
        var roots: [String] = []
        var seenRoots = Set<String>()
        for receipt in receipts where seenRoots.insert(receipt.installPath).inserted { roots.append(receipt.installPath) }
        var loaded: [String: BundleCache.Loaded] = [:]
        for (root, folder) in zip(roots, BundleCache(store: store).load(roots, decodeBundles: false, read: { BundleLoader.load(at: $0) })) {
            loaded[root] = folder
        }
        for receipt in receipts {
            guard let folder = loaded[receipt.installPath] else { continue }
            rows.append(PluginListing(
                id: receipt.id, name: receipt.name, source: receipt.id, version: receipt.version,
                scope: receipt.scope.rawValue,
                enabled: decisions[receipt.id].map { if case .forced = $0 { true } else { false } } ?? isEnabled(receipt, states: states),
                canDisable: decisions[receipt.id] == nil,
                projectPath: receipt.projectPath, installPath: receipt.installPath, installedAt: receipt.installedAt,
                cachedSummary: folder.summary, bundle: folder.bundle))
            rows[rows.count - 1].setDependencies(receipt, index: dependencyIndex)
            rows[rows.count - 1].policy = decisions[receipt.id]
            rows[rows.count - 1].missingConfig = Self.missingConfig(id: receipt.id, name: receipt.name, required: folder.summary.requiredConfigKeys,
                                                                    settings: settings, secrets: secrets)
        }
        return (rows, diagnostics)
    }

    /// Empties the component cache. Returns how many cached folders and files were removed (the stamp of the
    /// last install-records reconcile goes too, but is not counted: it is not a component).
    @discardableResult
    public func clearCache() throws(KernelError) -> Int {
        let stamps = (try? store.cachedComponents(atPaths: [paths.installedPluginsFile], parserVersion: Self.stampVersion))?.count ?? 0
        do { return try store.pruneComponents(keeping: []) - stamps } catch { throw KernelError(.store, wrapping: error) }
    }
}
