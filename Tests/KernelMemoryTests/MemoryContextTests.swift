import Foundation
import Testing
import KernelCore
import KernelHooks
import KernelHost
import KernelMemory

@Suite struct MemoryWalkTests {
    @Test func startInANestedProjectThenOnDemand() throws {
        let t = try MemoryTree()
        try t.trust("repo/packages")
        let memory = try t.host(cwd: "repo/packages").memory(cwd: t.dir.url("repo/packages"), pluginDirs: [t.plugin])
        #expect(memory.ceiling == t.repo)
        #expect(t.rows(memory.items) == [
            "user agents home/AGENTS.md session_start",
            "user model_decision home/rules/md-desc.md session_start",
            "user always_on home/rules/style.md session_start",
            "plugin instructions plugin/QODER.md session_start",
            "plugin always_on plugin/rules/plugin-rule.md session_start",
            "project agents repo/AGENTS.md session_start",
            "project always_on repo/.qoder/rules/00-root.md session_start",
            "project agents repo/packages/AGENTS.md session_start",
            "project always_on repo/packages/.qoder/rules/pkg.md session_start",
            "local local repo/AGENTS.local.md session_start",
        ])
        #expect(memory.items[1].content == nil)
        #expect(memory.items[1].description == "Read for database work")
        #expect(memory.items[3].plugin == "lint@flag")
        #expect(memory.items[6].content == "Root rule, no frontmatter\n")

        let app = memory.access(t.dir.url("repo/packages/app/src/main.tsx"))
        #expect(t.rows(app) == [
            "project agents repo/packages/app/AGENTS.md nested_traversal",
            "project always_on repo/packages/app/.qoder/rules/app.md nested_traversal",
            "project glob repo/packages/app/.qoder/rules/tsx.md path_glob_match",
            "plugin glob plugin/rules/plugin-glob.md path_glob_match",
        ])
        #expect(app.allSatisfy { $0.trigger == t.dir.url("repo/packages/app/src/main.tsx") })
        // The same folder again adds nothing.
        #expect(memory.access("app/src/other.tsx").map(\.path) == [])
        // A relative path from the cwd; glob rules at the root level and the user's match relative to the ceiling.
        let api = memory.access("api/server.ts")
        #expect(t.rows(api) == [
            "project glob repo/.qoder/rules/api/handlers.md path_glob_match",
            "project agents repo/packages/api/AGENTS.md nested_traversal",
            "user glob home/rules/ts.md path_glob_match",
        ])
        // Outside the ceiling: nothing.
        #expect(memory.access(t.dir.url("userhome/x.ts")).isEmpty)
        #expect(memory.items.count == 17)
    }

    @Test func rulesListShowsEveryStateAndReason() throws {
        let t = try MemoryTree()
        try t.trust("repo/packages")
        let memory = try t.host(cwd: "repo/packages").memory(cwd: t.dir.url("repo/packages"), pluginDirs: [t.plugin])
        let rows = memory.rules.map { "\($0.source) \($0.name) \($0.rule.mode.rawValue) \($0.state)" }
        #expect(rows == [
            "user md-desc model_decision active",
            "user style always_on active",
            "user ts glob on-demand",
            "plugin plugin-glob glob on-demand",
            "plugin plugin-rule always_on active",
            "project 00-root always_on active",
            "project api/handlers glob on-demand",
            "project manual manual inactive",
            "project dup always_on active",
            "project pkg always_on active",
        ])
        #expect(memory.rules[7].reason == "manual (trigger: manual): never injected automatically")
        #expect(memory.rules[6].reason == "file-scoped: loads when a file matching packages/api/** is read")
        #expect(memory.rules[8].reason == "the same file as \(t.dir.url("repo/.qoder/rules/00-root.md")), loaded once")
    }

    @Test func untrustedProjectLoadsOnlyUserAndPluginMemory() throws {
        let t = try MemoryTree()
        let memory = try t.host(cwd: "repo").memory(cwd: t.repo, pluginDirs: [t.plugin])
        #expect(!memory.options.trusted)
        #expect(t.rows(memory.items) == [
            "user agents home/AGENTS.md session_start",
            "user model_decision home/rules/md-desc.md session_start",
            "user always_on home/rules/style.md session_start",
            "plugin instructions plugin/QODER.md session_start",
            "plugin always_on plugin/rules/plugin-rule.md session_start",
        ])
        #expect(memory.skipped.map { String($0.path.dropFirst(t.root.count + 1)) } == [
            "repo/AGENTS.md", "repo/AGENTS.local.md", "repo/.qoder/rules/00-root.md", "repo/.qoder/rules/api/handlers.md",
            "repo/.qoder/rules/manual.md",
        ])
        #expect(Set(memory.skipped.map(\.reason)) == ["the project is not trusted (kernel trust)"])
        // On demand, project files stay out; the user's file-scoped rule still applies.
        #expect(t.rows(memory.access("packages/api/x.ts")) == ["user glob home/rules/ts.md path_glob_match"])
    }

    @Test func trustingTheRepositoryRootCoversNestedProjects() throws {
        let t = try MemoryTree()
        try t.trust("repo")
        let host = try t.host(cwd: "repo/packages/app")
        #expect(host.paths.project == t.dir.url("repo/packages/app"))
        #expect(!host.isProjectTrusted())
        let memory = try host.memory(cwd: t.dir.url("repo/packages/app"))
        #expect(memory.options.trusted)
        #expect(t.rows(memory.items).contains("project always_on repo/packages/app/.qoder/rules/app.md session_start"))
    }

    @Test func withoutGitTheWalkIsTheWorkingDirectoryOnly() throws {
        let t = try MemoryTree()
        try FileManager.default.removeItem(atPath: t.dir.url("repo/.git"))
        try t.trust("repo/packages")
        let memory = try t.host(cwd: "repo/packages").memory(cwd: t.dir.url("repo/packages"))
        #expect(memory.ceiling == t.dir.url("repo/packages"))
        #expect(t.rows(memory.items).filter { $0.hasPrefix("project") || $0.hasPrefix("local") } == [
            "project agents repo/packages/AGENTS.md session_start",
            "project always_on repo/packages/.qoder/rules/dup.md session_start",
            "project always_on repo/packages/.qoder/rules/pkg.md session_start",
        ])
    }

    @Test func contextFileNameFromSettings() throws {
        let t = try MemoryTree()
        try t.dir.write("repo/.qoder/settings.json", #"{"context": {"fileName": ["AGENTS.md", "QODER.md"]}}"#)
        try t.dir.write("repo/QODER.md", "Qoder memory\n")
        try t.dir.write("repo/QODER.local.md", "Qoder local\n")
        try t.trust("repo")
        let memory = try t.host(cwd: "repo").memory(cwd: t.repo)
        #expect(memory.options.fileNames == ["AGENTS.md", "QODER.md"])
        #expect(t.rows(memory.items).filter { !$0.hasPrefix("user") } == [
            "project agents repo/AGENTS.md session_start",
            "project agents repo/QODER.md session_start",
            "project always_on repo/.qoder/rules/00-root.md session_start",
            "local local repo/AGENTS.local.md session_start",
            "local local repo/QODER.local.md session_start",
        ])
        // A single string replaces the default.
        try t.dir.write("repo/.qoder/settings.local.json", #"{"context": {"fileName": "QODER.md"}}"#)
        let local = try t.host(cwd: "repo").memory(cwd: t.repo)
        #expect(local.options.fileNames == ["QODER.md"])
    }
}

