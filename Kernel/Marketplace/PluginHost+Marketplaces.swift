import Foundation
public import KernelHost
import KernelNet
public import KernelStore

/// A marketplace as `marketplace list` shows it.
public struct MarketplaceListing: Sendable {
    public var known: KnownMarketplace
    /// Its catalog, when the kernel has read it.
    public var record: MarketplaceRecord?
    public var pluginCount: Int

    /// The reference host's shape (`name`, `source`, `installLocation`, `lastUpdated`, `autoUpdate`), plus
    /// `plugins` (how many entries) and `revision` (the commit of a git checkout).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(known.name))]
        if case .object(let rest) = known.json { members += rest }
        members.append(("plugins", .int(pluginCount)))
        members.append(("revision", .optional(record?.revision)))
        return .object(members)
    }
}

/// What `marketplace add` or `marketplace update` did to one marketplace.
public struct MarketplaceOutcome: Sendable {
    public var name: String
    /// `added`, `exists` (already known: nothing changed), `updated` (the manifest changed), `unchanged`,
    /// `failed`.
    public var status: String
    public var plugins: Int
    public var oldRevision: String?
    public var revision: String?
    /// Problems in the manifest (entries left out of the catalog), as warnings.
    public var diagnostics: [Diagnostic]
    public var error: KernelError?

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name)), ("status", .string(status)), ("plugins", .int(plugins))]
        if oldRevision != nil || revision != nil {
            members += [("oldRevision", .optional(oldRevision)), ("revision", .optional(revision))]
        }
        if let error { members += [("error", .string(error.message)), ("code", .string(error.code.rawValue))] }
        members.append(("diagnostics", .array(diagnostics.map(ValidationReport.json))))
        return .object(members)
    }
}

/// Marketplaces: `known_marketplaces.json` (shared with the Qoder CLI) is the record of which are added;
/// `extraKnownMarketplaces` in a settings file declares one at a scope; the store holds each one's catalog.
extension PluginHost {
    /// `~/.qoder/plugins/marketplaces`: checkouts of git marketplaces and copies of URL ones.
    public var marketplacesDir: String { paths.pluginsDir + "/marketplaces" }

    /// Adds a marketplace: fetches it (a git clone, an HTTP download; a folder or file is read in place), reads
    /// its manifest, records it in `known_marketplaces.json` and `extraKnownMarketplaces` of `scope`'s settings,
    /// and indexes its entries. A marketplace of the same name already added is left as it is (`exists`).
    /// - Parameters:
    ///   - name: a name to use instead of the manifest's.
    ///   - sparse: for a git source, the folders to check out (the manifest folders are always included).
    ///   - declare: false to leave the settings as they are (`plugins sync` adds what the project already declares).
    public func addMarketplace(_ source: MarketplaceSource, scope: Scope, name: String? = nil,
                               sparse: [String]? = nil, declare: Bool = true) throws(KernelError) -> MarketplaceOutcome {
        _ = try settings(scope)  // a settings file that does not parse refuses the add before anything is fetched
        // The managed policy, before anything is fetched (by source, and by name when it is given).
        let policy = managedPolicy()
        let sourceNode = try? JSONReader.parse(Array(source.json.serialized(pretty: false).utf8)).0
        if let policy, let why = policy.marketplaceRefusal(name: name, source: sourceNode) {
            throw KernelError(.policy, "Cannot add the marketplace: \(why)", diagnostics: policy.problems)
        }
        let known = try knownMarketplaces()
        if let name, let existing = known.first(where: { $0.name == name }) {
            return MarketplaceOutcome(name: existing.name, status: "exists", plugins: 0, diagnostics: [])
        }
        let fetched = try fetchMarketplace(source, sparse: sparse)
        let finalName = name ?? fetched.manifest.name
        try Self.checkMarketplaceName(finalName)
        if let policy, let why = policy.marketplaceRefusal(name: finalName, source: sourceNode) {
            fetched.discard()
            throw KernelError(.policy, "Cannot add the marketplace: \(why)")
        }
        if known.contains(where: { $0.name == finalName }) {
            fetched.discard()
            return MarketplaceOutcome(name: finalName, status: "exists", plugins: 0, diagnostics: fetched.diagnostics)
        }
        var located = fetched
        if let staging = fetched.staging {
            let destination = marketplacesDir + "/" + finalName
            try? FileManager.default.removeItem(atPath: destination)  // a leftover of a marketplace not recorded
            guard rename(staging, destination) == 0 else {
                fetched.discard()
                throw KernelError(.io, "cannot move the marketplace into \(destination): \(String(cString: strerror(errno)))")
            }
            located = fetched.moved(to: destination)
        }
        let record = located.record(name: finalName, source: source)
        do {
            try store.saveMarketplace(record, catalog: located.catalog(marketplace: finalName))
        } catch {
            located.discard()
            throw KernelError(.store, wrapping: error)
        }
        do {
            try KnownMarketplacesFile.record(KnownMarketplace(name: finalName, source: source.json, installLocation: located.installLocation,
                                                              lastUpdated: PluginListing.date(Date())),
                                             in: paths.knownMarketplacesFile)
            if declare {
                try updateSettingsValue(scope, keyPath: ["extraKnownMarketplaces", finalName], value: .object([("source", source.json)]))
            }
        } catch {
            try? store.deleteMarketplace(finalName)
            try? KnownMarketplacesFile.remove(finalName, in: paths.knownMarketplacesFile)
            located.discard()
            throw error as? KernelError ?? KernelError(.settings, wrapping: error)
        }
        return MarketplaceOutcome(name: finalName, status: "added", plugins: located.manifest.plugins.count,
                                  revision: located.revision, diagnostics: located.diagnostics)
    }

