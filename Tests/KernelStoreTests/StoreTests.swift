import Foundation
import GRDB
import KernelCore
import Testing
@testable import KernelStore

private let sha = String(repeating: "ab", count: 32)
private let t0 = Date(unixMilliseconds: 1_700_000_000_123)

private func receipt(
    _ name: String, _ scope: Scope = .user, project: String? = nil,
    version: String = "1.0.0", marketplace: String = "official"
) -> InstallReceipt {
    InstallReceipt(
        name: name, marketplace: marketplace, scope: scope, projectPath: project, version: version,
        installPath: "/home/u/.qoder/plugins/cache/\(marketplace)/\(name)/\(version)",
        source: #"{"type":"local","path":"/src/\#(name)"}"#, sha256: sha, installedAt: t0)
}

@Suite struct MigrationTests {
    @Test func migrationsRunOnceAndReopeningChangesNothing() throws {
        let dir = try TempDirectory()
        let path = dir.file("nested/plugins/kernel.sqlite")
        do {
            let store = try KernelStore(path: path)
            try store.upsertReceipt(receipt("hello"))
            let applied = try store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(applied == ["v1-receipts", "v1-component-cache", "v1-trust", "v2-hook-once", "v2-hook-async-results",
                                "v2-module-scan", "v3-component-cache-detail", "v3-tasks", "v4-tasks-server", "v4-marketplace-catalog",
                                "v5-catalog-entry-digest", "v5-trust-fingerprint", "v5-receipt-dependencies", "v6-tree-hash-cache"])
            let mode = try store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            let fk = try store.writer.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") }
            #expect(fk == true)
        }
        let reopened = try KernelStore(path: path)
        let applied = try reopened.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") }
        #expect(applied == 14)
        #expect(try reopened.receipts() == [receipt("hello")])
    }

    @Test func aFileThatIsNotADatabaseIsAnError() throws {
        let dir = try TempDirectory()
        let path = try dir.write("kernel.sqlite", String(repeating: "not a database\n", count: 100))
        #expect(throws: StoreError.self) { try KernelStore(path: path) }
    }
}

@Suite struct ReceiptTests {
    @Test func receiptsRoundTrip() throws {
        let store = try KernelStore.inMemory()
        let user = receipt("hello")
        let project = receipt("hello", .project, project: "/work/app")
        let local = receipt("hello", .local, project: "/work/app")
        let other = receipt("hello", marketplace: "community")
        let world = receipt("world")
        for r in [world, local, other, project, user] { try store.upsertReceipt(r) }

        #expect(try store.receipts() == [other, user, project, local, world])
        #expect(try store.receipts(named: "hello") == [other, user, project, local])
        #expect(try store.receipts(named: "nope").isEmpty)
        #expect(try store.receipt(id: "hello@official", scope: .user) == user)
        #expect(try store.receipt(id: "hello@official", scope: .project, projectPath: "/work/app") == project)
        #expect(try store.receipt(id: "hello@official", scope: .project, projectPath: "/work/other") == nil)

        #expect(try store.deleteReceipt(id: "hello@official", scope: .project, projectPath: "/work/app"))
        #expect(try !store.deleteReceipt(id: "hello@official", scope: .project, projectPath: "/work/app"))
        #expect(try store.receipts(named: "hello") == [other, user, local])
    }

    @Test func upsertReplacesTheReceiptWithTheSameKey() throws {
        let store = try KernelStore.inMemory()
        try store.upsertReceipt(receipt("hello"))
        var upgraded = receipt("hello", version: "2.0.0")
        upgraded.updatedAt = t0.addingTimeInterval(60)
        try store.upsertReceipt(upgraded)
        #expect(try store.receipts() == [upgraded])
    }

    @Test func theStoreRejectsABadScope() throws {
        let store = try KernelStore.inMemory()
        let error = #expect(throws: StoreError.self) {
            try storeErrors {
                try store.writer.write { db in
                    try db.execute(sql: """
                        INSERT INTO install_receipt VALUES
                        ('a@m', 'a', 'm', 'global', NULL, '1', '/p', '{}', ?, 0, 0, 0, '[]')
                        """, arguments: [sha])
                }
            }
        }
        #expect(error?.code == .constraintViolation)
    }

    @Test(arguments: [
        receipt("hello", .project),  // project scope without a project
        receipt("hello", .local),  // local scope without a project
        receipt("hello", .user, project: "/work/app"),  // user scope with a project
        receipt("hello", .project, project: "relative/app"),
        { var r = receipt("hello"); r.id = "hello@other"; return r }(),
        { var r = receipt("hello"); r.sha256 = "ABC"; return r }(),
        { var r = receipt("hello"); r.source = "not json"; return r }(),
        { var r = receipt("hello"); r.source = "[]"; return r }(),
        { var r = receipt("hello"); r.updatedAt = t0.addingTimeInterval(-1); return r }(),
        receipt(""),
    ])
    func invariantsAreEnforcedBySQLite(_ bad: InstallReceipt) throws {
        let store = try KernelStore.inMemory()
        let error = #expect(throws: StoreError.self) { try store.upsertReceipt(bad) }
        #expect(error?.code == .constraintViolation)
        #expect(try store.receipts().isEmpty)
    }

    @Test func idScopeAndProjectAreUnique() throws {
        let store = try KernelStore.inMemory()
        func insert(_ r: InstallReceipt) throws(StoreError) {
            try storeErrors { try store.writer.write { db in try InstallReceiptRecord(r).insert(db) } }
        }
        try insert(receipt("hello"))
        try insert(receipt("hello", .project, project: "/a"))
        try insert(receipt("hello", .project, project: "/b"))
        try insert(receipt("hello", .local, project: "/a"))
        for duplicate in [receipt("hello", version: "2"), receipt("hello", .project, project: "/a", version: "2")] {
            let error = #expect(throws: StoreError.self) { try insert(duplicate) }
            #expect(error?.code == .constraintViolation)
        }
        #expect(try store.receipts().count == 4)
    }

    @Test func twoConnectionsWritingConcurrentlyLoseNothing() async throws {
        let dir = try TempDirectory()
        let path = dir.file("kernel.sqlite")
        let stores = [try KernelStore(path: path), try KernelStore(path: path)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask { try stores[i % 2].upsertReceipt(receipt("plugin\(i)")) }
            }
            try await group.waitForAll()
        }
        #expect(try stores[0].receipts().count == 20)
        #expect(try KernelStore(path: path).receipts().count == 20)
    }

    @Test func twentyFirstOpensOfANewDatabaseRaceSafely() async throws {
        // Like 20 `kernel plugins enable` processes started at once on a machine without a database yet.
        let dir = try TempDirectory()
        let path = dir.file("plugins/kernel.sqlite")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask { try KernelStore(path: path).upsertReceipt(receipt("plugin\(i)")) }
            }
            try await group.waitForAll()
        }
        let store = try KernelStore(path: path)
        #expect(try store.receipts().map(\.name).sorted() == (0..<20).map { "plugin\($0)" }.sorted())
    }
}

