import Foundation
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
