import Foundation
import GRDB
import Testing
@testable import KernelStore

private func entry(_ name: String, description: String? = nil, keywords: [String] = [], tags: [String] = [],
                   marketplace: String = "m") -> CatalogEntry {
    CatalogEntry(marketplace: marketplace, name: name, description: description, version: "1.0.0", category: nil,
                 tags: tags, keywords: keywords, author: nil, source: #""./\#(name)""#,
                 entry: #"{"name": "\#(name)", "source": "./\#(name)"}"#)
}

private func record(_ name: String, sha: String = String(repeating: "a", count: 64)) -> MarketplaceRecord {
    MarketplaceRecord(name: name, source: #"{"source":"directory","path":"/m"}"#, installLocation: "/m", root: "/m",
                      manifestSHA256: sha, updatedAt: Date())
}

@Suite struct CatalogTests {
    @Test func searchRanksNameMatchesThenKeywordsThenDescriptions() throws {
        let store = try KernelStore.inMemory()
        try store.saveMarketplace(record("m"), entries: [
            entry("formatter", description: "Formats code on save"),
            entry("linter", description: "Finds bugs; a formatter-friendly linter"),
            entry("prettier-bridge", description: "Runs prettier", keywords: ["formatter", "style"]),
            entry("tagged", description: "Nothing here", tags: ["formatting"]),
            entry("unrelated", description: "Deploys things"),
        ])
        let results = try store.searchCatalog("format")
        #expect(results.map(\.match) == [.name, .keywords, .keywords, .description])
        #expect(results.first?.entry.name == "formatter" && results.last?.entry.name == "linter")
        #expect(Set(results[1...2].map(\.entry.name)) == ["prettier-bridge", "tagged"], "keywords and tags are one tier")
        // Every word must match; prefixes count; punctuation is not syntax.
        #expect(try store.searchCatalog("runs pretti").map(\.entry.name) == ["prettier-bridge"])
        #expect(try store.searchCatalog("\"* OR (").isEmpty)
        #expect(try store.searchCatalog("DEPLOYS").map(\.entry.name) == ["unrelated"])
    }

    @Test func savingWithoutEntriesKeepsTheCatalogAndReplacingReindexes() throws {
        let store = try KernelStore.inMemory()
        try store.saveMarketplace(record("m"), entries: [entry("alpha", description: "first")])
        try store.saveMarketplace(record("m", sha: String(repeating: "b", count: 64)), entries: nil)
        #expect(try store.catalogEntries().map(\.name) == ["alpha"])
        #expect(try store.marketplaceRecords().first?.manifestSHA256 == String(repeating: "b", count: 64))
        try store.saveMarketplace(record("m"), entries: [entry("beta", description: "second")])
        #expect(try store.searchCatalog("first").isEmpty, "the old entry left the index")
        #expect(try store.searchCatalog("second").map(\.entry.id) == ["beta@m"])
        try store.saveMarketplace(record("n"), entries: [entry("beta", marketplace: "n")])
        #expect(try store.catalogEntries(named: "beta").map(\.id) == ["beta@m", "beta@n"])
        try store.deleteMarketplace("m")
        #expect(try store.catalogEntries().map(\.id) == ["beta@n"])
        #expect(try store.searchCatalog("second").isEmpty)
    }
}

/// What a catalog holds, ids aside: every row of every marketplace in order, and what searches find.
private func snapshot(_ store: KernelStore, searches: [String]) throws -> [String] {
    var out = try store.catalogEntries().map { "\($0.id) \($0.description ?? "-") \($0.keywords) \($0.tags) \($0.entry)" }
    for q in searches { out.append(q + ": " + (try store.searchCatalog(q).map { "\($0.entry.id)/\($0.match)" }).joined(separator: ",")) }
    return out
}

/// Each entry's row id, by name: an entry the catalog kept has the same id.
private func rowIDs(_ store: KernelStore) throws -> [String: Int64] {
    try store.writer.read { db in
        var ids: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, id FROM catalog_entry") { ids[row[0]] = row[1] }
        return ids
    }
}

@Suite struct IncrementalCatalogTests {
    static let searches = ["alpha", "beta", "gamma", "delta", "fresh", "lint", "moved", "second"]

    @Test func anUpdateThatChangesAddsRemovesAndMovesEntriesGivesTheCatalogAFreshSaveWould() throws {
        let store = try KernelStore.inMemory()
        try store.saveMarketplace(record("m"), entries: [
            entry("alpha", description: "first"), entry("beta", description: "second", keywords: ["lint"]),
            entry("gamma", description: "third"), entry("delta", description: "fourth", tags: ["moved"]),
        ])
        try store.saveMarketplace(record("other"), entries: [entry("beta", description: "elsewhere", marketplace: "other")])
        let before = try rowIDs(store)
        let final = [
            entry("delta", description: "fourth", tags: ["moved"]),           // moved to the front, unchanged
            entry("beta", description: "second, now fresh", keywords: ["lint"]), // changed
            entry("epsilon", description: "fresh entry"),                       // added
            entry("alpha", description: "first"),                               // unchanged
        ]                                                                        // gamma removed
        try store.saveMarketplace(record("m", sha: String(repeating: "c", count: 64)), entries: final)

        let fresh = try KernelStore.inMemory()
        try fresh.saveMarketplace(record("m", sha: String(repeating: "c", count: 64)), entries: final)
        try fresh.saveMarketplace(record("other"), entries: [entry("beta", description: "elsewhere", marketplace: "other")])
        #expect(try snapshot(store, searches: Self.searches) == snapshot(fresh, searches: Self.searches))
        #expect(try store.catalogEntries(marketplace: "m").map(\.name) == ["delta", "beta", "epsilon", "alpha"])
        #expect(try store.searchCatalog("third").isEmpty, "the removed entry left the index")
        #expect(try store.searchCatalog("now").map(\.entry.id) == ["beta@m"], "the changed entry is indexed as it is now")
        #expect(try store.searchCatalog("second").map(\.entry.id) == ["beta@m"])

        let after = try rowIDs(store)
        #expect(after["alpha"] == before["alpha"] && after["delta"] == before["delta"], "unchanged entries keep their rows")
        #expect(after["gamma"] == nil && after["epsilon"] != nil)
        #expect(try store.catalogEntries(marketplace: "other").map(\.description) == ["elsewhere"])
    }

    @Test func onlyTheEntriesWhoseDigestChangedAreBuilt() throws {
        let store = try KernelStore.inMemory()
        let names = (0..<50).map { "p\($0)" }
        final class Built { var names: [String] = [] }
        func rows(changing changed: String?) -> (CatalogRows, () -> [String]) {
            let built = Built()
            let catalog = CatalogRows(keys: names.map { ($0, $0 == changed ? "new" : "old") }) { i in
                built.names.append(names[i])
                return entry(names[i], description: names[i] == changed ? "changed" : "same")
            }
            return (catalog, { built.names })
        }
        let (first, firstBuilt) = rows(changing: nil)
        try store.saveMarketplace(record("m"), catalog: first)
        #expect(firstBuilt().count == 50)
        let (second, secondBuilt) = rows(changing: "p17")
        try store.saveMarketplace(record("m"), catalog: second)
        #expect(secondBuilt() == ["p17"])
        #expect(try store.searchCatalog("changed").map(\.entry.name) == ["p17"])
        #expect(try store.catalogEntries().count == 50)
    }

    /// A failure part-way (here an entry SQLite refuses, after other rows were already rewritten) leaves the
    /// catalog and the marketplace's record exactly as they were.
    @Test func aFailedUpdateLeavesTheOldCatalogWhole() throws {
        let store = try KernelStore.inMemory()
        try store.saveMarketplace(record("m"), entries: [entry("alpha", description: "first"), entry("beta", description: "second"),
                                                         entry("gamma", description: "third")])
        let before = try snapshot(store, searches: Self.searches)
        var broken = entry("gamma", description: "third, changed")
        broken.source = "not json"
        #expect(throws: StoreError.self) {
            try store.saveMarketplace(record("m", sha: String(repeating: "d", count: 64)), entries: [
                entry("beta", description: "second, changed"), entry("delta", description: "new"), broken,
            ])
        }
        #expect(try snapshot(store, searches: Self.searches) == before)
        #expect(try store.marketplaceRecords().map(\.manifestSHA256) == [String(repeating: "a", count: 64)])
    }
}
