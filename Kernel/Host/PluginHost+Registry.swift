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
    }

    /// Reads every source and composes the registry: user and project folders, the settings files' hooks and
    /// MCP servers, the project's `.mcp.json`, installed plugins (enabled or not: disabled ones are listed as
    /// inactive), `--plugin-dir` folders and `--agents` definitions.
    /// A broken component is reported in `registry.diagnostics` and skipped; it never hides the others.
    public func compose(pluginDirs: [String] = [], flagAgents: [AgentDefinition] = []) throws(KernelError) -> Composition {
        var input = RegistryInput()
        var diagnostics: [Diagnostic] = []
        input.projectTrusted = isProjectTrusted()

        // User and project folders, and installed plugins: from the cache when nothing changed.
        let cache = BundleCache(store: store)
        let projectRoot = FileSystem.join(paths.project, ".qoder")
        let folders = cache.bundles(at: projectRoot == paths.home ? [paths.home] : [paths.home, projectRoot]) {
            BundleLoader.loadComponentFolders(at: $0)
        }
        var cachedCount = folders.count { $0.cached }
        var readCount = folders.count - cachedCount
        let user = folders[0].bundle
        let project = folders.count > 1 ? folders[1].bundle : PluginBundle(root: projectRoot, name: "", manifestFormat: .none)
        diagnostics += user.diagnostics + project.diagnostics
        input.userCommands = user.commands
        input.userSkills = user.skills
        input.userAgents = user.agents
        input.projectCommands = project.commands
        input.projectSkills = project.skills
        input.projectAgents = project.agents
        input.flagAgents = flagAgents

        // Settings: hooks of all three, MCP servers of user and local; the project's are in .mcp.json.
        var settingsDiagnostics = Diagnostics()
        for scope in Scope.allCases {
            let node = try settings(scope)
            let file = paths.settingsFile(scope)
            if let hooks = node["hooks"] {
                input.settingsHooks.append((scope, HooksParser.parseEventMap(hooks, file: file, diagnostics: &settingsDiagnostics)))
            }
            if scope == .project {
                if FileSystem.isFile(paths.projectMCPFile), let bytes = try? FileSystem.read(paths.projectMCPFile) {
                    input.mcpServers.append((.project, MCPParser.parseFile(bytes, file: paths.projectMCPFile, diagnostics: &settingsDiagnostics)))
                }
            } else if let servers = node["mcpServers"] {
                input.mcpServers.append((scope, MCPParser.parseServers(servers, file: file, diagnostics: &settingsDiagnostics)))
            }
        }
        diagnostics += settingsDiagnostics.items

        // Plugins: --plugin-dir first (as the reference host lists them), then installs.
        var listings: [PluginListing] = []
        for dir in pluginDirs {
            let row = flagListing(dir)
            guard let bundle = row.bundle else { continue }
            diagnostics += bundle.diagnostics
            listings.append(row)
            input.plugins.append(PluginInstance(id: row.id, scope: nil, bundle: bundle, enabled: true))
        }
        let states = try enabledStates()
        let receipts = try installed()
        var installedBundles: [String: PluginBundle] = [:]
        let roots = Array(Set(receipts.map(\.installPath)))
        for (root, loaded) in zip(roots, cache.bundles(at: roots, load: { BundleLoader.load(at: $0) })) {
            installedBundles[root] = loaded.bundle
            if loaded.cached { cachedCount += 1 } else { readCount += 1 }
        }
        for receipt in receipts {
            guard let bundle = installedBundles[receipt.installPath] else { continue }
            diagnostics += bundle.diagnostics.filter { $0.severity == .error }
            let enabled = isEnabled(receipt.id, states: states)
            let scope = receipt.scope
            listings.append(PluginListing(
                id: receipt.id, name: receipt.name, source: receipt.id, version: receipt.version, scope: scope.rawValue,
                enabled: enabled, canDisable: true, projectPath: receipt.projectPath, installPath: receipt.installPath,
                installedAt: receipt.installedAt, cachedSummary: nil, bundle: bundle))
            input.plugins.append(PluginInstance(id: receipt.id, scope: scope, bundle: bundle, enabled: enabled))
        }
        // Native modules: scan results from the cache, one scanner child for the rest.
        let modules = scanModules(plugins: input.plugins, projectTrusted: input.projectTrusted)
        for i in input.plugins.indices {
            input.plugins[i].modules = modules.filter { $0.pluginID == input.plugins[i].id && $0.pluginPath == input.plugins[i].bundle.root }
                .map(\.components)
        }
        input.builtinModules = modules.filter { $0.pluginID == nil }.map(\.components)
        for m in modules { diagnostics += m.components.diagnostics }
        input.diagnostics = diagnostics
        return Composition(registry: Resolver.compose(input), plugins: listings, projectTrusted: input.projectTrusted,
                           cachedFolders: cachedCount, readFolders: readCount, modules: modules)
    }
}

