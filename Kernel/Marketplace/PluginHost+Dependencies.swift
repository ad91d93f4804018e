import Foundation
public import KernelCore
public import KernelHost
import KernelFetch
public import KernelStore

/// One entry of a `dependencies` list (plugin.json or a marketplace entry): `"name"`, `"name@marketplace"`, or
/// `{"name", "version"?, "marketplace"?}` with an npm-style range in `version`.
public struct DependencySpec: Sendable, Hashable {
    public var name: String
    public var marketplace: String?
    /// The version range as written; nil: any version.
    public var range: String?

    public init(name: String, marketplace: String? = nil, range: String? = nil) {
        self.name = name
        self.marketplace = marketplace
        self.range = range
    }

    /// The entries of a `dependencies` node; entries the manifest parser already reported as malformed are
    /// skipped.
    public static func parse(_ node: Node?) -> [DependencySpec] {
        var out: [DependencySpec] = []
        for item in node?.array ?? [] {
            if let s = item.string, !s.isEmpty {
                if let at = s.lastIndex(of: "@"), at != s.startIndex, s.index(after: at) != s.endIndex {
                    out.append(DependencySpec(name: String(s[..<at]), marketplace: String(s[s.index(after: at)...])))
                } else {
                    out.append(DependencySpec(name: s))
                }
            } else if let name = item["name"]?.string, !name.isEmpty {
                let range = item["version"]?.string.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                out.append(DependencySpec(name: name, marketplace: item["marketplace"]?.string, range: range))
            }
        }
        return out
    }
}

/// What an install with its dependency closure did.
public struct DependencyInstall: Sendable {
    /// The plugin asked for.
    public var outcome: PluginHost.InstallOutcome
    /// Dependencies installed for it (the closure, dependencies first), each recorded as auto-installed.
    public var installed: [PluginHost.InstallOutcome]
    /// Dependencies that were already installed in a version every range accepts (ids).
    public var satisfied: [String]
}

extension PluginHost {
    /// Installs a plugin of an added marketplace by name with its dependency closure (see
    /// `installResolvingDependencies(root:scope:)`).
    /// - Parameter check: runs on the fetched bundle before anything is installed (`install --config` checks its
    ///   values there); what it throws refuses the install.
    public func installWithDependencies(named spec: String, scope: Scope, version wanted: String? = nil,
                                        check: (PluginBundle) throws(KernelError) -> Void = { _ in }) throws(KernelError)
        -> (install: DependencyInstall, entry: CatalogEntry, notices: [String]) {
        let (entry, notices) = try resolveCatalogEntry(spec)
        let fetched = try fetchPlugin(entry)
        defer { fetched.cleanUp() }
        let bundle = BundleLoader.load(at: fetched.directory, entryManifest: fetched.manifest)
        try check(bundle)
        let version = bundle.version ?? fetched.fallbackVersion ?? "local"
        if let wanted, version != wanted {
            throw KernelError(.notFound, "\(entry.id) is at version \(version), not \(wanted) (a marketplace lists one version of each plugin)")
        }
        let root = ResolvedPlugin(id: entry.id, marketplace: entry.marketplace, version: version, fetched: fetched,
                                  specs: Self.dependencySpecs(bundle: bundle, entry: entry))
        let result = try installResolvingDependencies(root: root, scope: scope)
        return (result, entry, notices)
    }

    /// Installs a plugin folder as `<name>@local` with its dependency closure (bare dependency names are looked
    /// up in every added marketplace).
    public func installWithDependencies(from directory: String, scope: Scope,
                                        check: (PluginBundle) throws(KernelError) -> Void = { _ in }) throws(KernelError) -> DependencyInstall {
        let path = FileManager.default.fileExists(atPath: directory)
            ? URL(fileURLWithPath: directory).standardizedFileURL.path : directory
        let bundle = BundleLoader.load(at: FileSystem.realPath(directory) ?? directory, entryManifest: nil)
        try check(bundle)
        try requirePolicyAllowsInstall(bundle.name + "@local", marketplace: "local", source: nil)
        let specs = DependencySpec.parse(bundle.manifest?.node["dependencies"])
        let request = InstallRequest(directory: directory, source: .object([("type", "directory"), ("path", .string(path))]))
        let root = ResolvedPlugin(id: bundle.name + "@local", marketplace: nil, version: bundle.version ?? "local",
                                  fetched: nil, specs: specs, folderRequest: request)
        return try installResolvingDependencies(root: root, scope: scope)
    }

