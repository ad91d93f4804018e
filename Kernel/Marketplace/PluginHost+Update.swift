import Foundation
public import KernelHost
import KernelStore

/// What `plugins update` did to one install.
public struct PluginUpdate: Sendable {
    public var id: String
    public var scope: Scope
    /// `updated` (the content changed: replaced), `up-to-date`, or `failed`.
    public var status: String
    public var oldVersion: String
    public var newVersion: String?
    public var oldSHA256: String
    public var newSHA256: String?
    public var error: KernelError?
    /// Dependencies the new version needs that were installed with it (ids); the old version's dependencies it
    /// no longer needs stay until `plugins prune`.
    public var installedDependencies: [String] = []

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("pluginId", .string(id)), ("scope", .string(scope.rawValue)), ("status", .string(status)),
            ("oldVersion", .string(oldVersion)), ("newVersion", .optional(newVersion)),
            ("oldSha256", .string(oldSHA256)), ("newSha256", .optional(newSHA256)),
        ]
        if !installedDependencies.isEmpty { members.append(("dependencies", .strings(installedDependencies))) }
        if let error { members += [("error", .string(error.message)), ("code", .string(error.code.rawValue))] }
        return .object(members)
    }
}

extension PluginHost {
    /// Updates installed plugins (the one named, else every plugin installed here; only `scope`'s when given):
    /// refreshes the marketplaces they come from, fetches each plugin's source again and replaces the install
    /// when its *content* changed (the tree hash), whatever its version string says — a moved tag or a new
    /// commit under the same version is an update. The new copy is staged and verified (validated, hashed)
    /// before it replaces the old one, which stays in place until then. Folder installs (`@local`) are re-read
    /// from the folder they were installed from.
    /// - Returns: one result per install; a failure of one does not stop the others.
    public func updatePlugins(_ name: String?, scope: Scope?) throws(KernelError) -> [PluginUpdate] {
        var receipts: [InstallReceipt]
        if let name {
            receipts = try self.receipts(matching: name, scope: scope)
        } else {
            receipts = try installed().filter { scope == nil || $0.scope == scope }
        }
        receipts.sort { ($0.id, $0.scope.priority) < ($1.id, $1.scope.priority) }
        var refreshed: [String: KernelError] = [:]
        for marketplace in Set(receipts.map { $0.marketplace }) where marketplace != "local" {
            do {
                if let failure = try updateMarketplaces(marketplace).first?.error { refreshed[marketplace] = failure }
            } catch {
                refreshed[marketplace] = error
            }
        }
        var results: [PluginUpdate] = []
        for receipt in receipts {
            var result = PluginUpdate(id: receipt.id, scope: receipt.scope, status: "failed", oldVersion: receipt.version,
                                      oldSHA256: receipt.sha256)
            do throws(KernelError) {
                let done = try update(receipt)
                let outcome = done.outcome
                result.status = outcome.unchanged && done.installed.isEmpty ? "up-to-date" : "updated"
                result.newVersion = outcome.version
                result.newSHA256 = outcome.sha256
                result.installedDependencies = done.installed.map(\.id)
            } catch {
                if let refreshError = refreshed[receipt.marketplace] {
                    result.error = KernelError(error.code, "\(error.message) (updating its marketplace failed: \(refreshError.message))")
                } else {
                    result.error = error
                }
            }
            results.append(result)
        }
        try relock(results.filter { $0.status == "updated" && $0.scope == .project }.map(\.id))
        return results
    }

    /// Fetches the plugin again and installs it with the dependency closure of the *new* version (what it
    /// declares now, resolved as `install` does); the install itself is skipped when its content is unchanged.
    func update(_ receipt: InstallReceipt) throws(KernelError) -> DependencyInstall {
        if receipt.marketplace == "local" {
            guard let node = try? JSONReader.parse(Array(receipt.source.utf8)).0, node["type"]?.string == "directory",
                  let path = node["path"]?.string else {
                throw KernelError(.notFound, "\(receipt.id) records no folder it was installed from")
            }
            guard FileSystem.isDirectory(path) else {
                throw KernelError(.notFound, "\(receipt.id) was installed from \(path), which is no longer a folder")
            }
            let request = InstallRequest(directory: path, source: .object([("type", "directory"), ("path", .string(path))]),
                                         unlessSHA256: receipt.sha256)
            let bundle = BundleLoader.load(at: FileSystem.realPath(path) ?? path, entryManifest: nil)
            let root = ResolvedPlugin(id: receipt.id, marketplace: nil, version: bundle.version ?? "local", fetched: nil,
                                      specs: DependencySpec.parse(bundle.manifest?.node["dependencies"]), folderRequest: request)
            return try installResolvingDependencies(root: root, scope: receipt.scope, rootAutoInstalled: receipt.autoInstalled)
        }
        let entries: [CatalogEntry]
        do { entries = try store.catalogEntries(named: receipt.name).filter { $0.marketplace == receipt.marketplace } } catch {
            throw KernelError(.store, wrapping: error)
        }
        guard let entry = entries.first else {
            throw KernelError(.notFound, "\(receipt.id): marketplace \"\(receipt.marketplace)\" no longer lists \"\(receipt.name)\"")
        }
        let fetched = try fetchPlugin(entry)
        defer { fetched.cleanUp() }
        let bundle = BundleLoader.load(at: fetched.directory, entryManifest: fetched.manifest)
        let root = ResolvedPlugin(id: entry.id, marketplace: entry.marketplace, version: bundle.version ?? fetched.fallbackVersion ?? "local",
                                  fetched: fetched, specs: Self.dependencySpecs(bundle: bundle, entry: entry))
        // An update keeps who installed it (a dependency stays one); what it needs is what the new version says.
        return try installResolvingDependencies(root: root, scope: receipt.scope, rootUnlessSHA256: receipt.sha256,
                                                rootAutoInstalled: receipt.autoInstalled)
    }
}
