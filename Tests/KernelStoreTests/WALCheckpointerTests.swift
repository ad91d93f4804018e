import Foundation
import GRDB
import Testing
@testable import KernelStore

@Suite struct WALCheckpointerTests {
    /// Waits (without bounding the test's time: a slow machine only waits longer) until `done` holds.
    private func waitUntil(_ done: () -> Bool) async throws {
        for _ in 0..<2_000 where !done() { try await Task.sleep(nanoseconds: 5_000_000) }
    }

    @Test func checkpointsFromItsOwnThreadWithTheWritersAutomaticCheckpointsOff() async throws {
        let dir = try TempDirectory()
        let path = dir.file("kernel.sqlite")
        let store = try KernelStore(path: path)
        let checkpointer = try WALCheckpointer(store: store, interval: 0.01)
        let auto = try await store.database.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(auto == 0)

        // ~2,000 pages: past the 1,000 at which the writer would otherwise checkpoint in its own commit.
        try await store.database.write { try $0.execute(sql: "CREATE TABLE filler (b BLOB)") }
        for _ in 0..<20 {
            try await store.database.write { db in
                for _ in 0..<100 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4000))") }
            }
        }
        let before = checkpointer.statistics.passes
        try await waitUntil { checkpointer.statistics.passes >= before + 2 }
        let stats = checkpointer.statistics
        #expect(stats.passes >= before + 2)
        #expect(stats.checkpointedFrames == stats.logFrames)
        // The rows reached the database file itself: only a checkpoint copies them there.
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size >= 8_000_000)

        checkpointer.stop()
        let restored = try await store.database.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(restored == 1000)
        checkpointer.stop()
    }

    @Test func refusesAStoreWithoutALog() throws {
        #expect(throws: StoreError.self) { try WALCheckpointer(store: try KernelStore.inMemory()) }
    }
}