    /// A plugin taking part in a resolution: the root, or a dependency fetched (or found installed).
    struct ResolvedPlugin {
        var id: String
        /// nil for a folder install (`@local`).
        var marketplace: String?
        var version: String
        var fetched: FetchedPlugin?
        var specs: [DependencySpec]
        var folderRequest: InstallRequest? = nil
        /// The dependency ids with the range this plugin asks of each (the receipt's `requires`).
        var requires: [(id: String, range: String?)] = []
        /// Already installed in an acceptable version: nothing to install.
        var alreadyInstalled = false
    }

    /// The closure of `root`'s dependencies, resolved before anything is written: each dependency is looked up
    /// in its marketplace (the dependent's own unless the spec names one), fetched, its version checked against
    /// every range asking for it — the new plugins' and those of installed plugins that need it — and its own
    /// dependencies followed. Refused with code `dependency`: a cycle (its chain), two ranges no version
    /// satisfies (both ranges and both dependents), a version outside a range, a dependency from another
    /// marketplace when the root's marketplace does not list it in `allowCrossMarketplaceDependenciesOn`, a
    /// dependency no marketplace lists. Then the dependencies are installed at `scope`, dependencies first,
    /// recorded as auto-installed, and the root last; a dependency already installed here (at `scope`, or at
    /// user scope) in an acceptable version is left as it is. A failure while installing removes the
    /// dependencies this call installed.
    /// - Parameters:
    ///   - rootUnlessSHA256: for an update, the installed tree hash: the root is not replaced when its content is
    ///     the same (its dependencies are still resolved and installed).
    ///   - rootAutoInstalled: for an update of a plugin installed as a dependency: it stays recorded as one.
    func installResolvingDependencies(root: ResolvedPlugin, scope: Scope, rootUnlessSHA256: String? = nil,
                                      rootAutoInstalled: Bool = false) throws(KernelError) -> DependencyInstall {
        let installedHere = try installed()
        var resolver = DependencyResolver(host: self, scope: scope, installed: installedHere, rootMarketplace: root.marketplace)
        defer { for plugin in resolver.resolved.values { plugin.fetched?.cleanUp() } }
        let rootPlugin = try resolver.resolve(root)

        var done: [InstallOutcome] = []
        var satisfied: [String] = []
        do throws(KernelError) {
            for id in resolver.order {
                guard let plugin = resolver.resolved[id] else { continue }
                if plugin.alreadyInstalled { satisfied.append(id); continue }
                guard let fetched = plugin.fetched else { continue }
                var request = fetched.request(unlessSHA256: nil)
                request.autoInstalled = true
                request.requires = Self.requiresJSON(plugin.requires)
                done.append(try install(request, scope: scope))
            }
            var request: InstallRequest
            if let fetched = rootPlugin.fetched { request = fetched.request(unlessSHA256: rootUnlessSHA256) } else { request = rootPlugin.folderRequest! }
            request.requires = Self.requiresJSON(rootPlugin.requires)
            request.autoInstalled = rootAutoInstalled
            let outcome = try install(request, scope: scope)
            return DependencyInstall(outcome: outcome, installed: done, satisfied: satisfied)
        } catch {
            for outcome in done.reversed() where outcome.isNew {
                _ = try? uninstall(outcome.id, scope: scope, keepData: true)
            }
            throw error
        }
    }

    static func requiresJSON(_ requires: [(id: String, range: String?)]) -> String {
        JSONValue.array(requires.map { r in
            .object([("id", .string(r.id))] + (r.range.map { [("range", JSONValue.string($0))] } ?? []))
        }).serialized(pretty: false)
    }

    /// The dependencies a fetched plugin declares: its plugin.json's (for a `strict: false` entry, the entry's),
    /// then those of its marketplace entry not already named.
    static func dependencySpecs(bundle: PluginBundle, entry: CatalogEntry) -> [DependencySpec] {
        var specs = DependencySpec.parse(bundle.manifest?.node["dependencies"])
        if let node = try? JSONReader.parse(Array(entry.entry.utf8)).0 {
            for spec in DependencySpec.parse(node["dependencies"]) where !specs.contains(where: { $0.name == spec.name }) {
                specs.append(spec)
            }
        }
        return specs
    }

