import Foundation
import Testing

@Suite struct MemoryCommandTests {
    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A project with memory at two levels and a plugin with rules.
    func tree(_ s: Sandbox) throws -> String {
        let p = s.project
        try write("\(s.home)/AGENTS.md", "user\n")
        try write("\(p)/AGENTS.md", "root\n")
        try write("\(p)/AGENTS.local.md", "local\n")
        try write("\(p)/.qoder/rules/always.md", "always\n")
        try write("\(p)/.qoder/rules/md.md", "---\ntrigger: model_decision\ndescription: For migrations\n---\nbody\n")
        try write("\(p)/.qoder/rules/bad.md", "---\ntrigger: model_decision\n---\nbody\n")
        try write("\(p)/.qoder/rules/tests.md", "---\ntrigger: glob\nglob: \"**/*.test.ts\"\n---\ntests\n")
        try write("\(p)/packages/AGENTS.md", "packages\n")
        try write("\(p)/packages/app/AGENTS.md", "app\n")
        let plugin = s.sourcesDir.path + "/style"
        try write("\(plugin)/.qoder-plugin/plugin.json", #"{"name": "style"}"#)
        try write("\(plugin)/CLAUDE.md", "plugin instructions\n")
        try write("\(plugin)/rules/style.md", "style\n")
        try write("\(plugin)/workflows/review.js", "export const meta = {\n  name: 'review',\n  description: 'Review the diff',\n  phases: [{ title: 'Read' }, { title: 'Judge', detail: 'one agent per file' }],\n}\n")
        return plugin
    }

    func rows(_ json: String, _ s: Sandbox) throws -> [String] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let items = try #require(object["items"] as? [[String: Any]])
        return items.map { item in
            let path = (item["path"] as! String).replacingOccurrences(of: s.project, with: "P")
                .replacingOccurrences(of: s.home, with: "H").replacingOccurrences(of: s.sourcesDir.path, with: "S")
            return "\(item["source"]!) \(item["mode"] as? String ?? item["kind"] as! String) \(path) \(item["loadReason"]!)"
        }
    }

    @Test func memoryShowJSONInInjectionOrder() async throws {
        let s = try Sandbox()
        let plugin = try tree(s)
        try await s.ok(["trust"])
        let start = try await s.ok(["memory", "show", "--json", "--no-content", "--cwd", "packages", "--plugin-dir", plugin])
        #expect(try rows(start, s) == [
            "user agents H/AGENTS.md session_start",
            "plugin instructions S/style/CLAUDE.md session_start",
            "plugin always_on S/style/rules/style.md session_start",
            "project agents P/AGENTS.md session_start",
            "project always_on P/.qoder/rules/always.md session_start",
            "project model_decision P/.qoder/rules/md.md session_start",
            "project agents P/packages/AGENTS.md session_start",
            "local local P/AGENTS.local.md session_start",
        ])
        #expect(!start.contains("\"content\""))
        let accessed = try await s.ok(["memory", "show", "--json", "--cwd", "packages", "--accessed", "app/src/x.test.ts", "README.md"])
        #expect(try rows(accessed, s).suffix(2) == [
            "project glob P/.qoder/rules/tests.md path_glob_match",
            "project agents P/packages/app/AGENTS.md nested_traversal",
        ])
        #expect(accessed.contains(#""content": "app\n""#))
        #expect(accessed.contains("trigger: model_decision needs a non-empty description: the rule is not injected"))
    }

    @Test func textOutputRulesAndWorkflows() async throws {
        let s = try Sandbox()
        let plugin = try tree(s)
        let untrusted = try await s.ok(["memory", "show"])
        #expect(untrusted.contains("project not trusted"))
        #expect(untrusted.contains("Skipped: \(s.project)/AGENTS.md: the project is not trusted (kernel trust)"))
        try await s.ok(["trust"])
        let rules = try await s.ok(["rules", "list", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(rules.utf8)) as? [[String: Any]])
        #expect(list.map { "\($0["name"]!) \($0["mode"]!) \($0["state"]!)" } == [
            "always always_on active", "bad manual inactive", "md model_decision active", "tests glob on-demand",
        ])
        let text = try await s.ok(["rules", "list"])
        #expect(text.contains("inactive: trigger: model_decision needs a non-empty description; not injected"))

        let workflows = try await s.ok(["workflows", "list", "--plugin-dir", plugin])
        #expect(workflows.contains("style:review"))
        let show = try await s.ok(["workflows", "show", "style:review", "--plugin-dir", plugin])
        #expect(show.contains("  2. Judge: one agent per file"))
        let missing = try await s.run(["workflows", "show", "style:reveiw", "--plugin-dir", plugin])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("did you mean 'style:review'?"))
        let usage = try await s.run(["memory", "show", "--cwd", "no-such-folder"])
        #expect(usage.status == 64)
    }

    @Test func validateCountsAndChecksRulesAndWorkflows() async throws {
        let s = try Sandbox()
        let plugin = try tree(s)
        let ok = try await s.ok(["plugins", "validate", plugin])
        #expect(ok.contains("  rules (1): style\n  workflows (1): review\n"))
        let json = try await s.ok(["plugins", "validate", plugin, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let components = try #require(object["components"] as? [String: Any])
        #expect(components["rules"] as? [String] == ["style"])
        #expect(components["workflows"] as? [String] == ["review"])

        try write("\(plugin)/rules/md.md", "---\ntrigger: model_decision\n---\nx\n")
        try write("\(plugin)/workflows/broken.js", "export const meta = {\n  name: 'b',\n  description: \"open\n}\n")
        let bad = try await s.run(["plugins", "validate", plugin])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("\(plugin)/rules/md.md:1:1: warning: trigger: model_decision needs a non-empty description: the rule is not injected"))
        #expect(bad.stdout.contains("\(plugin)/workflows/broken.js:3:16: error: unterminated string (a line ends before the closing \")"))
    }
}