    /// The added marketplaces (`known_marketplaces.json`), each with its catalog size.
    public func marketplaceListings() throws(KernelError) -> [MarketplaceListing] {
        try syncCatalog()
        let records: [MarketplaceRecord]
        let entries: [CatalogEntry]
        do {
            records = try store.marketplaceRecords()
            entries = try store.catalogEntries()
        } catch { throw KernelError(.store, wrapping: error) }
        var counts: [String: Int] = [:]
        for e in entries { counts[e.marketplace, default: 0] += 1 }
        return try knownMarketplaces().map { known in
            MarketplaceListing(known: known, record: records.first { $0.name == known.name }, pluginCount: counts[known.name] ?? 0)
        }
    }

    /// Refreshes one marketplace (all when `name` is nil): a git checkout fetches and checks out the newest
    /// commit of its ref, a URL is fetched again (with `If-None-Match`), a folder or file is re-read. When the
    /// manifest's bytes changed, the entries that changed (by name and digest) are rewritten in the catalog.
    /// A failure of one marketplace is reported in its outcome; the others still update.
    public func updateMarketplaces(_ name: String?) throws(KernelError) -> [MarketplaceOutcome] {
        try syncCatalog()
        let known = try knownMarketplaces()
        var targets = known
        if let name {
            guard let one = known.first(where: { $0.name == name }) else {
                throw KernelError(.notFound, "Marketplace \"\(name)\" is not added."
                                  + Self.suggestion(name, in: known.map(\.name)))
            }
            targets = [one]
        }
        var outcomes: [MarketplaceOutcome] = []
        for known in targets {
            do {
                outcomes.append(try updateMarketplace(known))
            } catch {
                outcomes.append(MarketplaceOutcome(name: known.name, status: "failed", plugins: 0, diagnostics: error.diagnostics,
                                                   error: error))
            }
        }
        return outcomes
    }

