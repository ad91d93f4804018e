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
        let base = StatBase(roots: roots)
        defer { base.close() }
        let results = ParallelMap.map(roots) { root -> (Loaded, CachedComponent?) in
            if let hit = hits[root], hit.kind == Self.kind, let summary = Entry.freshSummary(hit.payload, root: root, base: base) {
                if !decodeBundles { return (Loaded(bundle: nil, summary: summary, cached: true), nil) }
                if let detail = hit.detail, let bundle = try? JSONDecoder().decode(PluginBundle.self, from: detail) {
                    return (Loaded(bundle: bundle, summary: summary, cached: true), nil)
                }
            }
            let bundle = read(root)
            let summary = PluginSummary(bundle)
            let inputs = Entry.keys(of: bundle.inputs, stamps: bundle.inputStamps, root: root)
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

        /// The keys of `paths` (absolute, under `root`), relative to `root`: each path's stamp as the loader read
        /// it, else a stat now (a path only probed); paths that no longer exist are skipped.
        static func keys(of paths: [String], stamps: [FileSystem.Stamp?], root: String) -> [FileKey] {
            var fd: Int32 = -1
            defer { if fd >= 0 { close(fd) } }
            var seen = Set<String>()
            seen.reserveCapacity(paths.count)
            var keys: [FileKey] = []
            keys.reserveCapacity(paths.count)
            let below = root + "/"
            let dropped = below.utf8.count
            for (i, path) in paths.enumerated() {
                // UTF-8 offsets: dropping `root.count` Characters walks grapheme breaks (2.5% of a cold listing).
                let relative = path == root ? "" : path.hasPrefix(below)
                    ? String(decoding: path.utf8.dropFirst(dropped), as: UTF8.self) : path
                guard seen.insert(relative).inserted else { continue }
                if i < stamps.count, let s = stamps[i] {
                    keys.append(FileKey(path: relative, device: s.device, inode: s.inode, size: s.size,
                                        mtimeNanoseconds: s.mtimeNanoseconds))
                    continue
                }
                if fd < 0 {
                    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    guard fd >= 0 else { return [] }
                }
                if let key = FileKey.stat(relative, relativeTo: fd) { keys.append(key) }
            }
            return keys
        }

        /// The summary of the entry `payload` encodes when every input under `root` is unchanged on disk (same
        /// device, inode, size and mtime); nil when one changed or the payload does not decode. The keys are
        /// compared straight from the payload's bytes (no `String` per input path), each input stat'ed through
        /// `base` (no open and close of every root).
        static func freshSummary(_ payload: Data, root: String, base: StatBase) -> PluginSummary? {
            let rootPath = base.relative(root)
            return payload.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> PluginSummary? in
                var r = ByteReader(raw)
                guard let count = r.int(), count >= 0, count < 1_000_000 else { return nil }
                // The path given to fstatat: the root (relative to the base), "/", the input's path, NUL.
                var path = rootPath
                let prefixCount = path.count
                path.reserveCapacity(prefixCount + 256)
                for _ in 0..<count {
                    guard let n = r.int(), n >= 0, let name = r.bytes(Int(n)), let dev = r.int(), let ino = r.int(),
                          let size = r.int(), let mtime = r.int() else { return nil }
                    path.removeSubrange(prefixCount...)
                    let absolute = name.first == UInt8(ascii: "/")
                    if absolute {
                        path = Array(name)  // an input outside the root keeps its absolute path
                    } else if n > 0 {
                        path.append(UInt8(ascii: "/"))
                        path.append(contentsOf: name)
                    }
                    path.append(0)
                    var st = stat()
                    let rc = path.withUnsafeBufferPointer { buf in
                        buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { fstatat(base.fd, $0, &st, 0) }
                    }
                    guard rc == 0, UInt64(truncatingIfNeeded: st.st_ino) == UInt64(bitPattern: ino),
                          Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec) == mtime,
                          Int64(st.st_size) == size, UInt64(truncatingIfNeeded: st.st_dev) == UInt64(bitPattern: dev)
                    else { return nil }
                    if absolute { path = rootPath }
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
                guard r.offset == raw.count else { return nil }
                return PluginSummary(name: name, version: version, description: description, resourcesJSON: resources,
                                     textLines: lines, requiredConfigKeys: keys)
            }
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
    }

    /// Where the inputs of a set of roots are stat'ed from: their deepest common folder, opened once per `load`
    /// (an installed plugin's root is `<home>/plugins/cache/<marketplace>/<name>/<version>`), so a root costs no
    /// open and close and each stat walks only the path below that folder. `AT_FDCWD` and absolute paths when the
    /// roots share no folder but `/` (or it cannot be opened).
    struct StatBase: Sendable {
        let fd: Int32
        /// The folder `fd` is, with a trailing "/" ("" for `AT_FDCWD`).
        let prefix: String

        init(roots: [String]) {
            // The longest common folder of the roots' parents, on their bytes (a `Substring.hasPrefix` per root
            // compares Characters: 15 M instructions for 500 roots).
            let slash = UInt8(ascii: "/")
            var common: [UInt8]?
            for root in roots {
                let bytes = Array(root.utf8)
                let parent = bytes[..<(bytes.lastIndex(of: slash) ?? 0)]
                guard let c = common else { common = Array(parent); continue }
                var k = 0
                while k < c.count, k < parent.count, c[k] == parent[k] { k += 1 }
                if k == c.count, k == parent.count || parent[k] == slash { continue }
                // Back to the last component boundary both share.
                var j = k
                if j == c.count || c[j] != slash || (j < parent.count && parent[j] != slash) { j -= 1 }
                while j > 0, c[j] != slash { j -= 1 }
                common = Array(c[..<max(j, 0)])
            }
            if let common, common.count > 1, common.first == slash {
                let folder = String(decoding: common, as: UTF8.self)
                let opened = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if opened >= 0 {
                    fd = opened
                    prefix = folder + "/"
                    return
                }
            }
            fd = AT_FDCWD
            prefix = ""
        }

        /// `root` as a path from the base folder, in UTF-8 bytes (absolute when the root is not under it).
        func relative(_ root: String) -> [UInt8] {
            if !prefix.isEmpty, root.hasPrefix(prefix), root.utf8.count > prefix.utf8.count {
                return Array(root.utf8.dropFirst(prefix.utf8.count))
            }
            return Array(root.utf8)
        }

        func close() {
            if fd != AT_FDCWD { Glibc.close(fd) }
        }
    }
}
