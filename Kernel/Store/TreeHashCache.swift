internal import GRDB
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

extension KernelStore {
    static func registerTreeHashMigrations(_ migrator: inout DatabaseMigrator) {
        // Installed trees' sha256, valid while the tree's stamp (every entry's path and stat fields, ctime
        // included) is unchanged: a no-op `plugins sync` stats its plugins' trees instead of reading them.
        migrator.registerMigration("v6-tree-hash-cache") { db in
            try db.execute(sql: """
                CREATE TABLE tree_hash (
                    path TEXT NOT NULL PRIMARY KEY CHECK (substr(path, 1, 1) = '/'),
                    stamp TEXT NOT NULL CHECK (length(stamp) = 64),
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64)
                );
                """)
        }
    }

    /// How long before the walk every entry's mtime and ctime must lie for a tree's hash to be cached: more
    /// than any file system's timestamp tick (the kernel stamps files from a clock that advances every jiffy,
    /// 1–10 ms), so a file written after the walk always gets a ctime the stamp does not hold.
    public static let treeHashSettleNanoseconds: Int64 = 1_000_000_000

    /// ``TreeHash/sha256(ofDirectory:)`` of `path`, read from the cache when the tree's stamp is the one the
    /// cache recorded with the hash: every entry's relative path, type, mode, size, device, inode, mtime and
    /// ctime. Editing a file in place changes its ctime (and usually size and mtime); putting its mtime back
    /// (`touch -d`) changes the ctime again, which nothing can set back; replacing or renaming changes an inode
    /// or the listing. A tree with an entry changed within ``treeHashSettleNanoseconds`` of now is hashed
    /// and not cached (a second write within the same timestamp tick would not show in its stamp). The cache
    /// is only as trustworthy as the database: anyone who can edit the tree as this user can edit it too.
    ///
    /// - Throws: ``StoreError`` as ``TreeHash/sha256(ofDirectory:)``; a cache that cannot be read or written
    ///   only costs the hash.
    public func treeSHA256(ofDirectory path: String) throws(StoreError) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let walk = try TreeHash.walk(path)
        let stamp = walk.stamp
        if let cached = try? reading({ db in
            try String.fetchOne(db, sql: "SELECT sha256 FROM tree_hash WHERE path = ? AND stamp = ?", arguments: [path, stamp])
        }) {
            return cached
        }
        let sha = try TreeHash.sha256(of: walk)
        let settle = Self.treeHashSettleNanoseconds
        var before = timespec(tv_sec: now.tv_sec - Int(settle / 1_000_000_000), tv_nsec: now.tv_nsec - Int(settle % 1_000_000_000))
        if before.tv_nsec < 0 {
            before.tv_sec -= 1
            before.tv_nsec += 1_000_000_000
        }
        if !isReadOnly, path.hasPrefix("/"), walk.settled(before: before) {
            try? writer.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO tree_hash (path, stamp, sha256) VALUES (?, ?, ?)",
                               arguments: [path, stamp, sha])
            }
        }
        return sha
    }

    /// The cached hash of the tree at `path` and the stamp it was recorded under, if any.
    public func cachedTreeHash(_ path: String) throws(StoreError) -> (stamp: String, sha256: String)? {
        try storeErrors {
            try reading { db in
                try Row.fetchOne(db, sql: "SELECT stamp, sha256 FROM tree_hash WHERE path = ?", arguments: [path])
                    .map { ($0[0], $0[1]) }
            }
        }
    }

    /// Forgets the cached hashes of `path` and every tree below it (an uninstalled copy).
    public func forgetTreeHashes(under path: String) throws(StoreError) {
        try storeErrors {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM tree_hash WHERE path = ? OR substr(path, 1, length(?) + 1) = ? || '/'",
                               arguments: [path, path, path])
            }
        }
    }
}
