import Foundation
import KernelFetch
import KernelHost
import KernelStore

extension PluginHost {
    /// An `archive` entry: `{"source": "archive", "url", "sha256"}`, fetched and unpacked by `PluginFetch`
    /// (sha256 checked before anything is unpacked; hostile entries refused). The entry's `headers` are sent.
    /// Its version, when neither plugin.json nor the entry has one, is the first 12 hex digits of the archive's
    /// sha256.
    func fetchArchive(_ entry: CatalogEntry, url: String, sha256: String?, headers: [String: String], manifest: PluginManifest?,
                      version: String?, source: ([(String, JSONValue)]) -> JSONValue) throws(KernelError) -> FetchedPlugin {
        let temporary = try fetchFolder()
        do {
            let tree = try Self.wait { try await PluginFetch.fetchArchive(url: url, sha256: sha256, headers: headers,
                                                                          stagingParent: URL(fileURLWithPath: temporary),
                                                                          limits: .default) }
            let hex = Self.hex(of: tree.contentHash)
            return FetchedPlugin(directory: tree.directory.path, temporary: temporary, entry: entry, manifest: manifest,
                                 fallbackVersion: version ?? String(hex.prefix(12)),
                                 source: source([("sha256", .string(hex))]))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KernelError(error.code, "\(entry.id): \(error.message)", underlying: error.underlying ?? error,
                              diagnostics: error.diagnostics)
        }
    }

    /// An `npm` entry: `{"source": "npm", "package", "version", "registry"}`: the registry's HTTP API, the
    /// tarball's `dist.integrity` verified. The registry: the entry's, else settings `npmRegistry` (local >
    /// project > user), else npm's public one. Its version, when neither plugin.json nor the entry has one, is
    /// the package version resolved.
    func fetchNpm(_ entry: CatalogEntry, package: String, version: String?, registry: String?, manifest: PluginManifest?,
                  entryVersion: String?, source: ([(String, JSONValue)]) -> JSONValue) throws(KernelError) -> FetchedPlugin {
        var registry = registry
        if registry == nil {
            for scope in [Scope.local, .project, .user] {
                if let value = (try? settings(scope))?[PluginFetch.npmRegistrySettingsKey]?.string { registry = value; break }
            }
        }
        let temporary = try fetchFolder()
        do {
            let tree = try Self.wait { [registry] in
                try await PluginFetch.fetchNpm(package: package, version: version, registry: registry,
                                               stagingParent: URL(fileURLWithPath: temporary))
            }
            var extra: [(String, JSONValue)] = [("sha256", .string(Self.hex(of: tree.contentHash)))]
            if let resolved = tree.resolvedVersion { extra.append(("resolvedVersion", .string(resolved))) }
            return FetchedPlugin(directory: tree.directory.path, temporary: temporary, entry: entry, manifest: manifest,
                                 fallbackVersion: entryVersion ?? tree.resolvedVersion ?? String(Self.hex(of: tree.contentHash).prefix(12)),
                                 source: source(extra))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KernelError(error.code, "\(entry.id): \(error.message)", underlying: error.underlying ?? error,
                              diagnostics: error.diagnostics)
        }
    }

    static func hex(of contentHash: String) -> String {
        contentHash.hasPrefix("sha256:") ? String(contentHash.dropFirst(7)) : contentHash
    }

    /// Runs an async fetch from this synchronous API and waits for it. The fetchers do their transfers on
    /// threads of their own (`HTTPClient`), so the wait does not hold up the work it waits for.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws(KernelError) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        switch box.result! {
        case .success(let value): return value
        case .failure(let error as KernelError): throw error
        case .failure(let error): throw KernelError(.io, wrapping: error)
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
