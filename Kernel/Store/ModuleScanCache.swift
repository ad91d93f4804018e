import Foundation
internal import GRDB

/// A native module's cached scan: the file's key when it was scanned, the host ABI that scanned it, the
/// verdict (`ok`, `refused`, `broken`) and the scan result (opaque to the store; JSON by convention).
public struct CachedModuleScan: Sendable, Equatable {
    public var key: FileKey
    public var hostABI: String
    public var state: String
    public var result: Data

    public init(key: FileKey, hostABI: String, state: String, result: Data) {
        self.key = key
        self.hostABI = hostABI
        self.state = state
        self.result = result
    }
}

extension KernelStore {
    /// The cached scans whose stored key matches the given key exactly (path, device, inode, size, mtime) and
    /// whose host ABI is `hostABI`. A changed file, another ABI or an unscanned path is absent (a miss): a
    /// broken verdict therefore clears when the file changes.
    public func cachedModuleScans(for keys: [FileKey], hostABI: String) throws(StoreError) -> [String: CachedModuleScan] {
        if keys.isEmpty { return [:] }
        var wanted: [String: FileKey] = [:]
        for key in keys { wanted[key.path] = key }
        return try storeErrors {
            try reading { db in
                var hits: [String: CachedModuleScan] = [:]
                let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM module_scan") ?? 0
                let columns = "path, device, inode, size, mtime_ns, state, result"
                func collect(_ rows: RowCursor) throws {
                    while let row = try rows.next() {
                        let path: String = row[0]
                        guard let key = wanted[path],
                              key.inode == UInt64(bitPattern: row[2]),
                              key.mtimeNanoseconds == row[4] as Int64,
                              key.size == row[3] as Int64,
                              key.device == UInt64(bitPattern: row[1])
                        else { continue }
                        hits[path] = CachedModuleScan(key: key, hostABI: hostABI, state: row[5], result: row[6])
                    }
                }
                if wanted.count * 4 >= total {
                    let scan = try db.cachedStatement(sql: "SELECT \(columns) FROM module_scan WHERE host_abi = ?")
                    try collect(Row.fetchCursor(scan, arguments: [hostABI]))
                } else {
                    let probe = try db.cachedStatement(sql: "SELECT \(columns) FROM module_scan WHERE path = ? AND host_abi = ?")
                    for path in wanted.keys { try collect(Row.fetchCursor(probe, arguments: [path, hostABI])) }
                }
                return hits
            }
        }
    }

    /// Stores scans, replacing any entry for the same path, in one transaction.
    public func storeModuleScans(_ scans: [CachedModuleScan]) throws(StoreError) {
        if scans.isEmpty { return }
        let now = Date().unixMilliseconds
        try storeErrors {
            try writer.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO module_scan (path, device, inode, size, mtime_ns, host_abi, state, result, scanned_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET
                        device = excluded.device, inode = excluded.inode, size = excluded.size,
                        mtime_ns = excluded.mtime_ns, host_abi = excluded.host_abi, state = excluded.state,
                        result = excluded.result, scanned_at = excluded.scanned_at
                    """)
                for s in scans {
                    try statement.execute(arguments: [
                        s.key.path, Int64(bitPattern: s.key.device), Int64(bitPattern: s.key.inode), s.key.size,
                        s.key.mtimeNanoseconds, s.hostABI, s.state, s.result, now,
                    ])
                }
            }
        }
    }

    /// Empties the module scan cache. Returns how many entries were removed.
    @discardableResult
    public func clearModuleScans() throws(StoreError) -> Int {
        try storeErrors { try writer.write { db in try db.execute(sql: "DELETE FROM module_scan"); return db.changesCount } }
    }
}
