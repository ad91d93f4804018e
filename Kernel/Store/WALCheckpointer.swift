import Foundation
internal import GRDB

/// Checkpoints a store's write-ahead log from a thread and connection of its own, for a long-running writer
/// (the tasks server) whose commits must not wait for a checkpoint.
///
/// SQLite checkpoints by default inside the commit that takes the WAL past 1,000 pages: that commit copies the
/// log into the database file and fsyncs it, tens of milliseconds in which every request of the group commit
/// waits. Started on a store, this turns that off on the store's connection (`wal_autocheckpoint = 0`) and runs
/// a passive checkpoint every `interval` seconds on a second connection instead: a passive checkpoint never
/// blocks the writer (WAL lets one checkpointer run beside one writer), copies what no reader still needs, and
/// the writer starts the log over once all of it was copied. ``stop()`` runs a last checkpoint and gives the
/// store its automatic checkpoints back.
public final class WALCheckpointer: @unchecked Sendable {
    /// Checkpoint passes so far, and the log frames the last one found and copied (for tests and logs).
    public struct Statistics: Sendable, Equatable {
        public var passes = 0
        public var logFrames = 0
        public var checkpointedFrames = 0
    }

    public let interval: TimeInterval
    let store: KernelStore
    let connection: DatabaseQueue
    let condition = NSCondition()
    var stopping = false
    var stopped = false
    var counts = Statistics()

    /// Starts checkpointing `store` (a file store: an in-memory one has no log) every `interval` seconds.
    ///
    /// - Throws: ``StoreError`` when the store is in memory or read-only, or its file cannot be opened again.
    public init(store: KernelStore, interval: TimeInterval = 0.25) throws(StoreError) {
        guard let path = store.path, !store.isReadOnly else {
            throw StoreError(.database, "only a writable file store has a write-ahead log to checkpoint")
        }
        self.store = store
        self.interval = max(0.001, interval)
        var config = KernelStore.configuration()
        // A checkpoint goes page by page through this connection's cache: keep it small (256 KiB), the server's
        // memory is meant to stay flat.
        config.prepareDatabase { try $0.execute(sql: "PRAGMA cache_size = -256") }
        connection = try storeErrors { try DatabaseQueue(path: path, configuration: config) }
        try storeErrors { try store.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") } }
        let thread = Thread { [self] in loop() }
        thread.name = "kernel.store.checkpoint"
        thread.start()
    }

    public var statistics: Statistics { condition.withLock { counts } }

    /// Runs a last checkpoint, stops the thread (waiting for it) and turns the store's automatic checkpoints
    /// back on. Calling it again does nothing.
    public func stop() {
        condition.lock()
        if stopped { condition.unlock(); return }
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        try? store.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
    }

    func loop() {
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            if stopping { break }
            condition.unlock()
            checkpoint()
            condition.lock()
        }
        condition.unlock()
        checkpoint()  // the last pass, after what the writer committed before stop()
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func checkpoint() {
        // (busy, frames in the log, frames checkpointed); a failure is left to the next pass.
        let row = try? connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        condition.withLock {
            counts.passes += 1
            if let row {
                counts.logFrames = row[1] ?? 0
                counts.checkpointedFrames = row[2] ?? 0
            }
        }
    }
}