    func updateMarketplace(_ known: KnownMarketplace) throws(KernelError) -> MarketplaceOutcome {
        guard let node = try? JSONReader.parse(Array(known.source.serialized(pretty: false).utf8)).0,
              let source = MarketplaceSource(json: node) else {
            throw KernelError(.invalidInput, "marketplace \"\(known.name)\" has a source this kernel cannot read: \(known.source.serialized(pretty: false))")
        }
        if let policy = managedPolicy(), let why = policy.marketplaceRefusal(name: known.name, source: node) {
            throw KernelError(.policy, "Cannot update marketplace \"\(known.name)\": \(why)", diagnostics: policy.problems)
        }
        let previous = try? store.marketplaceRecords().first { $0.name == known.name }
        var oldRevision: String?
        var fetched: FetchedMarketplace
        switch source {
        case .git, .github:
            let checkout = known.installLocation
            if FileSystem.isDirectory(checkout + "/.git") {
                let (old, _) = try Git.update(checkout, ref: source.gitRemote?.ref, sha: nil)
                oldRevision = old
                fetched = try readMarketplace(root: checkout, installLocation: checkout, revision: try Git.head(of: checkout))
            } else {
                // No checkout (removed by hand, or added elsewhere): clone it again.
                let again = try fetchMarketplace(source, sparse: nil)
                try? FileManager.default.removeItem(atPath: checkout)
                guard let staging = again.staging, rename(staging, checkout) == 0 else {
                    again.discard()
                    throw KernelError(.io, "cannot move the marketplace into \(checkout)")
                }
                fetched = again.moved(to: checkout)
            }
        case .url(let url, let headers):
            let response = try download(url, headers: headers, etag: previous?.etag)
            if response.status == 304, previous != nil {
                try touch(known)
                return MarketplaceOutcome(name: known.name, status: "unchanged", plugins: (try? store.catalogEntries(marketplace: known.name).count) ?? 0,
                                          diagnostics: [])
            }
            fetched = try storeDownloaded(response, url: url, into: known.installLocation)
        case .directory, .file:
            // Read from the source; the recorded location stays (the reference host's copy, when it added it).
            fetched = try fetchMarketplace(source, sparse: nil)
            fetched.installLocation = known.installLocation
        }
        let record = fetched.record(name: known.name, source: source)
        let changed = previous?.manifestSHA256 != record.manifestSHA256
        do {
            try store.saveMarketplace(record, catalog: changed ? fetched.catalog(marketplace: known.name) : nil)
        } catch { throw KernelError(.store, wrapping: error) }
        try touch(known)
        return MarketplaceOutcome(name: known.name, status: changed ? "updated" : "unchanged", plugins: fetched.manifest.plugins.count,
                                  oldRevision: oldRevision, revision: fetched.revision, diagnostics: fetched.diagnostics)
    }

    /// What `marketplace remove` did.
    public struct MarketplaceRemoval: Sendable {
        public var name: String
        /// The plugins of the marketplace that were uninstalled, each `name@marketplace (scope)`.
        public var uninstalled: [UninstallOutcome]
        /// The settings scopes whose `extraKnownMarketplaces` entry was removed.
        public var scopes: [Scope]
    }

    /// Removes a marketplace: uninstalls its plugins (user ones and this project's), removes its
    /// `extraKnownMarketplaces` entry (from `scope`, else from every settings file), and — unless a settings
    /// file of another scope still declares it when `scope` is given — its `known_marketplaces.json` entry, its
    /// checkout and its catalog.
    public func removeMarketplace(_ name: String, scope: Scope?) throws(KernelError) -> MarketplaceRemoval {
        let known = try knownMarketplaces()
        let declared = Scope.allCases.filter { s in (try? settings(s))?["extraKnownMarketplaces"]?[name] != nil }
        guard let entry = known.first(where: { $0.name == name }) ?? (declared.isEmpty ? nil : KnownMarketplace(name: name, source: .object([]), installLocation: "", lastUpdated: nil)) else {
            throw KernelError(.notFound, "Marketplace \"\(name)\" is not added." + PluginHost.suggestion(name, in: known.map(\.name)))
        }
        for s in Scope.allCases { _ = try settings(s) }
        let targets = scope.map { [$0] } ?? Scope.allCases
        var uninstalled: [UninstallOutcome] = []
        let receipts = try installed().filter { $0.marketplace == name && (scope == nil || $0.scope == scope) }
        for receipt in receipts {
            uninstalled.append(try uninstall(receipt.id, scope: receipt.scope, keepData: false))
        }
        var removedFrom: [Scope] = []
        for s in targets where declared.contains(s) {
            try updateSettingsValue(s, keyPath: ["extraKnownMarketplaces", name], value: nil)
            removedFrom.append(s)
        }
        let stillDeclared = declared.filter { !removedFrom.contains($0) }
        if stillDeclared.isEmpty {
            do { try KnownMarketplacesFile.remove(name, in: paths.knownMarketplacesFile) } catch { throw KernelError(settings: error) }
            try? store.deleteMarketplace(name)
            if !entry.installLocation.isEmpty, FileSystem.isInside(entry.installLocation, root: marketplacesDir) {
                try? FileManager.default.removeItem(atPath: entry.installLocation)
            }
        }
        return MarketplaceRemoval(name: name, uninstalled: uninstalled, scopes: removedFrom)
    }

