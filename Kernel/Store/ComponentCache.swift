import Foundation
internal import GRDB
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The identity and version of a file as `stat(2)` reports it: a cached parse of the file is valid while all
/// fields are unchanged.
public struct FileKey: Hashable, Sendable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64

    public init(path: String, device: UInt64, inode: UInt64, size: Int64, mtimeNanoseconds: Int64) {
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Stats `path` (following symbolic links unless `followSymlinks` is false: then a link's own fields).
    ///
    /// - Returns: The key, or `nil` when the file does not exist or cannot be stat'ed (not an error: a missing
    ///   file is simply not cached).
    public static func stat(_ path: String, followSymlinks: Bool = true) -> FileKey? {
        var st = SystemStat()
        let rc = path.withCString { followSymlinks ? systemStat($0, &st) : systemLstat($0, &st) }
        guard rc == 0 else { return nil }
        #if canImport(Darwin)
        let mtime = st.st_mtimespec
        #else
        let mtime = st.st_mtim
        #endif
        return FileKey(
            path: path,
            device: UInt64(truncatingIfNeeded: st.st_dev),
            inode: UInt64(truncatingIfNeeded: st.st_ino),
            size: Int64(st.st_size),
            mtimeNanoseconds: Int64(mtime.tv_sec) * 1_000_000_000 + Int64(mtime.tv_nsec))
    }
}

extension FileKey {
    /// Stats `relativePath` inside an open directory (`fstatat`): no walk from `/` for every file, which is
    /// most of a stat's cost on deep paths. The key's `path` is `relativePath` as given; an empty
    /// `relativePath` stats the directory itself.
    public static func stat(_ relativePath: String, relativeTo directory: Int32) -> FileKey? {
        var st = SystemStat()
        let rc = relativePath.isEmpty
            ? fstat(directory, &st)
            : relativePath.withCString { fstatat(directory, $0, &st, 0) }
        guard rc == 0 else { return nil }
        let mtime = st.st_mtim
        return FileKey(
            path: relativePath,
            device: UInt64(truncatingIfNeeded: st.st_dev),
            inode: UInt64(truncatingIfNeeded: st.st_ino),
            size: Int64(st.st_size),
            mtimeNanoseconds: Int64(mtime.tv_sec) * 1_000_000_000 + Int64(mtime.tv_nsec))
    }
}

typealias SystemStat = stat
private func systemStat(_ path: UnsafePointer<CChar>, _ st: inout SystemStat) -> Int32 { stat(path, &st) }
private func systemLstat(_ path: UnsafePointer<CChar>, _ st: inout SystemStat) -> Int32 { lstat(path, &st) }

/// A parsed component file as cached: the key it was parsed under, what kind of component it is, which
/// parser version produced it, and the parsed result (opaque to the store; JSON by convention).
public struct CachedComponent: Sendable, Equatable {
    /// The stat fields of the file when it was parsed.
    public var key: FileKey
    /// e.g. `skill`, `command`, `agent`, `hooks`.
    public var kind: String
    /// The version of the parser that produced `payload`; bump it to invalidate every entry.
    public var parserVersion: Int
    /// The parsed result, opaque to the store (JSON by convention).
    public var payload: Data
    /// A larger part read only when asked for (`withDetail`), opaque too; nil when there is none.
    public var detail: Data?

    public init(key: FileKey, kind: String, parserVersion: Int, payload: Data, detail: Data? = nil) {
        self.key = key
        self.kind = kind
        self.parserVersion = parserVersion
        self.payload = payload
        self.detail = detail
    }
}

extension KernelStore {
    /// The cached parses whose stored key matches the given key exactly (path, device, inode, size, mtime) and
    /// whose parser version is `parserVersion`.
    ///
    /// One read transaction with one prepared statement: a scan of the cache when the keys cover a good part of
    /// it (the warm start of a whole session), else one primary-key probe per key. A path that is not cached,
    /// or whose file changed, or that was parsed by another parser version, is simply absent from the result
    /// (a miss, not an error).
    ///
    /// - Parameters:
    ///   - keys: Fresh stat results (see ``FileKey/stat(_:followSymlinks:)``).
    ///   - parserVersion: The version of the parser the caller would run on a miss.
    /// - Returns: Path → cached component, for the hits.
    public func cachedComponents(for keys: [FileKey], parserVersion: Int) throws(StoreError)
        -> [String: CachedComponent]
    {
        var byPath: [String: FileKey] = [:]
        byPath.reserveCapacity(keys.count)
        for key in keys { byPath[key.path] = key }
        let wanted = byPath
        return try cachedRows(paths: wanted.keys, parserVersion: parserVersion) { path, device, inode, size, mtime in
            // Compare the integer columns before building strings and payloads.
            guard let key = wanted[path], key.inode == inode, key.mtimeNanoseconds == mtime, key.size == size,
                  key.device == device else { return nil }
            return key
        }
    }

    /// The cached entries stored under `paths`, whatever their file key: for callers that check freshness
    /// themselves (a bundle's entry lists the keys of all its inputs) and need not stat each path first.
    /// - Parameter withDetail: read each entry's `detail` too (else it is nil).
    public func cachedComponents(atPaths paths: [String], parserVersion: Int, withDetail: Bool = false) throws(StoreError)
        -> [String: CachedComponent]
    {
        let wanted = Set(paths)
        return try cachedRows(paths: wanted, parserVersion: parserVersion, withDetail: withDetail) { path, device, inode, size, mtime in
            wanted.contains(path)
                ? FileKey(path: path, device: device, inode: inode, size: size, mtimeNanoseconds: mtime) : nil
        }
    }

    /// Reads the rows of `paths` (one scan of the table when they are a good part of it, else one probe per
    /// path), keeping those `accept` gives a key for.
    /// The cached parses of `keys`, every one of them a path under `folder`: one range scan of the folder's
    /// entries in the primary-key index instead of a probe per key (the memory walk asks for a rules folder's
    /// hundred files at once). Same contract as ``cachedComponents(for:parserVersion:)``.
    public func cachedComponents(for keys: [FileKey], under folder: String, parserVersion: Int) throws(StoreError)
        -> [String: CachedComponent]
    {
        var byPath: [String: FileKey] = [:]
        byPath.reserveCapacity(keys.count)
        for key in keys { byPath[key.path] = key }
        let wanted = byPath
        var prefix = folder
        while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
        // Every path starting with "<folder>/" sorts in ["<folder>/", "<folder>0"): '0' is the byte after '/'.
        let range = (prefix + "/", prefix + "0")
        return try cachedRows(paths: wanted.keys, parserVersion: parserVersion, range: range) { path, device, inode, size, mtime in
            guard let key = wanted[path], key.inode == inode, key.mtimeNanoseconds == mtime, key.size == size,
                  key.device == device else { return nil }
            return key
        }
    }

    private func cachedRows<Paths: Collection<String> & Sendable>(
        paths: Paths, parserVersion: Int, withDetail: Bool = false, range: (String, String)? = nil,
        accept: @escaping @Sendable (String, UInt64, UInt64, Int64, Int64) -> FileKey?
    ) throws(StoreError) -> [String: CachedComponent] {
        if paths.isEmpty { return [:] }
        return try storeErrors {
            try reading { db in
                var hits: [String: CachedComponent] = [:]
                hits.reserveCapacity(paths.count)
                func collect(_ rows: RowCursor) throws {
                    while let row = try rows.next() {
                        let path: String = row[0]
                        guard let key = accept(path, UInt64(bitPattern: row[1]), UInt64(bitPattern: row[2]),
                                               row[3] as Int64, row[4] as Int64) else { continue }
                        hits[path] = CachedComponent(
                            key: key, kind: row[5], parserVersion: parserVersion, payload: row[6],
                            detail: withDetail ? row[7] : nil)
                    }
                }
                let columns = "path, device, inode, size, mtime_ns, kind, payload" + (withDetail ? ", detail" : "")
                if let (low, high) = range {
                    let scan = try db.cachedStatement(
                        sql: "SELECT \(columns) FROM component_cache WHERE path >= ? AND path < ? AND parser_version = ?")
                    try collect(Row.fetchCursor(scan, arguments: [low, high, parserVersion]))
                    return hits
                }
                let cached = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM component_cache")) ?? 0
                if paths.count * 4 >= cached {
                    let scan = try db.cachedStatement(
                        sql: "SELECT \(columns) FROM component_cache WHERE parser_version = ?")
                    try collect(Row.fetchCursor(scan, arguments: [parserVersion]))
                } else {
                    let probe = try db.cachedStatement(
                        sql: "SELECT \(columns) FROM component_cache WHERE path = ? AND parser_version = ?")
                    for path in paths {
                        try collect(Row.fetchCursor(probe, arguments: [path, parserVersion]))
                    }
                }
                return hits
            }
        }
    }


    /// Stores parsed components, replacing any cached entry for the same path, in one transaction.
    ///
    /// - Throws: ``StoreError`` `.constraintViolation` for an empty path or kind, a negative size or parser version.
    public func storeComponents(_ components: [CachedComponent]) throws(StoreError) {
        if components.isEmpty { return }
        try storeErrors {
            try writer.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO component_cache (path, device, inode, size, mtime_ns, kind, parser_version, payload, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET
                        device = excluded.device, inode = excluded.inode, size = excluded.size,
                        mtime_ns = excluded.mtime_ns, kind = excluded.kind,
                        parser_version = excluded.parser_version, payload = excluded.payload, detail = excluded.detail
                    """)
                for c in components {
                    try statement.execute(arguments: [
                        c.key.path, Int64(bitPattern: c.key.device), Int64(bitPattern: c.key.inode), c.key.size,
                        c.key.mtimeNanoseconds, c.kind, c.parserVersion, c.payload, c.detail,
                    ])
                }
            }
        }
    }

    /// Deletes cached components whose path is not in `paths` (files that no longer exist or are no longer
    /// components). With `folder`, only entries at or below that folder are considered, so a project's scan
    /// does not evict the user folder's entries.
    ///
    /// - Returns: How many entries were deleted.
    @discardableResult
    public func pruneComponents(keeping paths: Set<String>, under folder: String? = nil) throws(StoreError) -> Int {
        let keep = try jsonArray(paths)
        return try storeErrors {
            try writer.write { db in
                if var folder {
                    while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
                    let below = folder == "/" ? "/" : folder + "/"
                    try db.execute(
                        sql: """
                            DELETE FROM component_cache
                            WHERE (path = ? OR substr(path, 1, length(?)) = ?)
                              AND path NOT IN (SELECT value FROM json_each(?))
                            """,
                        arguments: [folder, below, below, keep])
                } else {
                    try db.execute(
                        sql: "DELETE FROM component_cache WHERE path NOT IN (SELECT value FROM json_each(?))",
                        arguments: [keep])
                }
                return db.changesCount
            }
        }
    }

    /// How many components are cached.
    public func cachedComponentCount() throws(StoreError) -> Int {
        try storeErrors { try reading { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM component_cache") ?? 0 } }
    }

    private func jsonArray(_ strings: some Collection<String>) throws(StoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(Array(strings)), as: UTF8.self)
        } catch {
            throw StoreError(.database, "cannot encode paths: \(error)")
        }
    }
}
