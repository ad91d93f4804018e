import Foundation
import Testing
import KernelCore
import KernelHost
import KernelMemory
import KernelStore
import KernelTestSupport

/// Parsed rules come from the component cache while a rule file's stat fields are unchanged, with the same
/// diagnostics as a parse; an edited file is parsed again.
@Suite struct RuleCacheTests {
    @Test func aSecondStartReadsRulesFromTheCacheAndAnEditIsParsedAgain() throws {
        let t = try MemoryTree()
        try t.trust("repo/packages")
        try t.dir.write("repo/.qoder/rules/bad.md", "---\ntrigger: model_decision\n---\nNo description\n")
        let host = try t.host(cwd: "repo/packages")
        let cwd = t.dir.url("repo/packages")
        func shape(_ m: MemoryContext) -> [String] {
            m.rules.map { "\($0.name) \($0.rule.mode.rawValue) \($0.state) \($0.rule.invalid ?? "-") \($0.rule.body)" }
        }
        let first = try host.memory(cwd: cwd, pluginDirs: [t.plugin])
        let cachedRules = try host.store.cachedComponentCount()
        #expect(cachedRules >= 8)
        let second = try host.memory(cwd: cwd, pluginDirs: [t.plugin])
        #expect(shape(second) == shape(first))
        #expect(t.rows(second.items) == t.rows(first.items))
        #expect(second.diagnostics.items == first.diagnostics.items)
        #expect(try host.store.cachedComponentCount() == cachedRules)

        // A cached entry really is what the second start used: a rule whose file keeps its stat fields but
        // whose bytes changed still shows the cached body (the same contract as every other cached file).
        let pkg = t.dir.url("repo/packages/.qoder/rules/pkg.md")
        try overwriteKeepingStat(pkg, with: Array("---\nalwaysApply: true\n---\nPackage RULE\n".utf8))
        #expect(try host.memory(cwd: cwd).items.first { $0.path == pkg }?.content == "Package rule\n")

        // Edited (new mtime and size): parsed again.
        try t.dir.write("repo/packages/.qoder/rules/pkg.md", "---\ntrigger: manual\n---\nNow manual, and longer\n")
        let third = try host.memory(cwd: cwd)
        let rule = try #require(third.rules.first { $0.name == "pkg" })
        #expect(rule.rule.mode == .manual)
        #expect(rule.rule.body == "Now manual, and longer\n")
    }
}
