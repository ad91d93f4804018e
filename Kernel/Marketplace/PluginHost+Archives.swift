import Foundation
import KernelHost
import KernelStore

extension PluginHost {
    /// An `archive` entry: `{"source": "archive", "url", "sha256"}`.
    func fetchArchive(_ entry: CatalogEntry, url: String, sha256: String?, manifest: PluginManifest?, version: String?,
                      source: ([(String, JSONValue)]) -> JSONValue) throws(KernelError) -> FetchedPlugin {
        throw KernelError(.invalidInput, "\(entry.id): archive sources (\(url)) cannot be installed by this build yet")
    }

    /// An `npm` entry: `{"source": "npm", "package", "version", "registry"}`.
    func fetchNpm(_ entry: CatalogEntry, package: String, version: String?, registry: String?, manifest: PluginManifest?,
                  entryVersion: String?, source: ([(String, JSONValue)]) -> JSONValue) throws(KernelError) -> FetchedPlugin {
        throw KernelError(.invalidInput, "\(entry.id): npm sources (\(package)) cannot be installed by this build yet")
    }
}