extension PluginHost {
    /// The rows of `plugins list`: `--plugin-dir` folders, then installed plugins. A plugin whose files are
    /// unchanged since the last run (every folder listed and file read has the same device, inode, size and
    /// mtime) is not read again: its summary comes from the store; others are read and cached.
    public func listings(pluginDirs: [String] = []) throws(KernelError) -> [PluginListing] {
        var rows = pluginDirs.map(flagListing)
        let states = try enabledStates()
        let receipts = try installed()
        // Entries by path: each lists the keys of all its inputs (the root among them), checked below.
        let cached = (try? store.cachedComponents(atPaths: receipts.map(\.installPath),
                                                  parserVersion: SummaryCacheEntry.version)) ?? [:]
        // Each install folder once (the same copy may be installed at several scopes), checked or read in
        // parallel: freshness is one stat per input, a miss a whole bundle read; both are independent per plugin.
        var roots: [String] = []
        var seenRoots = Set<String>()
        for receipt in receipts where seenRoots.insert(receipt.installPath).inserted { roots.append(receipt.installPath) }
        let results = ParallelMap.map(roots) { root -> (PluginSummary, PluginBundle?, CachedComponent?) in
            if let hit = cached[root], hit.kind == SummaryCacheEntry.kind,
               let entry = SummaryCacheEntry(decoding: [UInt8](hit.payload)), entry.isFresh(root: root) {
                return (entry.summary, nil, nil)
            }
            let bundle = BundleLoader.load(at: root)
            let summary = PluginSummary(bundle)
            let inputs = SummaryCacheEntry.keys(of: bundle.inputs, root: root)
            var entry: CachedComponent?
            if var rootKey = inputs.first(where: { $0.path.isEmpty }) {
                rootKey.path = root
                entry = CachedComponent(key: rootKey, kind: SummaryCacheEntry.kind, parserVersion: SummaryCacheEntry.version,
                                        payload: Data(SummaryCacheEntry(inputs: inputs, summary: summary).encoded()))
            }
            return (summary, bundle, entry)
        }
        var summaries: [String: (PluginSummary, PluginBundle?)] = [:]
        for (root, result) in zip(roots, results) { summaries[root] = (result.0, result.1) }
        let fresh = results.compactMap(\.2)
        if !fresh.isEmpty { try? store.storeComponents(fresh) }
        for receipt in receipts {
            guard let (summary, bundle) = summaries[receipt.installPath] else { continue }
            rows.append(PluginListing(
                id: receipt.id, name: receipt.name, source: receipt.id, version: receipt.version,
                scope: receipt.scope.rawValue, enabled: isEnabled(receipt.id, states: states), canDisable: true,
                projectPath: receipt.projectPath, installPath: receipt.installPath, installedAt: receipt.installedAt,
                cachedSummary: summary, bundle: bundle))
        }
        return rows
    }

    /// Empties the component cache. Returns how many entries were removed.
    @discardableResult
    public func clearCache() throws(KernelError) -> Int {
        do { return try store.pruneComponents(keeping: []) } catch { throw KernelError(.store, "\(error)") }
    }
}