    // MARK: - Catalog

    /// Brings the store's catalog in line with `known_marketplaces.json`: a marketplace the file records and
    /// the store does not (added by the Qoder CLI, or before this kernel) is indexed from its install location;
    /// one the store holds and the file does not (removed by the other tool) is forgotten.
    public func syncCatalog() throws(KernelError) {
        _ = try syncedStore()
    }

    /// The store, its catalog in line with `known_marketplaces.json`. A read-only store (``init(readingAt:)``)
    /// whose catalog is already in line is returned as it is; when it is not, the database is opened for
    /// writing to bring it in line, and that store returned.
    func syncedStore() throws(KernelError) -> KernelStore {
        let known = try knownMarketplaces()
        let records: [MarketplaceRecord]
        do { records = try store.marketplaceRecords() } catch { throw KernelError(.store, wrapping: error) }
        let stale = records.filter { record in !known.contains(where: { $0.name == record.name }) }
        let missing = known.filter { k in !records.contains(where: { $0.name == k.name && $0.installLocation == k.installLocation }) }
        if stale.isEmpty && missing.isEmpty { return store }
        var store = self.store
        if store.isReadOnly {
            do { store = try KernelStore(path: paths.databaseFile) } catch {
                throw KernelError(.store, wrapping: error, context: "cannot open the kernel database \(paths.databaseFile)")
            }
        }
        for record in stale { try? store.deleteMarketplace(record.name) }
        for k in missing {
            let node = try? JSONReader.parse(Array(k.source.serialized(pretty: false).utf8)).0
            let source = node.flatMap(MarketplaceSource.init(json:))
            var root = k.installLocation
            if case .file(let path) = source { root = Self.marketplaceRoot(ofManifest: path) }
            guard let fetched = try? readMarketplace(root: root, installLocation: k.installLocation, revision: nil,
                                                     manifestFile: source.flatMap { if case .file(let p) = $0 { p } else { nil } }) else { continue }
            var record = fetched.record(name: k.name, source: source ?? .directory(path: root))
            record.source = k.source.serialized(pretty: false)
            try? store.saveMarketplace(record, catalog: fetched.catalog(marketplace: k.name))
        }
        return store
    }

    /// The entries of every added marketplace (of `marketplace` when given).
    public func catalog(marketplace: String? = nil) throws(KernelError) -> [CatalogEntry] {
        try syncCatalog()
        do { return try store.catalogEntries(marketplace: marketplace) } catch { throw KernelError(.store, wrapping: error) }
    }

    /// Full-text search of the catalog, ranked name matches first, then keyword (and tag) matches, then
    /// description matches.
    public func searchCatalog(_ query: String, limit: Int = 50) throws(KernelError) -> [(entry: CatalogEntry, match: CatalogMatch)] {
        let store = try syncedStore()
        do { return try store.searchCatalog(query, limit: limit) } catch { throw KernelError(.store, wrapping: error) }
    }

    // MARK: - Helpers

    /// ` Did you mean 'x'?` for the candidate nearest `word`, or the empty string.
    static func suggestion(_ word: String, in candidates: [String]) -> String {
        closestMatch(word, in: candidates).map { " Did you mean '\($0)'?" } ?? ""
    }

    func knownMarketplaces() throws(KernelError) -> [KnownMarketplace] {
        do { return try KnownMarketplacesFile.read(paths.knownMarketplacesFile).marketplaces } catch { throw KernelError(settings: error) }
    }

    func touch(_ known: KnownMarketplace) throws(KernelError) {
        var k = known
        k.lastUpdated = PluginListing.date(Date())
        do { try KnownMarketplacesFile.record(k, in: paths.knownMarketplacesFile) } catch { throw KernelError(settings: error) }
    }

    func updateSettingsValue(_ scope: Scope, keyPath: [String], value: JSONValue?) throws(KernelError) {
        do { try SettingsFile.update(paths.settingsFile(scope), keyPath: keyPath, value: value) } catch { throw KernelError(settings: error) }
    }

