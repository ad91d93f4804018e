import Foundation
public import KernelStore
internal import GRDB

/// Group commit for enqueues: concurrent requests (webhooks, API triggers, events) are written by one writer
/// thread in one immediate transaction per batch, and each caller is answered only once that transaction has
/// committed. A batch is what is waiting when the writer is free, plus what arrives within `window` seconds of
/// its first request, up to `maxBatch` requests.
///
/// Each request runs in its own savepoint: one refused on its own (a paused trigger: a ``TaskError`` from the
/// engine's checks) fails alone and the others commit. Any other error, or a failed commit, rolls the whole
/// transaction back and fails every request of the batch: none of them has a row. Requests are applied in
/// arrival order, so two deliveries with the same id in one batch give one run and one duplicate.
///
/// ``close()`` writes what is pending, then refuses new requests (`.closed`) and stops the writer thread. The
/// thread starts on the first request.
public final class EnqueueBatcher: @unchecked Sendable {
    /// Counts since the start, for logs and the load test.
    public struct Statistics: Sendable, Equatable {
        /// Transactions the writer committed (or tried to).
        public var batches = 0
        /// Requests they held.
        public var requests = 0
        /// The largest batch.
        public var largest = 0

        public init(batches: Int = 0, requests: Int = 0, largest: Int = 0) {
            self.batches = batches; self.requests = requests; self.largest = largest
        }
    }

    final class Item: @unchecked Sendable {
        let perform: (Database) throws -> TaskEngine.EnqueueOutcome
        let continuation: CheckedContinuation<Result<TaskEngine.EnqueueOutcome, TaskError>, Never>
        let arrival: Date

        init(_ perform: @escaping (Database) throws -> TaskEngine.EnqueueOutcome,
             _ continuation: CheckedContinuation<Result<TaskEngine.EnqueueOutcome, TaskError>, Never>) {
            self.perform = perform; self.continuation = continuation; arrival = Date()
        }
    }

    public let store: KernelStore
    public let window: Double
    public let maxBatch: Int

    let condition = NSCondition()
    var pending: [Item] = []
    var closed = false
    var started = false
    var finished = false
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var counts = Statistics()

    /// - Parameters:
    ///   - window: seconds a batch waits for more requests after its first one (0: only what is already waiting).
    ///   - maxBatch: requests per transaction at most.
    public init(store: KernelStore, window: Double = 0.001, maxBatch: Int = 256) {
        self.store = store
        self.window = max(0, window)
        self.maxBatch = max(1, maxBatch)
    }

    public var statistics: Statistics { condition.withLock { counts } }

    /// Requests waiting for the writer.
    public var pendingCount: Int { condition.withLock { pending.count } }

    /// Queues `perform` for the next batch and waits for its transaction's outcome.
    func submit(_ perform: @escaping (Database) throws -> TaskEngine.EnqueueOutcome) async throws(TaskError) -> TaskEngine.EnqueueOutcome {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<TaskEngine.EnqueueOutcome, TaskError>, Never>) in
            condition.lock()
            if closed {
                condition.unlock()
                c.resume(returning: .failure(TaskError(.closed, "the tasks server is shutting down: no more runs are queued")))
                return
            }
            pending.append(Item(perform, c))
            if !started {
                started = true
                let thread = Thread { [self] in writer() }
                thread.name = "kernel.tasks.group-commit"
                thread.start()
            }
            if pending.count == 1 || pending.count >= maxBatch { condition.signal() }
            condition.unlock()
        }
        return try result.get()
    }

    /// Writes what is pending, refuses what comes after, and returns once the writer has stopped.
    public func close() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            condition.lock()
            closed = true
            if finished || !started {
                finished = true
                condition.unlock()
                c.resume()
                return
            }
            closeWaiters.append(c)
            condition.broadcast()
            condition.unlock()
        }
    }

    func writer() {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty {
                finished = true
                let waiters = closeWaiters
                closeWaiters = []
                condition.unlock()
                for w in waiters { w.resume() }
                return
            }
            if window > 0 {
                let deadline = pending[0].arrival.addingTimeInterval(window)
                while pending.count < maxBatch && !closed {
                    let now = Date()
                    if now >= deadline { break }
                    // Capped at one window: a wall-clock step cannot hold a batch back.
                    _ = condition.wait(until: min(deadline, now.addingTimeInterval(window)))
                }
            }
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            counts.batches += 1
            counts.requests += batch.count
            counts.largest = max(counts.largest, batch.count)
            condition.unlock()
            commit(batch)
        }
    }

    /// One transaction for the batch; the callers are answered after it committed (or failed).
    func commit(_ batch: [Item]) {
        var results: [Result<TaskEngine.EnqueueOutcome, TaskError>] = []
        results.reserveCapacity(batch.count)
        do {
            try store.database.writeWithoutTransaction { db in
                results.removeAll(keepingCapacity: true)
                try db.inTransaction(.immediate) {
                    for item in batch {
                        do {
                            var outcome: TaskEngine.EnqueueOutcome?
                            try db.inSavepoint {
                                outcome = try item.perform(db)
                                return .commit
                            }
                            results.append(.success(outcome!))
                        } catch let refusal as TaskError {
                            results.append(.failure(refusal))
                        }
                    }
                    return .commit
                }
            }
        } catch {
            let others = batch.count == 1 ? "" : " (nor the \(batch.count - 1) other requests of its batch)"
            let failure = TaskError(.store, "the store did not commit this run\(others): \(error)")
            for item in batch { item.continuation.resume(returning: .failure(failure)) }
            return
        }
        for (item, result) in zip(batch, results) { item.continuation.resume(returning: result) }
    }
}

extension KernelStore {
    /// For a long-running server: the store's connection reads the file with `pread` into SQLite's page cache
    /// (bounded, 2 MiB) instead of through its memory map, whose pages count in the process's RSS and grow with the
    /// file as runs are added. A command that runs and exits keeps the map (it makes large listings faster).
    public func readWithoutMemoryMap() throws(TaskError) {
        do { try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA mmap_size = 0") } } catch { throw TaskError.wrap(error) }
    }
}
