import Foundation
internal import GRDB

/// State the hook engine keeps between fires: `once` handlers that already ran in a session, and results of
/// background handlers waiting for the session's next fire.
extension KernelStore {
    /// Whether the handler `key` already ran successfully in `session` (a `once` handler).
    public func hookOnceRan(session: String, key: String) throws(StoreError) -> Bool {
        try storeErrors {
            try reading { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM hook_once WHERE session_id = ? AND handler_key = ?",
                                  arguments: [session, key]) ?? false
            }
        }
    }

    /// Records that the `once` handler `key` ran successfully in `session`.
    public func recordHookOnce(session: String, key: String, at date: Date = Date()) throws(StoreError) {
        try storeErrors {
            try writer.write { db in
                try db.execute(sql: "INSERT INTO hook_once (session_id, handler_key, ran_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                               arguments: [session, key, date.unixMilliseconds])
            }
        }
    }

    /// Stores a finished background handler's result (a JSON object) for the session's next fire.
    public func recordAsyncHookResult(session: String, event: String, key: String, payload: String,
                                      at date: Date = Date()) throws(StoreError) {
        try storeErrors {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO hook_async_result (session_id, event, handler_key, payload, finished_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [session, event, key, payload, date.unixMilliseconds])
            }
        }
    }

    /// Removes and returns the session's stored background results, oldest first.
    public func takeAsyncHookResults(session: String) throws(StoreError) -> [String] {
        try storeErrors {
            try writer.write { db in
                let rows = try String.fetchAll(db, sql: "SELECT payload FROM hook_async_result WHERE session_id = ? ORDER BY id",
                                               arguments: [session])
                if !rows.isEmpty {
                    try db.execute(sql: "DELETE FROM hook_async_result WHERE session_id = ?", arguments: [session])
                }
                return rows
            }
        }
    }

    /// Whether any background result is waiting for `session` (a read, no write lock).
    public func hasAsyncHookResults(session: String) throws(StoreError) -> Bool {
        try storeErrors {
            try reading { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM hook_async_result WHERE session_id = ? LIMIT 1", arguments: [session]) ?? false
            }
        }
    }
}