@Suite struct MemoryBudgetTests {
    func options(_ t: TempDirectory, budget: Int = MemoryContext.defaultRuleBudget) -> MemoryOptions {
        var o = MemoryOptions(home: t.url("home"), userHome: t.url("userhome"), cwd: t.url("repo"), trusted: true)
        o.ruleBudget = budget
        return o
    }

    @Test func rulesOverTheBudgetAreCutAndReported() throws {
        let t = try TempDirectory()
        try t.mkdir("repo/.git")
        try t.write("repo/.qoder/rules/a.md", String(repeating: "a", count: 60_000))
        try t.write("repo/.qoder/rules/b.md", String(repeating: "b", count: 50_000))
        try t.write("repo/.qoder/rules/c.md", String(repeating: "c", count: 39_000))
        try t.write("repo/AGENTS.md", String(repeating: "m", count: 200_000))
        let memory = MemoryContext(options(t))
        #expect(memory.items.map { FileSystem.baseName($0.path) } == ["AGENTS.md", "a.md", "c.md"])
        #expect(memory.cut.map { FileSystem.baseName($0.path) } == ["b.md"])
        #expect(memory.ruleCharacters == 99_000)
        #expect(memory.rules.map(\.state) == ["active", "inactive", "active"])
        #expect(memory.rules[1].reason == "cut: over the 100000-character budget for rules")
        let json = memory.json(includeContent: false).serialized(pretty: false)
        #expect(json.contains(#""cut":[{"kind":"rule","source":"project""#))
    }