    static func checkMarketplaceName(_ name: String) throws(KernelError) {
        if name.isEmpty || name == "." || name == ".." || name.hasPrefix(".") || name.contains("/") || name.contains("@")
            || name == "local" || name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw KernelError(.invalidInput, "'\(name)' cannot be a marketplace name (no '/', '@', leading '.', or 'local')")
        }
    }

    /// The root a manifest file belongs to: the folder holding `.qoder-plugin/` or `.claude-plugin/`, else the
    /// file's folder.
    static func marketplaceRoot(ofManifest file: String) -> String {
        let dir = KernelPaths.parent(file)
        let base = FileSystem.baseName(dir)
        return base == ".qoder-plugin" || base == ".claude-plugin" ? KernelPaths.parent(dir) : dir
    }

    /// Fetches a marketplace: a clone into a staging folder (git), a download into one (URL), or the folder
    /// or file itself.
    func fetchMarketplace(_ source: MarketplaceSource, sparse: [String]?) throws(KernelError) -> FetchedMarketplace {
        switch source {
        case .directory(let path):
            guard FileSystem.isDirectory(path) else { throw KernelError(.notFound, "Marketplace folder not found: \(path)") }
            return try readMarketplace(root: path, installLocation: path, revision: nil)
        case .file(let path):
            guard FileSystem.isFile(path) else { throw KernelError(.notFound, "Marketplace file not found: \(path)") }
            let root = Self.marketplaceRoot(ofManifest: path)
            return try readMarketplace(root: root, installLocation: root, revision: nil, manifestFile: path)
        case .git, .github:
            let (url, ref) = source.gitRemote!
            let staging = try makeStaging()
            do {
                let commit = try Git.clone(url, ref: ref, sha: nil, into: staging, sparse: sparse)
                var fetched = try readMarketplace(root: staging, installLocation: staging, revision: commit)
                fetched.staging = staging
                return fetched
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                throw error
            }
        case .url(let url, let headers):
            let response = try download(url, headers: headers, etag: nil)
            let staging = try makeStaging()
            do {
                var fetched = try storeDownloaded(response, url: url, into: staging)
                fetched.staging = staging
                return fetched
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                throw error
            }
        }
    }

    func makeStaging() throws(KernelError) -> String {
        let staging = marketplacesDir + "/.staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try FileManager.default.createDirectory(atPath: marketplacesDir, withIntermediateDirectories: true) } catch {
            throw KernelError(.io, wrapping: error, context: "cannot create \(marketplacesDir)")
        }
        return staging
    }

    /// GETs a marketplace.json: 10 s to connect, 60 s in all, 32 MiB at most, 5 redirects, http/https/file
    /// only; `${VAR}` in header values from the environment.
    func download(_ url: String, headers: [(String, String)], etag: String?) throws(KernelError) -> HTTPResponse {
        let env = ProcessInfo.processInfo.environment
        var fields = headers.map { HTTPHeader($0.0, Self.expandEnvironment($0.1, env)) }
        if let etag { fields.append(HTTPHeader("If-None-Match", etag)) }
        let request = HTTPRequest(url: url, headers: fields, timeout: 60, connectTimeout: 10, maxResponseBytes: 32 << 20)
        let response: HTTPResponse
        do { response = try HTTPClient.sendBlocking(request) } catch {
            throw KernelError(.io, "cannot fetch \(url): \(error.message)", underlying: error)
        }
        guard response.isSuccess || response.status == 304 else {
            throw KernelError(.io, "cannot fetch \(url): HTTP \(response.status)")
        }
        return response
    }

    static func expandEnvironment(_ text: String, _ env: [String: String]) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { out += rest[open.lowerBound...]; return out }
            out += env[String(rest[open.upperBound..<close])] ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    func storeDownloaded(_ response: HTTPResponse, url: String, into folder: String) throws(KernelError) -> FetchedMarketplace {
        let file = folder + "/marketplace.json"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let temp = folder + "/.marketplace.json.tmp"
            try Data(response.body).write(to: URL(fileURLWithPath: temp))
            guard rename(temp, file) == 0 else { throw KernelError(.io, "cannot write \(file)") }
        } catch {
            throw error as? KernelError ?? KernelError(.io, wrapping: error, context: "cannot write \(file)")
        }
        var fetched = try readMarketplace(root: folder, installLocation: folder, revision: nil, manifestFile: file,
                                          displayFile: url)
        fetched.etag = response.header("ETag")
        return fetched
    }

    /// Reads and parses the manifest of the marketplace at `root`.
    func readMarketplace(root: String, installLocation: String, revision: String?, manifestFile: String? = nil,
                         displayFile: String? = nil) throws(KernelError) -> FetchedMarketplace {
        guard let file = manifestFile ?? MarketplaceLoader.manifestFile(in: root) else {
            throw KernelError(.notFound, "No marketplace manifest in \(root): looked for \(MarketplaceLoader.manifestPaths.joined(separator: ", "))")
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(file, limit: 64 << 20) } catch {
            throw KernelError(.io, "cannot read \(file): \(error)", underlying: error)
        }
        var diagnostics = Diagnostics()
        guard let manifest = MarketplaceParser.parse(bytes, file: displayFile ?? file, diagnostics: &diagnostics) else {
            throw KernelError(.invalidBundle, "\(displayFile ?? file) is not a valid marketplace manifest", diagnostics: diagnostics.items)
        }
        return FetchedMarketplace(root: root, installLocation: installLocation, manifest: manifest,
                                  sha256: SHA256.hash(bytes).hex, bytes: bytes, revision: revision, diagnostics: diagnostics.items)
    }
}

