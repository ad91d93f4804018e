import Foundation
import Glibc
import KernelCore
import KernelStore

/// Whole bundles cached in the store, so that a run with nothing changed parses no file: each entry holds the
/// bundle (JSON) and the file keys of every input of its load (folders listed, files read), relative to the
/// bundle's root. An entry is used only while every input still has the same device, inode, size and mtime.
struct BundleCache {
    /// Bump when the bundle model or the parsers change what they produce.
    static let version = 1
    static let kind = "bundle"

    let store: KernelStore

    struct StatKey: Codable, Equatable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64

        init(_ key: FileKey) {
            path = key.path
            device = key.device
            inode = key.inode
            size = key.size
            mtime = key.mtimeNanoseconds
        }
    }

    struct Entry: Codable {
        var inputs: [StatKey]
        var bundle: PluginBundle
    }

    /// The store key of a root: its own path would collide with the listing summaries, so a suffix.
    static func storeKey(_ root: String) -> String { root + "#bundle" }

    /// The bundles at `roots`, from the cache when fresh, else read with `load` (in parallel) and cached.
    /// - Returns: each bundle, and whether it came from the cache.
    func bundles(at roots: [String], load: @escaping @Sendable (String) -> PluginBundle) -> [(bundle: PluginBundle, cached: Bool)] {
        // Entries by key path; each lists the keys of all its inputs (the root among them), checked below.
        let hits = (try? store.cachedComponents(atPaths: roots.map(Self.storeKey), parserVersion: Self.version)) ?? [:]
        let results = ParallelMap.map(roots) { root -> (PluginBundle, Bool, CachedComponent?) in
            if let hit = hits[Self.storeKey(root)], hit.kind == Self.kind,
               let entry = try? JSONDecoder().decode(Entry.self, from: hit.payload),
               Self.isFresh(entry.inputs, root: root) {
                return (entry.bundle, true, nil)
            }
            let bundle = load(root)
            let inputs = SummaryCacheEntry.keys(of: bundle.inputs, root: root)
            guard var rootKey = inputs.first(where: { $0.path.isEmpty }),
                  let payload = try? JSONEncoder().encode(Entry(inputs: inputs.map(StatKey.init), bundle: bundle))
            else { return (bundle, false, nil) }
            rootKey.path = Self.storeKey(root)
            return (bundle, false, CachedComponent(key: rootKey, kind: Self.kind, parserVersion: Self.version, payload: payload))
        }
        let fresh = results.compactMap(\.2)
        if !fresh.isEmpty { try? store.storeComponents(fresh) }
        return results.map { ($0.0, $0.1) }
    }

    static func isFresh(_ inputs: [StatKey], root: String) -> Bool {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return inputs.allSatisfy { key in
            FileKey.stat(key.path, relativeTo: fd).map(StatKey.init) == key
        }
    }
}
