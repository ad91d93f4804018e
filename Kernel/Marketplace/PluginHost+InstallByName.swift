import Foundation
public import KernelHost
public import KernelStore

/// What `install <name>[@marketplace]` did.
public struct MarketplaceInstall: Sendable {
    public var outcome: PluginHost.InstallOutcome
    /// The catalog entry installed.
    public var entry: CatalogEntry
    /// Notices for the person (a rename followed).
    public var notices: [String]
}

extension PluginHost {
    /// Installs a plugin by name from the added marketplaces: `name` or `name@marketplace`.
    ///
    /// A name listed by several marketplaces is ambiguous (the error lists the qualified choices). A name a
    /// marketplace's `renames` maps to a new one is followed, with a notice. The entry's source is fetched
    /// (a folder of the marketplace, a git clone — `ref`/`sha` honoured, sparse for `git-subdir` — an archive
    /// or an npm package), validated, and installed as `name@marketplace` in
    /// `plugins/cache/<marketplace>/<name>/<version>/`. The version is the plugin.json's, else the entry's,
    /// else the first 12 hex digits of the commit (git) or of the content hash (archive, npm), else `local`.
    /// - Parameter version: when given, the version that must be installed (else the install is refused).
    public func install(named spec: String, scope: Scope, version wanted: String? = nil) throws(KernelError) -> MarketplaceInstall {
        let (entry, notices) = try resolveCatalogEntry(spec)
        // A seed's cached copy of the listed version (KERNEL_PLUGIN_SEED_DIR) installs with no network.
        let seeded = (wanted ?? entry.version).flatMap { seededPlugin(entry, version: $0, sha256: nil) }
        let fetched: FetchedPlugin
        if let seeded { fetched = seeded } else { fetched = try fetchPlugin(entry) }
        defer { fetched.cleanUp() }
        if let wanted {
            let found = BundleLoader.load(at: fetched.directory, entryManifest: fetched.manifest).version ?? fetched.fallbackVersion ?? "local"
            if found != wanted {
                throw KernelError(.notFound, "\(entry.id) is at version \(found), not \(wanted) (a marketplace lists one version of each plugin)")
            }
        }
        let outcome = try install(fetched.request(unlessSHA256: nil), scope: scope)
        return MarketplaceInstall(outcome: outcome, entry: entry, notices: notices)
    }