@Suite struct TrustTests {
    @Test func trustRoundTrip() throws {
        let store = try KernelStore.inMemory()
        #expect(try !store.isTrusted("/work/app"))
        try store.trust("/work/app/")
        try store.trust("/work/app")
        try store.trust("/work/b")
        #expect(try store.isTrusted("/work/app"))
        #expect(try store.isTrusted("/work/app/"))
        #expect(try !store.isTrusted("/work/app/sub"))
        #expect(try store.trustedPaths() == ["/work/app", "/work/b"])
        #expect(try store.untrust("/work/app"))
        #expect(try !store.untrust("/work/app"))
        #expect(try store.trustedPaths() == ["/work/b"])
    }

    @Test func relativePathsAreRejected() throws {
        let store = try KernelStore.inMemory()
        let error = #expect(throws: StoreError.self) { try store.trust("work/app") }
        #expect(error?.code == .constraintViolation)
    }
}

@Suite struct HookStateTests {
    @Test func onceAndAsyncResultsArePerSession() throws {
        let store = try KernelStore.inMemory()
        #expect(try !store.hookOnceRan(session: "a", key: "k"))
        try store.recordHookOnce(session: "a", key: "k")
        try store.recordHookOnce(session: "a", key: "k")
        #expect(try store.hookOnceRan(session: "a", key: "k"))
        #expect(try !store.hookOnceRan(session: "b", key: "k"))
        try store.recordAsyncHookResult(session: "a", event: "PostToolUse", key: "k", payload: #"{"n":1}"#)
        try store.recordAsyncHookResult(session: "a", event: "PostToolUse", key: "k", payload: #"{"n":2}"#)
        #expect(try store.hasAsyncHookResults(session: "a"))
        #expect(try store.takeAsyncHookResults(session: "b").isEmpty)
        #expect(try store.takeAsyncHookResults(session: "a") == [#"{"n":1}"#, #"{"n":2}"#])
        #expect(try store.takeAsyncHookResults(session: "a").isEmpty)
    }
}
