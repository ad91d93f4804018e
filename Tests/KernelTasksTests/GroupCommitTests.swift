import Foundation
import Testing
import GRDB
import KernelCore
import KernelStore
import KernelTasks

/// The enqueue group commit (`EnqueueBatcher`): batches are cut by size here (a window of minutes), so what is in
/// a batch does not depend on timing.
@Suite struct GroupCommitTests {
    static let hook = "triggers:\n  - type: webhook\n    path: gc/hook\noverlap: allow"

    func rows(_ h: Harness) throws -> Int {
        try h.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM task_run") ?? 0 }
    }

    @Test("200 concurrent enqueues: 200 rows and 200 distinct run ids, written in 4 transactions of 50")
    func manyConcurrent() async throws {
        let h = try Harness()
        try h.blueprint("gc", Self.hook)
        let e = h.engine()
        try e.sync()
        let batcher = EnqueueBatcher(store: h.store, window: 600, maxBatch: 50)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<200 {
                group.addTask { try await e.enqueue("gc", trigger: 0, parameters: .object([("n", .int(n))]), through: batcher).run.id }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        await batcher.close()
        #expect(ids.count == 200 && Set(ids).count == 200)
        #expect(try rows(h) == 200)
        let stored = Set(try e.runs(blueprint: "gc", limit: 1000).map(\.id))
        #expect(stored == Set(ids))
        #expect(batcher.statistics == EnqueueBatcher.Statistics(batches: 4, requests: 200, largest: 50))
    }

    @Test("two deliveries with one id in one batch: one run, the other answered as its duplicate")
    func dedupeInsideBatch() async throws {
        let h = try Harness()
        try h.blueprint("gc", Self.hook)
        let e = h.engine()
        try e.sync()
        let batcher = EnqueueBatcher(store: h.store, window: 600, maxBatch: 3)
        let delivery = TaskEngine.Delivery(source: "hook:gc/hook", id: "d-1")
        let answers = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for _ in 0..<2 {
                group.addTask { let r = try await e.enqueue("gc", trigger: 0, delivery: delivery, through: batcher); return (r.run.id, r.duplicate) }
            }
            group.addTask {
                let r = try await e.enqueue("gc", trigger: 0, delivery: TaskEngine.Delivery(source: "hook:gc/hook", id: "d-2"), through: batcher)
                return (r.run.id, r.duplicate)
            }
            var all: [(String, Bool)] = []
            for try await a in group { all.append(a) }
            return all
        }
        await batcher.close()
        #expect(batcher.statistics.batches == 1)
        #expect(answers.filter(\.1).count == 1)
        let runID = answers.first { $0.1 }?.0
        #expect(runID != nil && answers.filter { $0.0 == runID }.count == 2)
        #expect(try rows(h) == 2)
    }

    @Test("a request refused on its own fails alone; the rest of its batch commits")
    func refusalInsideBatch() async throws {
        let h = try Harness()
        try h.blueprint("gc", Self.hook)
        try h.blueprint("off", Self.hook.replacingOccurrences(of: "gc/hook", with: "off/hook"))
        let e = h.engine()
        try e.sync()
        try e.pause("off")
        let batcher = EnqueueBatcher(store: h.store, window: 600, maxBatch: 3)
        async let a = e.enqueue("gc", trigger: 0, through: batcher)
        async let b = e.enqueue("gc", trigger: 0, through: batcher)
        let refused: TaskError? = await {
            do { _ = try await e.enqueue("off", trigger: 0, through: batcher); return nil } catch { return error as? TaskError }
        }()
        let (ra, rb) = try await (a, b)
        await batcher.close()
        #expect(refused?.code == .unavailable)
        #expect(ra.run.id != rb.run.id)
        #expect(try rows(h) == 2)
    }

    @Test("a commit that fails answers every request of the batch with an error, and none has a row")
    func failingCommit() async throws {
        let h = try Harness()
        try h.blueprint("gc", Self.hook)
        let e = h.engine()
        try e.sync()
        // A deferred foreign key: every statement succeeds, the COMMIT fails.
        try await h.store.database.write { db in
            try db.execute(sql: """
                CREATE TABLE gc_parent (id INTEGER PRIMARY KEY);
                CREATE TABLE gc_child (parent INTEGER REFERENCES gc_parent(id) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER gc_fail AFTER INSERT ON task_run BEGIN INSERT INTO gc_child VALUES (-1); END;
                """)
        }
        let batcher = EnqueueBatcher(store: h.store, window: 600, maxBatch: 3)
        let outcomes = await withTaskGroup(of: TaskError?.self) { group in
            for n in 0..<3 {
                group.addTask {
                    do { _ = try await e.enqueue("gc", trigger: 0, parameters: .object([("n", .int(n))]), through: batcher); return nil } catch { return error as? TaskError }
                }
            }
            var all: [TaskError?] = []
            for await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.count == 3)
        #expect(outcomes.allSatisfy { $0?.code == .store })
        #expect(outcomes.allSatisfy { $0?.message.contains("FOREIGN KEY") == true })
        #expect(try rows(h) == 0)
        // The writer goes on: with the cause removed, the next batch commits.
        try await h.store.database.write { db in try db.execute(sql: "DROP TRIGGER gc_fail") }
        async let x = e.enqueue("gc", trigger: 0, through: batcher)
        async let y = e.enqueue("gc", trigger: 0, through: batcher)
        async let z = e.enqueue("gc", trigger: 0, through: batcher)
        _ = try await (x, y, z)
        await batcher.close()
        #expect(try rows(h) == 3)
    }

    @Test("close writes the pending batch before it returns, then refuses new requests")
    func closeFlushes() async throws {
        let h = try Harness()
        try h.blueprint("gc", Self.hook)
        let e = h.engine()
        try e.sync()
        let batcher = EnqueueBatcher(store: h.store, window: 600, maxBatch: 100)
        let waiting = Task {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<5 { group.addTask { try await e.enqueue("gc", trigger: 0, through: batcher).run.id } }
                var ids: [String] = []
                for try await id in group { ids.append(id) }
                return ids
            }
        }
        var polls = 0
        while batcher.pendingCount < 5 && polls < 6000 {  // the five tasks reach the batcher (at most 30 s)
            try await Task.sleep(nanoseconds: 5_000_000)
            polls += 1
        }
        #expect(batcher.pendingCount == 5)
        #expect(try rows(h) == 0)  // nobody answered, nothing committed: the batch is still open
        await batcher.close()
        #expect(try rows(h) == 5)
        let ids = try await waiting.value
        #expect(Set(ids).count == 5)
        do {
            _ = try await e.enqueue("gc", trigger: 0, through: batcher)
            Issue.record("an enqueue after close was accepted")
        } catch {
            #expect(error.code == .closed)
        }
        #expect(try rows(h) == 5)
    }
}
