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

@Suite struct AgentsMdExcludesTests {
    /// `agentsMdExcludes` from every settings scope, matched against absolute paths: the excluded memory files are
    /// skipped with the reason, on demand too; rules are untouched; an unusable entry is a warning at its place.
    @Test func excludedMemoryFilesAreSkippedWithTheReason() throws {
        let t = try MemoryTree()
        try t.trust("repo/packages")
        try t.dir.write("home/settings.json", #"{"agentsMdExcludes": ["**/packages/AGENTS.md", 7]}"#)
        let host = try t.host(cwd: "repo/packages")
        let local = host.paths.settingsFile(.local)
        try FileManager.default.createDirectory(atPath: (local as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(#"{"agentsMdExcludes": "\#(t.dir.url("repo/packages/app"))/**"}"#.utf8).write(to: URL(fileURLWithPath: local))
        let memory = try host.memory(cwd: t.dir.url("repo/packages"), pluginDirs: [t.plugin])
        #expect(t.rows(memory.items) == [
            "user agents home/AGENTS.md session_start",
            "user model_decision home/rules/md-desc.md session_start",
            "user always_on home/rules/style.md session_start",
            "plugin instructions plugin/QODER.md session_start",
            "plugin always_on plugin/rules/plugin-rule.md session_start",
            "project agents repo/AGENTS.md session_start",
            "project always_on repo/.qoder/rules/00-root.md session_start",
            "project always_on repo/packages/.qoder/rules/pkg.md session_start",
            "local local repo/AGENTS.local.md session_start",
        ])
        let app = memory.access(t.dir.url("repo/packages/app/src/main.tsx"))
        #expect(!app.contains { $0.path.hasSuffix("app/AGENTS.md") })
        #expect(app.contains { $0.path.hasSuffix("app/.qoder/rules/app.md") })
        let excluded = memory.skipped.filter { $0.reason == "excluded by agentsMdExcludes" }.map(\.path)
        #expect(excluded == [t.dir.url("repo/packages/AGENTS.md"), t.dir.url("repo/packages/app/AGENTS.md")])
        let warning = try #require(memory.diagnostics.items.first { $0.id == "memory.agents_md_exclude_unusable" })
        #expect(warning.location.file == t.dir.url("home/settings.json") && warning.location.line == 1)
    }
}