    /// `allowCrossMarketplaceDependenciesOn` of an added marketplace's manifest (empty when none).
    func crossMarketplaceAllowance(_ marketplace: String) -> [String] {
        guard let record = try? store.marketplaceRecords().first(where: { $0.name == marketplace }),
              let file = MarketplaceLoader.manifestFile(in: record.root) ?? MarketplaceLoader.manifestFile(in: record.installLocation),
              let bytes = try? FileSystem.read(file, limit: 64 << 20),
              let node = try? JSONReader.parse(bytes).0 else { return [] }
        return (node["allowCrossMarketplaceDependenciesOn"]?.array ?? []).compactMap(\.string)
    }
}

/// The depth-first walk of one resolution.
struct DependencyResolver {
    let host: PluginHost
    let scope: Scope
    let installed: [InstallReceipt]
    let rootMarketplace: String?
    /// Plugins resolved so far, by id.
    var resolved: [String: PluginHost.ResolvedPlugin] = [:]
    /// Dependencies in install order (each after its own dependencies).
    var order: [String] = []
    /// Every range asked of an id: by whom, which range.
    var requirements: [String: [(by: String, range: String?)]] = [:]
    lazy var allowance: [String] = rootMarketplace.map(host.crossMarketplaceAllowance) ?? []

    init(host: PluginHost, scope: Scope, installed: [InstallReceipt], rootMarketplace: String?) {
        self.host = host
        self.scope = scope
        self.installed = installed
        self.rootMarketplace = rootMarketplace
        // What installed plugins already ask of their dependencies takes part in the intersection.
        for receipt in installed {
            guard let node = try? JSONReader.parse(Array(receipt.requires.utf8)).0 else { continue }
            for item in node.array ?? [] {
                guard let id = item["id"]?.string else { continue }
                requirements[id, default: []].append((receipt.id, item["range"]?.string))
            }
        }
    }

    mutating func resolve(_ root: PluginHost.ResolvedPlugin) throws(KernelError) -> PluginHost.ResolvedPlugin {
        // The root's own old requirements are replaced by what it asks now.
        for key in requirements.keys { requirements[key]?.removeAll { $0.by == root.id } }
        // Installed plugins that need the root must accept its new version.
        try check(root.version, of: root.id, alreadyInstalled: false)
        var root = root
        root.requires = try visitDependencies(of: root, path: [root.id])
        return root
    }

    /// Resolves each dependency of `plugin` (on the chain `path`), returning what it requires.
    mutating func visitDependencies(of plugin: PluginHost.ResolvedPlugin, path: [String]) throws(KernelError) -> [(id: String, range: String?)] {
        var requires: [(id: String, range: String?)] = []
        for spec in plugin.specs {
            let id = try dependencyID(spec, of: plugin)
            if path.contains(id) {
                throw KernelError(.dependency, "Dependency cycle: " + (path + [id]).joined(separator: " → "))
            }
            if let range = spec.range, VersionRange(range) == nil {
                throw KernelError(.dependency, "\(plugin.id) asks for \"\(spec.name)\" at \"\(range)\", which is not a version range")
            }
            let marketplace = String(id[id.index(after: id.lastIndex(of: "@")!)...])
            if let rootMarketplace, marketplace != rootMarketplace, !allowance.contains(marketplace) {
                throw Self.crossMarketplaceRefusal(plugin.id, dependency: id, marketplace: marketplace, root: rootMarketplace)
            }
            try addRequirement(id, by: plugin.id, range: spec.range)
            requires.append((id, spec.range))
            if let done = resolved[id] {
                try check(done.version, of: id, alreadyInstalled: done.alreadyInstalled)
                continue
            }
            // Installed here in a version every range accepts: leave it.
            if let receipt = installed.first(where: { $0.id == id && ($0.scope == scope || $0.scope == .user) }),
               satisfiesAll(receipt.version, id) {
                resolved[id] = PluginHost.ResolvedPlugin(id: id, marketplace: marketplace, version: receipt.version, fetched: nil,
                                                         specs: [], alreadyInstalled: true)
                order.append(id)
                continue
            }
            let entry: CatalogEntry
            do throws(KernelError) {
                entry = try host.resolveCatalogEntry(id).0
            } catch {
                throw KernelError(.dependency, "Dependency \"\(id)\" of \(plugin.id) is not installed and cannot be installed: \(error.message)",
                                  underlying: error)
            }
            let fetched = try host.fetchPlugin(entry)
            let bundle = BundleLoader.load(at: fetched.directory, entryManifest: fetched.manifest)
            let version = bundle.version ?? fetched.fallbackVersion ?? "local"
            var dependency = PluginHost.ResolvedPlugin(id: id, marketplace: marketplace, version: version, fetched: fetched,
                                                       specs: PluginHost.dependencySpecs(bundle: bundle, entry: entry))
            resolved[id] = dependency
            try check(version, of: id, alreadyInstalled: false)
            dependency.requires = try visitDependencies(of: dependency, path: path + [id])
            resolved[id] = dependency
            order.append(id)
        }
        return requires
    }