/// A marketplace read from its source, not yet recorded.
struct FetchedMarketplace {
    var root: String
    var installLocation: String
    var manifest: MarketplaceManifest
    var sha256: String
    /// The manifest as read (each entry's digest is of its bytes).
    var bytes: [UInt8]
    var revision: String?
    var diagnostics: [Diagnostic]
    /// A staging folder to rename into place (git, URL), removed by `discard`.
    var staging: String? = nil
    var etag: String? = nil

    func discard() {
        if let staging { try? FileManager.default.removeItem(atPath: staging) }
    }

    func moved(to destination: String) -> FetchedMarketplace {
        var m = self
        m.root = destination
        m.installLocation = destination
        m.staging = nil
        return m
    }

    func record(name: String, source: MarketplaceSource) -> MarketplaceRecord {
        let renames = manifest.renames.map { $0.json.serialized(pretty: false) }
        return MarketplaceRecord(name: name, source: source.json.serialized(pretty: false), installLocation: installLocation,
                                 root: root,
                                 pluginRoot: manifest.pluginRoot.map(FileSystem.normalizeRelative) ?? "",
                                 manifestSHA256: sha256, etag: etag, revision: revision, renames: renames, updatedAt: Date())
    }

    /// The catalog's rows for this manifest: the store builds (serializes) only the entries whose digest it
    /// does not already hold.
    func catalog(marketplace: String) -> CatalogRows {
        let plugins = manifest.plugins
        return CatalogRows(keys: zip(plugins, Self.entryDigests(manifest, bytes: bytes)).map { ($0.name, $1) }) { i in
            let e = plugins[i]
            return CatalogEntry(marketplace: marketplace, name: e.name, description: e.description, version: e.version,
                                category: e.category, tags: e.tags, keywords: e.keywords, author: e.author?.name,
                                source: (e.node["source"]?.json ?? .null).serialized(pretty: false),
                                entry: e.node.json.serialized(pretty: false))
        }
    }

    /// Bump when the catalog's row for an entry changes for the same bytes (a new column, another reading of a
    /// field): every entry's digest changes with it, so the next update rewrites every row.
    static let catalogFormat = Array("kernel-catalog-1\n".utf8)

    /// SHA-256 of `catalogFormat` and each entry's bytes as written (the parse of an entry depends on its bytes
    /// alone). An entry only reformatted gets a new digest and a rewritten row, which is the same row.
    static func entryDigests(_ manifest: MarketplaceManifest, bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBytes { buffer in
            manifest.plugins.map { e in
                var h = SHA256()
                h.update(catalogFormat)
                if let range = e.node.byteRange, range.upperBound <= buffer.count {
                    h.update(UnsafeRawBufferPointer(rebasing: buffer[range]))
                } else {
                    h.update(Array(e.node.json.serialized(pretty: false).utf8))
                }
                return h.finalize().hex
            }
        }
    }
}
