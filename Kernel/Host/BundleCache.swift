import Foundation
import Glibc
import KernelCore
import KernelStore

/// The one cache of read folders (installed plugins, the user's and the project's `.qoder`): one
/// `component_cache` row per folder, under the folder's own path, kind `bundle`. Its payload holds the file keys
/// of every input of the load (folders listed, files read; relative to the root) and the listing summary, in
/// binary; its detail holds the whole bundle as JSON. An entry is used only while every input still has the same
/// device, inode, size and mtime. A listing reads only the payload (and, on a miss, writes the row without a
/// detail: it never encodes a bundle); a composition reads the detail too, and fills it when it is missing.
struct BundleCache {
    /// Bump when the bundle model, the summary or the parsers change what they produce.
    static let version = 5
    static let kind = "bundle"

    let store: KernelStore

    /// One folder: its bundle (when decoded or read) and its summary.
    struct Loaded {
        var bundle: PluginBundle?
        var summary: PluginSummary
        var cached: Bool
    }

    /// The folders at `roots`, from the cache when fresh, else read with `load` (in parallel) and cached.
    /// - Parameter decodeBundles: false for listings: a fresh entry gives its summary only (`bundle` nil).
    func load(_ roots: [String], decodeBundles: Bool,
              read: @escaping @Sendable (String) -> PluginBundle) -> [Loaded] {
        // Entries by path; each lists the keys of all its inputs (the root among them), checked below.
        let hits = (try? store.cachedComponents(atPaths: roots, parserVersion: Self.version, withDetail: decodeBundles)) ?? [:]
        let results = ParallelMap.map(roots) { root -> (Loaded, CachedComponent?) in
            if let hit = hits[root], hit.kind == Self.kind, let entry = Entry(decoding: [UInt8](hit.payload)),
               entry.isFresh(root: root) {
                if !decodeBundles { return (Loaded(bundle: nil, summary: entry.summary, cached: true), nil) }
                if let detail = hit.detail, let bundle = try? JSONDecoder().decode(PluginBundle.self, from: detail) {
                    return (Loaded(bundle: bundle, summary: entry.summary, cached: true), nil)
                }
            }
            let bundle = read(root)
            let summary = PluginSummary(bundle)
            let inputs = Entry.keys(of: bundle.inputs, root: root)
            guard var rootKey = inputs.first(where: { $0.path.isEmpty }) else {
                return (Loaded(bundle: bundle, summary: summary, cached: false), nil)
            }
            rootKey.path = root
            let detail = decodeBundles ? try? JSONEncoder().encode(bundle) : nil
            return (Loaded(bundle: bundle, summary: summary, cached: false),
                    CachedComponent(key: rootKey, kind: Self.kind, parserVersion: Self.version,
                                    payload: Data(Entry(inputs: inputs, summary: summary).encoded()), detail: detail))
        }
        let fresh = results.compactMap(\.1)
        if !fresh.isEmpty { try? store.storeComponents(fresh) }
        return results.map(\.0)
    }

    /// One entry's payload.
    struct Entry {
        /// Keys of the inputs, with paths relative to the root ("" is the root itself).
        var inputs: [FileKey]
        var summary: PluginSummary

        /// The keys of `paths` (absolute, under `root`), relative to `root`; paths that no longer exist are skipped.
        static func keys(of paths: [String], root: String) -> [FileKey] {
            let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return [] }
            defer { close(fd) }
            var seen = Set<String>()
            var keys: [FileKey] = []
            for path in paths {
                // UTF-8 offsets: dropping `root.count` Characters walks grapheme breaks (2.5% of a cold listing).
                let relative = path == root ? "" : path.hasPrefix(root + "/")
                    ? String(Substring(path.utf8.dropFirst(root.utf8.count + 1))) : path
                guard seen.insert(relative).inserted, let key = FileKey.stat(relative, relativeTo: fd) else { continue }
                keys.append(key)
            }
            return keys
        }

        /// True when every input under `root` is unchanged on disk.
        func isFresh(root: String) -> Bool {
            let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return inputs.allSatisfy { FileKey.stat($0.path, relativeTo: fd) == $0 }
        }

        /// Little-endian, length-prefixed: the keys and the summary in binary (read back without parsing).
        func encoded() -> [UInt8] {
            var w = ByteWriter()
            w.int(Int64(inputs.count))
            for key in inputs {
                w.string(key.path)
                w.int(Int64(bitPattern: key.device))
                w.int(Int64(bitPattern: key.inode))
                w.int(key.size)
                w.int(key.mtimeNanoseconds)
            }
            w.string(summary.name)
            w.optionalString(summary.version)
            w.optionalString(summary.description)
            w.string(summary.resourcesJSON)
            w.int(Int64(summary.textLines.count))
            for line in summary.textLines { w.string(line) }
            w.int(Int64(summary.requiredConfigKeys.count))
            for key in summary.requiredConfigKeys { w.string(key) }
            return w.bytes
        }

        init(inputs: [FileKey], summary: PluginSummary) {
            self.inputs = inputs
            self.summary = summary
        }

        init?(decoding bytes: [UInt8]) {
            var r = ByteReader(bytes)
            guard let count = r.int(), count >= 0, count < 1_000_000 else { return nil }
            var inputs: [FileKey] = []
            inputs.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let path = r.string(), let dev = r.int(), let ino = r.int(), let size = r.int(), let mtime = r.int()
                else { return nil }
                inputs.append(FileKey(path: path, device: UInt64(bitPattern: dev), inode: UInt64(bitPattern: ino),
                                      size: size, mtimeNanoseconds: mtime))
            }
            guard let name = r.string(), let version = r.optionalString(), let description = r.optionalString(),
                  let resources = r.string(), let lineCount = r.int(), lineCount >= 0, lineCount < 100 else { return nil }
            var lines: [String] = []
            for _ in 0..<lineCount {
                guard let line = r.string() else { return nil }
                lines.append(line)
            }
            guard let keyCount = r.int(), keyCount >= 0, keyCount < 10_000 else { return nil }
            var keys: [String] = []
            for _ in 0..<keyCount {
                guard let key = r.string() else { return nil }
                keys.append(key)
            }
            guard r.isAtEnd else { return nil }
            self.inputs = inputs
            summary = PluginSummary(name: name, version: version, description: description, resourcesJSON: resources,
                                    textLines: lines, requiredConfigKeys: keys)
        }
    }
}