    /// The id a spec names: its marketplace, else the dependent's; for a folder install's bare name, the one
    /// marketplace listing it.
    func dependencyID(_ spec: DependencySpec, of plugin: PluginHost.ResolvedPlugin) throws(KernelError) -> String {
        if let marketplace = spec.marketplace ?? plugin.marketplace { return spec.name + "@" + marketplace }
        if let receipt = installed.first(where: { $0.name == spec.name }) { return receipt.id }
        do throws(KernelError) {
            return try host.resolveCatalogEntry(spec.name).0.id
        } catch {
            throw KernelError(.dependency, "Dependency \"\(spec.name)\" of \(plugin.id) is not installed and cannot be installed: \(error.message)",
                              underlying: error)
        }
    }

    /// Records that `by` asks `range` of `id`, refusing a range that no version satisfies together with one
    /// asked before.
    mutating func addRequirement(_ id: String, by: String, range: String?) throws(KernelError) {
        try Self.checkOverlap(id, by: by, range: range, with: requirements[id] ?? [])
        requirements[id, default: []].append((by, range))
    }

    /// Refuses `range` (asked of `id` by `by`) when no version satisfies it and one of the ranges asked before.
    static func checkOverlap(_ id: String, by: String, range: String?, with earlier: [(by: String, range: String?)]) throws(KernelError) {
        guard let range, let new = VersionRange(range) else { return }
        for other in earlier {
            guard let otherRange = other.range, let old = VersionRange(otherRange), !new.intersects(old) else { continue }
            throw KernelError(.dependency, "Plugin \"\(id)\" has conflicting version requirements: \(other.by) requires "
                              + "\(otherRange), \(by) requires \(range); no version satisfies both")
        }
    }

    /// A dependency from another marketplace than the root's, which the root's marketplace does not allow.
    static func crossMarketplaceRefusal(_ plugin: String, dependency: String, marketplace: String, root: String) -> KernelError {
        KernelError(.dependency, "\(plugin) depends on \"\(dependency)\" from marketplace \"\(marketplace)\", but marketplace "
                    + "\"\(root)\" does not allow dependencies on it (its allowCrossMarketplaceDependenciesOn does not list \"\(marketplace)\")")
    }

    func satisfiesAll(_ version: String, _ id: String) -> Bool {
        (requirements[id] ?? []).allSatisfy { Self.satisfies(version, $0.range) }
    }

    static func satisfies(_ version: String, _ range: String?) -> Bool {
        guard let range, let parsed = VersionRange(range) else { return true }
        guard let v = SemanticVersion(version) else { return parsed.description.trimmingCharacters(in: .whitespaces).isEmpty
            || ["*", "x", "X"].contains(parsed.description.trimmingCharacters(in: .whitespaces)) }
        return parsed.contains(v)
    }

    /// Refuses `version` of `id` when a range asking for it does not accept it.
    func check(_ version: String, of id: String, alreadyInstalled: Bool) throws(KernelError) {
        for requirement in requirements[id] ?? [] where !Self.satisfies(version, requirement.range) {
            let has = alreadyInstalled ? "installed \(version)" : "its marketplace has \(version)"
            throw KernelError(.dependency, "\(requirement.by) requires \"\(id)\" \(requirement.range ?? "*"), \(has)")
        }
    }
}