    /// The catalog entry `spec` (`name` or `name@marketplace`) names, following `renames`.
    public func resolveCatalogEntry(_ spec: String) throws(KernelError) -> (CatalogEntry, [String]) {
        try syncCatalog()
        var name = spec, marketplace: String?
        if let at = spec.lastIndex(of: "@"), at != spec.startIndex {
            name = String(spec[..<at])
            marketplace = String(spec[spec.index(after: at)...])
        }
        var notices: [String] = []
        do {
            var matches = try store.catalogEntries(named: name).filter { marketplace == nil || $0.marketplace == marketplace }
            if matches.isEmpty {
                for record in try store.marketplaceRecords() where marketplace == nil || record.name == marketplace {
                    guard let text = record.renames, let node = try? JSONReader.parse(Array(text.utf8)).0,
                          let renamed = node[name]?.string else { continue }
                    let found = try store.catalogEntries(named: renamed).filter { $0.marketplace == record.name }
                    if !found.isEmpty {
                        notices.append("Plugin \"\(name)\" was renamed to \"\(renamed)\" in marketplace \"\(record.name)\"; installing \"\(renamed)@\(record.name)\".")
                        matches += found
                    }
                }
            }
            if matches.count > 1 {
                throw KernelError(.ambiguous, "Plugin \"\(name)\" is in several marketplaces: "
                                  + matches.map(\.id).joined(separator: ", ") + ". Install one of them by its full name.")
            }
            guard let entry = matches.first else {
                let known = try store.marketplaceRecords().map(\.name)
                if let marketplace, !known.contains(marketplace) {
                    throw KernelError(.notFound, "Marketplace \"\(marketplace)\" is not added." + PluginHost.suggestion(marketplace, in: known))
                }
                let names = try store.catalogEntries().filter { marketplace == nil || $0.marketplace == marketplace }.map(\.name)
                let hint = names.isEmpty ? (known.isEmpty ? " No marketplace is added: use `kernel plugins marketplace add`." : "")
                    : PluginHost.suggestion(name, in: names)
                throw KernelError(.notFound, "Plugin \"\(name)\" not found in \(marketplace.map { "marketplace \"\($0)\"" } ?? "any added marketplace")." + hint)
            }
            return (entry, notices)
        } catch let error as KernelError {
            throw error
        } catch {
            throw KernelError(.store, wrapping: error)
        }
    }

    /// Fetches the plugin an entry points at into a folder (a temporary one for remote sources).
    func fetchPlugin(_ entry: CatalogEntry, record given: MarketplaceRecord? = nil) throws(KernelError) -> FetchedPlugin {
        var d = Diagnostics()
        guard let parsed = MarketplaceParser.parseEntry(Array(entry.entry.utf8), file: "\(entry.marketplace) marketplace", diagnostics: &d) else {
            throw KernelError(.invalidBundle, "the entry of \(entry.id) is not valid", diagnostics: d.items)
        }
        var record = given
        if record == nil {
            do { record = try store.marketplaceRecords().first { $0.name == entry.marketplace } } catch { throw KernelError(.store, wrapping: error) }
        }
        guard let record else { throw KernelError(.notFound, "Marketplace \"\(entry.marketplace)\" is not added.") }
        // The managed policy, before anything is downloaded.
        try requirePolicyAllowsInstall(entry.id, marketplace: entry.marketplace,
                                       source: try? JSONReader.parse(Array(record.source.utf8)).0)
        let manifest = parsed.strict ? nil : parsed.manifest
        let sourceJSON = (parsed.node["source"]?.json ?? .null)
        func receiptSource(_ extra: [(String, JSONValue)] = []) -> JSONValue {
            .object([("type", "marketplace"), ("marketplace", .string(entry.marketplace)), ("entry", sourceJSON)] + extra)
        }
        switch parsed.source {
        case .relative(let relative):
            if record.source.contains("\"source\":\"url\"") {
                throw KernelError(.invalidInput, "\(entry.id): relative source '\(relative)' in a marketplace added from a URL has no folder to come from")
            }
            var dir = record.root
            if !record.pluginRoot.isEmpty { dir = FileSystem.join(dir, record.pluginRoot) }
            let normalized = FileSystem.normalizeRelative(relative)
            if !normalized.isEmpty { dir = FileSystem.join(dir, normalized) }
            guard FileSystem.isDirectory(dir) else {
                throw KernelError(.notFound, "\(entry.id): its source '\(relative)' is not a folder of the marketplace (\(dir))")
            }
            // A git marketplace's commit pins a relative entry's content (the lock records it).
            let commit = given == nil ? marketplaceRevision(record) : nil
            return FetchedPlugin(directory: dir, temporary: nil, entry: entry, manifest: manifest,
                                 fallbackVersion: parsed.version, source: receiptSource(commit.map { [("commit", .string($0))] } ?? []))
        case .github(let repo, let ref, let sha):
            return try fetchGit(entry, url: "https://github.com/\(repo).git", path: nil, ref: ref, sha: sha, manifest: manifest,
                                version: parsed.version, source: receiptSource)
        case .url(let url, let ref, let sha):
            return try fetchGit(entry, url: url, path: nil, ref: ref, sha: sha, manifest: manifest, version: parsed.version,
                                source: receiptSource)
        case .gitSubdir(let url, let path, let ref, let sha):
            return try fetchGit(entry, url: url, path: path, ref: ref, sha: sha, manifest: manifest, version: parsed.version,
                                source: receiptSource)
        case .archive(let url, let sha256):
            let headers = Dictionary((parsed.node["headers"]?.members ?? []).compactMap { m in m.value.string.map { (m.key, $0) } },
                                     uniquingKeysWith: { a, _ in a })
            return try fetchArchive(entry, url: url, sha256: sha256, headers: headers, manifest: manifest, version: parsed.version,
                                    source: receiptSource)
        case .npm(let package, let version, let registry):
            return try fetchNpm(entry, package: package, version: version, registry: registry, manifest: manifest,
                                entryVersion: parsed.version, source: receiptSource)
        }
    }

    func fetchGit(_ entry: CatalogEntry, url: String, path: String?, ref: String?, sha: String?, manifest: PluginManifest?,
                  version: String?, source: ([(String, JSONValue)]) -> JSONValue) throws(KernelError) -> FetchedPlugin {
        let temporary = try fetchFolder()
        let checkout = temporary + "/checkout"
        do {
            let commit: String
            do {
                commit = try Git.clone(url, ref: ref, sha: sha, into: checkout, sparse: path.map { [$0] })
            } catch {
                throw KernelError(error.code, "\(entry.id): \(error.message)", underlying: error.underlying)
            }
            var dir = checkout
            if let path {
                dir = FileSystem.join(checkout, FileSystem.normalizeRelative(path))
                guard FileSystem.isDirectory(dir) else {
                    throw KernelError(.notFound, "\(entry.id): '\(path)' is not a folder of \(url) at \(commit.prefix(12))")
                }
            }
            return FetchedPlugin(directory: dir, temporary: temporary, entry: entry, manifest: manifest,
                                 fallbackVersion: version ?? String(commit.prefix(12)),
                                 source: source([("commit", .string(commit))]))
        } catch let error as KernelError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KernelError(.io, wrapping: error)
        }
    }

    /// A fresh folder for a fetch, under the cache (the same file system as the install's destination).
    func fetchFolder() throws(KernelError) -> String {
        let dir = paths.cacheDir + "/.fetch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw KernelError(.io, wrapping: error, context: "cannot create \(dir)")
        }
        return dir
    }
}

/// A plugin tree fetched for an install.
struct FetchedPlugin {
    var directory: String
    /// A folder to remove once installed.
    var temporary: String?
    var entry: CatalogEntry
    var manifest: PluginManifest?
    var fallbackVersion: String?
    var source: JSONValue

    func cleanUp() {
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
    }

    func request(unlessSHA256: String?) -> PluginHost.InstallRequest {
        PluginHost.InstallRequest(directory: directory, name: entry.name, marketplace: entry.marketplace,
                                  fallbackVersion: fallbackVersion, source: source, entryManifest: manifest,
                                  excluding: [".git"], unlessSHA256: unlessSHA256)
    }
}