    @Test func onDemandRulesShareTheBudget() throws {
        let t = try TempDirectory()
        try t.mkdir("repo/.git")
        try t.write("repo/.qoder/rules/a.md", "12345")
        try t.write("repo/.qoder/rules/g.md", "---\npaths: \"*.ts\"\n---\n1234567890")
        let memory = MemoryContext(options(t, budget: 10))
        #expect(memory.access("x.ts").isEmpty)
        #expect(memory.cut.map { FileSystem.baseName($0.path) } == ["g.md"])
    }
}

@Suite struct MemoryImportTests {
    func memory(_ t: TempDirectory, _ configure: (inout MemoryOptions) -> Void = { _ in }) -> MemoryContext {
        var o = MemoryOptions(home: t.url("home"), userHome: t.url("userhome"), cwd: t.url("repo"), trusted: true)
        configure(&o)
        return MemoryContext(o)
    }

    func tree() throws -> TempDirectory {
        let t = try TempDirectory()
        try t.mkdir("repo/.git")
        try t.write("repo/AGENTS.md", "Top @docs/a.md\nOut @../outside.md\nHome @~/notes.md\nGone @missing.md\n`@code.md` stays\n")
        try t.write("repo/docs/a.md", "A <!-- hidden --> then @b.md")
        try t.write("repo/docs/b.md", "B then @./a.md")
        try t.write("outside.md", "OUTSIDE")
        try t.write("userhome/notes.md", "NOTES")
        return t
    }