extension PluginHost {
    /// The dependency closure of a project's declared plugins, for `plugins sync` and `status`: every
    /// dependency (not itself declared) is added with `reason: dependency(requiredBy:)`, and every plugin gets
    /// its `requires`. The dependencies a plugin declares are read from its marketplace entry and, for a
    /// relative entry, from its plugin.json in the marketplace's folder (nothing is downloaded here; a remote
    /// plugin's plugin.json-only dependencies are not seen before it is fetched). The refusals of
    /// `installResolvingDependencies` apply: a cycle, conflicting ranges, a listed version outside a range, a
    /// cross-marketplace dependency the declaring plugin's marketplace does not allow.
    func withDependencyClosure(_ declared: [PlannedPlugin], byID: [String: CatalogEntry], lock: PluginLock?) throws(KernelError) -> [PlannedPlugin] {
        var requires: [String: [(id: String, range: String?)]] = [:]
        var requirements: [String: [(by: String, range: String?)]] = [:]
        var requiredBy: [String: Set<String>] = [:]
        var seen = Set(declared.map(\.id))
        var allowances: [String: [String]] = [:]

        func specs(_ entry: CatalogEntry) -> [DependencySpec] {
            var d = Diagnostics()
            if let parsed = MarketplaceParser.parseEntry(Array(entry.entry.utf8), file: entry.marketplace, diagnostics: &d),
               case .relative = parsed.source, let fetched = try? fetchPlugin(entry) {
                defer { fetched.cleanUp() }
                return Self.dependencySpecs(bundle: BundleLoader.load(at: fetched.directory, entryManifest: fetched.manifest), entry: entry)
            }
            return DependencySpec.parse((try? JSONReader.parse(Array(entry.entry.utf8)).0)?["dependencies"])
        }
        func visit(_ id: String, path: [String]) throws(KernelError) {
            guard let entry = byID[id] else { return }  // not listed by an added marketplace: sync reports it
            let root = path[0]
            let rootMarketplace = String(root[root.index(after: root.lastIndex(of: "@")!)...])
            for spec in specs(entry) {
                let marketplace = spec.marketplace ?? entry.marketplace
                let dep = spec.name + "@" + marketplace
                if path.contains(dep) { throw KernelError(.dependency, "Dependency cycle: " + (path + [dep]).joined(separator: " → ")) }
                if let range = spec.range, VersionRange(range) == nil {
                    throw KernelError(.dependency, "\(id) asks for \"\(spec.name)\" at \"\(range)\", which is not a version range")
                }
                if marketplace != rootMarketplace {
                    if allowances[rootMarketplace] == nil { allowances[rootMarketplace] = crossMarketplaceAllowance(rootMarketplace) }
                    if !(allowances[rootMarketplace] ?? []).contains(marketplace) {
                        throw DependencyResolver.crossMarketplaceRefusal(id, dependency: dep, marketplace: marketplace, root: rootMarketplace)
                    }
                }
                try DependencyResolver.checkOverlap(dep, by: id, range: spec.range, with: requirements[dep] ?? [])
                if let range = spec.range {
                    if let version = byID[dep]?.version, !DependencyResolver.satisfies(version, range) {
                        throw KernelError(.dependency, "\(id) requires \"\(dep)\" \(range), its marketplace has \(version)")
                    }
                }
                requirements[dep, default: []].append((id, spec.range))
                requires[id, default: []].append((dep, spec.range))
                requiredBy[dep, default: []].insert(id)
                if seen.insert(dep).inserted { try visit(dep, path: path + [dep]) }
            }
        }
        for plan in declared { try visit(plan.id, path: [plan.id]) }

        var out = declared
        for i in out.indices { out[i].requires = requires[out[i].id] ?? [] }
        let declaredIDs = Set(declared.map(\.id))
        for (dep, by) in requiredBy where !declaredIDs.contains(dep) {
            var plan = PlannedPlugin(id: dep, scope: .project, reason: .dependency(requiredBy: by.sorted()), entry: byID[dep],
                                     locked: lock?.entry(dep))
            plan.requires = requires[dep] ?? []
            out.append(plan)
        }
        return out
    }
}
