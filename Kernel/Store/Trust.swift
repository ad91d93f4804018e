import Foundation
internal import GRDB

extension KernelStore {
    /// Marks the project folder at `path` as trusted to run project-scoped code. Trusting it again keeps the
    /// original date.
    ///
    /// - Parameter path: An absolute path; a trailing slash is ignored. The caller resolves symlinks if it wants to.
    /// - Throws: ``StoreError`` `.constraintViolation` for a relative path.
    /// - Parameter fingerprint: JSON text recording what the project could execute when trusted (replaces
    ///   the recorded one; nil keeps it).
    public func trust(_ path: String, at date: Date = Date(), fingerprint: String? = nil) throws(StoreError) {
        let path = Self.normalizedFolder(path)
        try storeErrors {
            try writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO trusted_project (path, trusted_at, fingerprint) VALUES (?, ?, ?)
                        ON CONFLICT (path) DO UPDATE SET fingerprint = coalesce(excluded.fingerprint, fingerprint)
                        """,
                    arguments: [path, date.unixMilliseconds, fingerprint])
            }
        }
    }

    /// The trust of exactly this folder: nil when it is not trusted; else the fingerprint recorded with it
    /// (nil for a trust recorded before fingerprints).
    public func trustRecord(_ path: String) throws(StoreError) -> (trusted: Bool, fingerprint: String?) {
        let path = Self.normalizedFolder(path)
        return try storeErrors {
            try reading { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT fingerprint FROM trusted_project WHERE path = ?", arguments: [path]) else {
                    return (false, nil)
                }
                return (true, row["fingerprint"] as String?)
            }
        }
    }

    /// Removes the trust of the folder at `path`. Untrusting a folder that is not trusted is not an error.
    ///
    /// - Returns: Whether the folder was trusted.
    @discardableResult
    public func untrust(_ path: String) throws(StoreError) -> Bool {
        let path = Self.normalizedFolder(path)
        return try storeErrors {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM trusted_project WHERE path = ?", arguments: [path])
                return db.changesCount > 0
            }
        }
    }

    /// Whether exactly this folder is trusted (trust is not inherited by subfolders here; callers decide).
    public func isTrusted(_ path: String) throws(StoreError) -> Bool {
        let path = Self.normalizedFolder(path)
        return try storeErrors {
            try reading { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM trusted_project WHERE path = ?", arguments: [path]) ?? false
            }
        }
    }

    /// Every trusted folder, sorted.
    public func trustedPaths() throws(StoreError) -> [String] {
        try storeErrors {
            try reading { db in try String.fetchAll(db, sql: "SELECT path FROM trusted_project ORDER BY path") }
        }
    }

    static func normalizedFolder(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