    @Test func cyclesMissingAndOutsideImports() throws {
        let t = try tree()
        let m = memory(t)
        let item = try #require(m.items.first { $0.kind == .agents })
        #expect(item.content == "Top A  then B then @./a.md\nOut @../outside.md\nHome @~/notes.md\nGone @missing.md\n`@code.md` stays\n")
        #expect(item.imports.map { "\($0.reference) \($0.status.rawValue)" } == [
            "docs/a.md imported", "b.md imported", "./a.md cycle", "../outside.md blocked", "~/notes.md blocked", "missing.md failed",
        ])
        #expect(item.imports[1].parent == t.url("repo/docs/a.md"))
        #expect(item.imports[3].line == 2)
    }

    @Test func approvedImportsLeaveTheProject() throws {
        let t = try tree()
        let approved = memory(t) { $0.approvedExternalImportProjects = [t.url("repo")] }
        #expect(approved.items[0].content?.contains("Out OUTSIDE\nHome NOTES\n") == true)
        let all = memory(t) { $0.enableAllExternalImports = true }
        #expect(all.items[0].imports.filter { $0.status == .blocked }.isEmpty)
        let other = memory(t) { $0.approvedExternalImportProjects = [t.url("elsewhere")] }
        #expect(other.items[0].imports.filter { $0.status == .blocked }.count == 2)
    }

    @Test func approvalComesFromTheUserSettings() throws {
        let t = try tree()
        try t.write("home/settings.json", #"{"security": {"approvedExternalImportProjects": ["\#(t.url("repo"))"]}}"#)
        // A project cannot approve its own imports.
        try t.write("repo/.qoder/settings.json", #"{"security": {"enableAllExternalImports": true}}"#)
        let host = try PluginHost(paths: KernelPaths(home: t.url("home"), environment: ["HOME": t.url("userhome")], cwd: t.url("repo")))
        try host.store.trust(t.url("repo"))
        var d = Diagnostics()
        let options = try host.memoryOptions(cwd: t.url("repo"), diagnostics: &d)
        #expect(options.approvedExternalImportProjects == [t.url("repo")])
        #expect(!options.enableAllExternalImports)
    }

    @Test func importDepthIsBounded() throws {
        let t = try TempDirectory()
        try t.mkdir("repo/.git")
        try t.write("repo/AGENTS.md", "0 @d1.md")
        for i in 1...8 { try t.write("repo/d\(i).md", "\(i) @d\(i + 1).md") }
        let m = memory(t)
        #expect(m.items[0].content == "0 1 2 3 4 5 @d6.md")
        #expect(m.items[0].imports.map(\.status) == [.imported, .imported, .imported, .imported, .imported, .depth])
    }

    @Test func aSymlinkOutOfTheProjectIsOutside() throws {
        let t = try tree()
        try FileManager.default.createSymbolicLink(atPath: t.url("repo/link.md"), withDestinationPath: t.url("outside.md"))
        try t.write("repo/AGENTS.md", "@link.md")
        #expect(memory(t).items[0].imports.map(\.status) == [.blocked])
    }
}

@Suite struct InstructionsLoadedTests {
    @Test func firesOncePerLoadedFileThroughTheHookEngine() async throws {
        let t = try MemoryTree()
        try t.trust("repo/packages")
        let log = t.dir.url("hooks.log")
        try t.dir.write("home/settings.json", """
            {"hooks": {"InstructionsLoaded": [{"hooks": [{"type": "command", "command": "cat >> '\(log)'; echo >> '\(log)'"}]}]}}
            """)
        try t.dir.write("repo/packages/AGENTS.md", "Packages memory, see @notes.md\n")
        try t.dir.write("repo/packages/notes.md", "notes\n")
        let host = try t.host(cwd: "repo/packages")
        let memory = try host.memory(cwd: t.dir.url("repo/packages"))
        let engine = HookEngine(host: host, composition: try host.compose())
        let outcomes = await memory.fireInstructionsLoaded(engine: engine, session: "s1")
        #expect(outcomes.allSatisfy { $0.errors.isEmpty })
        func events() throws -> [[String: Any]] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        let first = try events()
        #expect(first.map { "\(FileSystem.baseName($0["file_path"] as! String)) \($0["memory_type"]!) \($0["load_reason"]!)" } == [
            "AGENTS.md user session_start", "md-desc.md user session_start", "style.md user session_start",
            "AGENTS.md project session_start", "00-root.md project session_start", "AGENTS.md project session_start",
            "notes.md project include", "pkg.md project session_start", "AGENTS.local.md local session_start",
        ])
        #expect(first[6]["parent_file_path"] as? String == t.dir.url("repo/packages/AGENTS.md"))
        #expect(first.allSatisfy { $0["session_id"] as? String == "s1" && $0["hook_event_name"] as? String == "InstructionsLoaded" })

        memory.access("app/src/main.tsx")
        _ = await memory.fireInstructionsLoaded(engine: engine, session: "s1")
        let added = Array(try events().dropFirst(first.count))
        #expect(added.map { "\(FileSystem.baseName($0["file_path"] as! String)) \($0["load_reason"]!)" } == [
            "AGENTS.md nested_traversal", "app.md nested_traversal", "tsx.md path_glob_match",
        ])
        #expect(added[2]["globs"] as? [String] == ["src/*.tsx"])
        #expect(added[2]["trigger_file_path"] as? String == t.dir.url("repo/packages/app/src/main.tsx"))
        // Nothing new: nothing fires.
        #expect(await memory.fireInstructionsLoaded(engine: engine).isEmpty)
    }
}

