// Only the two imports README's "Library API" shows: its code must compile with them.
import KernelHost
import KernelHooks
import Testing

@Suite struct ReadmeAPITests {
    struct NoModel: HookEvaluator {
        func evaluate(_ request: HookEvaluationRequest) async throws -> HookEvaluation { HookEvaluation(ok: true, reason: nil) }
    }

    @Test func theLibraryAPISnippetCompilesAndRuns() async throws {
        let myModelEvaluator = NoModel()
        let f = try HostFixture()
        // README's `KernelPaths()` is the real ~/.qoder: the same type with the fixture's folders.
        let host = try PluginHost(paths: KernelPaths(home: f.dir.path + "/home", project: f.dir.path + "/project"))
        let inputBytes = Array(#"{"session_id": "s1", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#.utf8)
        // From README:
        let engine = HookEngine(host: host, composition: try host.compose(), evaluator: myModelEvaluator)
        let outcome = await engine.fire(event: "PreToolUse", input: inputBytes, session: "s1")  // HookOutcome
        if outcome.blocked { Issue.record("nothing is configured to block") }
        #expect(outcome.event == "PreToolUse" && outcome.errors.isEmpty)
    }
}