@Suite struct WorkflowCatalogTests {
    @Test func projectOverUserAndPluginsNamespaced() throws {
        let t = try MemoryTree()
        let meta = { (name: String, d: String) in "export const meta = { name: '\(name)', description: '\(d)' }\n" }
        try t.dir.write("repo/.qoder/workflows/audit.js", meta("repo-audit", "project audit"))
        try t.dir.write("home/workflows/audit.js", meta("repo-audit", "user audit"))
        try t.dir.write("home/workflows/research.js", meta("deep-research", "user research"))
        try t.dir.write("home/workflows/broken.js", "export const meta = { name: 'x', description: oops }\n")
        try t.dir.write("plugin/workflows/lint.js", meta("lint-all", "plugin lint"))
        try t.dir.write("home/workflows/notes.txt", "not a workflow")
        try t.trust("repo")
        let list = try t.host(cwd: "repo").workflows(pluginDirs: [t.plugin])
        #expect(list.map { "\($0.name) \($0.source) \($0.state)" } == [
            "repo-audit project active", "repo-audit user shadowed", "broken user invalid", "deep-research user active",
            "lint:lint-all plugin active",
        ])
        #expect(list[1].reason == "shadowed by the project workflow \(t.dir.url("repo/.qoder/workflows/audit.js"))")
        #expect(list[2].reason == "\(t.dir.url("home/workflows/broken.js")):1:47: 'oops' is not a literal: meta must be a pure literal (no variables, calls or computed values)")
        let untrusted = try PluginHost(paths: KernelPaths(home: t.home, environment: ["HOME": t.userHome], cwd: t.dir.url("repo/packages/app")))
        try t.dir.write("repo/packages/app/.qoder/workflows/w.js", meta("app-flow", "app"))
        #expect(try untrusted.workflows().first.map { "\($0.name) \($0.state) \($0.reason ?? "")" } == "app-flow inactive the project is not trusted (kernel trust)")
    }
}

@Suite struct MemoryJSONBytesTests {
    /// `jsonBytes` is what `memory show --json` prints: byte for byte the pretty serialization of `json`.
    @Test func theStreamedJSONIsTheSerializedValue() throws {
        let t = try TempDirectory()
        try t.mkdir("repo/.git")
        try t.write("repo/AGENTS.md", "Top @docs/a.md\nOut @../outside.md\nGone @missing.md\n\"quoted\"\ttab\u{1}\n")
        try t.write("repo/docs/a.md", "A <!-- hidden --> then @b.md")
        try t.write("repo/docs/b.md", "B then @./a.md")
        try t.write("repo/.qoder/rules/a.md", String(repeating: "a", count: 60_000))
        try t.write("repo/.qoder/rules/b.md", String(repeating: "b", count: 50_000))
        try t.write("repo/.qoder/rules/desc.md", "---\ntrigger: model_decision\ndescription: Read for \"db\" work\n---\nBody\n")
        try t.write("repo/.qoder/rules/bad.md", "---\ntrigger: model_decision\n---\nNo description\n")
        try t.write("repo/.qoder/rules/g.md", "---\npaths:\n  - \"src/**/*.ts\"\n  - \"*.md\"\n---\nGlob rule\n")
        try t.write("repo/AGENTS.local.md", "Local notes\n")
        for trusted in [true, false] {
            var o = MemoryOptions(home: t.url("home"), userHome: t.url("userhome"), cwd: t.url("repo"), trusted: trusted)
            o.agentsMdExcludes = ["**/AGENTS.local.md"]
            let memory = MemoryContext(o)
            memory.access("src/x.ts")
            for content in [true, false] {
                #expect(memory.jsonBytes(includeContent: content) == memory.json(includeContent: content).serializedBytes(),
                        "trusted \(trusted), content \(content)")
            }
            if trusted {
                #expect(!memory.cut.isEmpty && !memory.skipped.isEmpty && !memory.diagnostics.items.isEmpty)
                #expect(memory.items.contains { !$0.imports.isEmpty && $0.globs.isEmpty } && memory.items.contains { !$0.globs.isEmpty })
            }
        }
        let empty = MemoryContext(MemoryOptions(home: t.url("home"), userHome: t.url("userhome"), cwd: t.url("none"), trusted: true))
        #expect(empty.jsonBytes() == empty.json().serializedBytes())
    }
}
