import Foundation
import Glibc
import KernelCore
import KernelHooks
import KernelStore
import Testing

@Suite("Hook engine (in-process, real processes)")
struct HookEngineTests {
    // MARK: Matching

    @Test("matcher forms: omitted, *, exact, a|b, regex", arguments: [
        (nil as String?, "Bash", true), ("*", "Bash", true), ("Bash", "Bash", true), ("Bash", "BashX", false),
        ("Write|Edit", "Edit", true), ("Write|Edit", "Read", false), ("mcp__.*", "mcp__srv__tool", true),
        ("mcp__.*", "Bash", false), ("^(Read|Grep)$", "Grep", true), ("^(Read|Grep)$", "Grepper", false),
    ])
    func matcherForms(matcher: String?, tool: String, fires: Bool) async throws {
        let e = try engine(hooks("PreToolUse", [(matcher, [cmd("echo ran")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput(tool, [("command", "ls")]))
        #expect(o.handlers.count == (fires ? 1 : 0))
        if fires { #expect(o.handlers[0].exitCode == 0 && o.handlers[0].stdout == "ran\n") }
    }

    @Test("the matcher field per event comes from the spec table")
    func matcherFieldPerEvent() async throws {
        let cases: [(String, String, [(String, JSONValue)])] = [
            ("SessionStart", "resume", [("source", "resume")]),
            ("SessionEnd", "logout", [("reason", "logout")]),
            ("PreCompact", "manual", [("trigger", "manual")]),
            ("Notification", "idle_prompt", [("notification_type", "idle_prompt")]),
            ("SubagentStart", "task", [("agent_type", "task")]),
            ("FileChanged", "package.json", [("file_path", "/a/b/package.json")]),
            ("Elicitation", "my-server", [("mcp_server_name", "my-server")]),
            ("StopFailure", "rate_limit", [("error_type", "rate_limit")]),
            ("ConfigChange", "user_settings", [("source", "user_settings")]),
            ("InstructionsLoaded", "include", [("load_reason", "include")]),
        ]
        for (event, value, fields) in cases {
            let e = try engine(hooks(event, [(value, [cmd("true")]), ("nope", [cmd("true")])]))
            let o = await e.fire(event: event, input: input(fields))
            #expect(o.handlers.count == 1, "\(event)")
        }
        // Events without a matcher field fire every group.
        let e = try engine(hooks("UserPromptSubmit", [("anything", [cmd("true")])]))
        #expect(await e.fire(event: "UserPromptSubmit", input: input([("prompt", "hi")])).handlers.count == 1)
    }

    @Test("spec table: blocking events and matcher fields as the seed lists them")
    func specTable() {
        let blocking = HookEvent.allCases.filter { HookEventSpec.spec($0).blocking != .no }.map(\.rawValue).sorted()
        #expect(blocking == ["ConfigChange", "Elicitation", "ElicitationResult", "PreCompact", "PreToolUse", "Stop",
                             "SubagentStop", "TaskCreated", "UserPromptSubmit", "WorktreeCreate"])
        #expect(HookEventSpec.spec(.configChange).blocking == .unless(field: "source", equals: "policy_settings"))
        #expect(HookEventSpec.spec(.fileChanged).matcherField == .basename("file_path"))
        #expect(HookEventSpec.spec(.stop).matcherField == .none)
        #expect(HookEvent.allCases.filter { HookEventSpec.spec($0).plainTextIsContext } == [.sessionStart, .userPromptSubmit])
        #expect(HookEvent.allCases.filter { HookEventSpec.spec($0).outputIgnored } == [.stopFailure, .instructionsLoaded])
    }

    @Test("if: Tool(glob) against the primary argument", arguments: [
        ("Bash(git *)", "Bash", "command", "git status", true), ("Bash(git *)", "Bash", "command", "ls", false),
        ("Edit(*.ts)", "Edit", "file_path", "/src/a.ts", true), ("Edit(*.ts)", "Edit", "file_path", "/src/a.js", false),
        ("Bash", "Bash", "command", "anything", true), ("Write|Edit", "Write", "file_path", "x", true),
        ("Bash(rm *)", "Edit", "file_path", "rm x", false),
    ])
    func ifGlobs(condition: String, tool: String, key: String, value: String, fires: Bool) async throws {
        let e = try engine(hooks("PreToolUse", [(nil, [cmd("true", "\"if\": \(JSONValue.string(condition).serialized(pretty: false))")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput(tool, [(key, .string(value))]))
        #expect(o.handlers.count == (fires ? 1 : 0))
    }

    // MARK: Output semantics

    @Test("exit 0 with JSON: decision, reason, context, continue, systemMessage")
    func exitZeroJSON() async throws {
        let json = #"{"continue": false, "stopReason": "enough", "systemMessage": "hi user", "hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "ctx one", "updatedToolOutput": {"x": 1}}}"#
        let e = try engine(hooks("PostToolUse", [(nil, [cmd("echo '\(json)'")])]))
        let o = await e.fire(event: "PostToolUse", input: toolInput("Write", [("file_path", "/a")]))
        #expect(o.continueProcessing == false && o.stopReason == "enough")
        #expect(o.systemMessages == ["hi user"])
        #expect(o.additionalContext == "ctx one")
        #expect(o.hookSpecificOutput.first { $0.0 == "updatedToolOutput" }?.1 == .object([("x", 1)]))
        #expect(o.errors.isEmpty && o.exitCode == 0)
    }

    @Test("exit 0 plain text is context only for SessionStart and UserPromptSubmit")
    func plainText() async throws {
        let e1 = try engine(hooks("SessionStart", [(nil, [cmd("echo remember this")])]))
        #expect(await e1.fire(event: "SessionStart", input: input([("source", "startup")])).additionalContext == "remember this")
        let e2 = try engine(hooks("UserPromptSubmit", [(nil, [cmd("echo one"), cmd("echo two")])]))
        #expect(await e2.fire(event: "UserPromptSubmit", input: input([("prompt", "p")])).additionalContext == "one\ntwo")
        let e3 = try engine(hooks("PostToolUse", [(nil, [cmd("echo ignored")])]))
        let o3 = await e3.fire(event: "PostToolUse", input: toolInput("Bash", []))
        #expect(o3.additionalContext == nil)
        #expect(o3.handlers[0].notes.contains { $0.contains("plain-text stdout is not used") })
    }

    @Test("exit 0 with invalid JSON is plain text; hookSpecificOutput without hookEventName is rejected")
    func invalidJSON() async throws {
        let e = try engine(hooks("SessionStart", [(nil, [cmd("echo '{\"decision\": '"), cmd(#"echo '{"hookSpecificOutput": {"additionalContext": "x"}}'"#)])]))
        let o = await e.fire(event: "SessionStart", input: input([("source", "startup")]))
        #expect(o.additionalContext == "{\"decision\":")
        #expect(o.handlers[0].notes.contains { $0.contains("not valid JSON") })
        #expect(o.handlers[1].error?.contains("hookEventName") == true)
        #expect(o.decision == .none)
    }

    @Test("exit 2 blocks a blocking event with stderr as the reason")
    func exitTwoBlocking() async throws {
        let e = try engine(hooks("PreToolUse", [("Bash", [cmd("echo 'Dangerous command' >&2; exit 2")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "rm -rf /")]))
        #expect(o.decision == .deny && o.blocked && o.reason == "Dangerous command" && o.exitCode == 2)
    }

    @Test("exit 2 on an event that cannot block is reported, not a block")
    func exitTwoNonBlocking() async throws {
        let e = try engine(hooks("PostToolUse", [(nil, [cmd("echo nope >&2; exit 2")])]))
        let o = await e.fire(event: "PostToolUse", input: toolInput("Bash", []))
        #expect(!o.blocked && o.decision == .none && o.exitCode == 0)
        #expect(o.errors.count == 1 && o.errors[0].contains("cannot be blocked"))
        // ConfigChange from policy_settings cannot be blocked; from user settings it can.
        let c = try engine(hooks("ConfigChange", [(nil, [cmd("exit 2")])]))
        #expect(await c.fire(event: "ConfigChange", input: input([("source", "policy_settings")])).blocked == false)
        #expect(await c.fire(event: "ConfigChange", input: input([("source", "user_settings")])).blocked == true)
    }

    @Test("other exit codes are non-blocking errors; stdout ignored")
    func otherExitCodes() async throws {
        let e = try engine(hooks("PreToolUse", [(nil, [cmd(#"echo '{"decision":"deny"}'; echo broken >&2; exit 3"#), cmd("exit 1")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(o.decision == .none && !o.blocked)
        #expect(o.errors.count == 2 && o.errors[0].contains("exit 3: broken"))
        #expect(o.handlers.map(\.exitCode) == [3, 1])
    }

    @Test("permissionDecision across three handlers: deny beats ask beats allow; hookSpecificOutput wins over top level")
    func permissionConflicts() async throws {
        func pd(_ d: String, _ reason: String) -> String {
            cmd("echo '{\"decision\": \"allow\", \"reason\": \"top\", \"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"\(d)\", \"permissionDecisionReason\": \"\(reason)\"}}'")
        }
        let all = try engine(hooks("PreToolUse", [(nil, [pd("allow", "fine"), pd("deny", "no way"), pd("ask", "check")])]))
        let o = await all.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(o.decision == .deny && o.reason == "no way" && o.blocked)
        #expect(o.handlers.map(\.decision) == [.allow, .deny, .ask])
        let noDeny = try engine(hooks("PreToolUse", [(nil, [pd("allow", "fine"), pd("ask", "check"), pd("allow", "ok")])]))
        let o2 = await noDeny.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(o2.decision == .ask && o2.reason == "check" && !o2.blocked && o2.exitCode == 0)
        let allows = try engine(hooks("PreToolUse", [(nil, [pd("allow", "a"), cmd(#"echo '{"decision": "allow", "reason": "b"}'"#)])]))
        let o3 = await allows.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(o3.decision == .allow && o3.reason == "a\nb")
    }

    @Test("updatedInput chain: applied in configuration order, whatever the finishing order")
    func updatedInputChain() async throws {
        func upd(_ cmdText: String, sleep: String) -> String {
            cmd("sleep \(sleep); echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"allow\", \"updatedInput\": {\"command\": \"\(cmdText)\"}}}'")
        }
        let e = try engine(hooks("PreToolUse", [(nil, [upd("first", sleep: "0.3"), upd("second", sleep: "0")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "orig")]))
        #expect(o.updatedInputs.map(\.handler) == [0, 1])
        #expect(o.updatedInput == .object([("command", "second")]))
    }

    @Test("parallel handlers finishing out of order: run concurrently, reported in configuration order")
    func parallelOutOfOrder() async throws {
        // The first handler waits for a file the last one creates: it can only finish (and finish last) when
        // they run at the same time.
        let dir = try Scratch()
        let marker = dir.path + "/marker"
        let wait = "for i in $(seq 100); do [ -f '\(marker)' ] && break; sleep 0.05; done; [ -f '\(marker)' ] && sleep 0.2 && echo slow"
        let e = try engine(hooks("UserPromptSubmit", [(nil, [cmd(wait), cmd("sleep 0.1; echo mid"), cmd("touch '\(marker)'; echo fast")])]))
        let o = await e.fire(event: "UserPromptSubmit", input: input([("prompt", "p")]))
        #expect(o.additionalContext == "slow\nmid\nfast")
        #expect(o.handlers.map(\.index) == [0, 1, 2])
        // "slow" proves it: the first handler saw the marker the last one creates, so they ran at the same time
        // and the first finished after the last. (Comparing their durations is not sound: each is measured from
        // its own start, and a loaded machine may start the last handler first.)
        #expect(o.handlers[0].durationMs >= 200)
    }

    @Test("a timeout kills the hung handler and its children (process group)")
    func timeoutKillsGroup() async throws {
        let dir = try Scratch()
        let pidFile = dir.path + "/child.pid"
        let finished = dir.path + "/finished"
        let script = try dir.script("hang.sh", "sleep 30 & echo $! > '\(pidFile)'\ntrap '' TERM\nsleep 30\ntouch '\(finished)'\nwait")
        let e = try engine(hooks("PreToolUse", [(nil, [cmd("'\(script)'", "\"timeout\": 0.5")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", []))
        let r = o.handlers[0]
        // It ignores SIGTERM, so only the SIGKILL after the grace ended it, before it could finish its sleep.
        #expect(r.signal == SIGKILL && r.failure == .timeout(seconds: 0.5))
        #expect(!FileManager.default.fileExists(atPath: finished))
        #expect(r.timedOut && r.error?.contains("timed out") == true)
        #expect(!o.blocked && o.errors.count == 1)
        let child = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The child is gone (or a zombie about to be reaped by init).
        var alive = kill(child, 0) == 0
        if alive, let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8) { alive = !stat.contains(") Z ") }
        #expect(!alive)
    }

    @Test("output over the limit is an error, not a silent truncation")
    func outputLimit() async throws {
        var d = Diagnostics()
        let (node, _) = try JSONReader.parse(hooks("SessionStart", [(nil, [cmd("head -c 5000 /dev/zero | tr '\\\\0' x")])]))
        var registry = Registry()
        for g in HooksParser.parseEventMap(node, file: "s.json", diagnostics: &d) {
            registry.hooks.append(RegistryEntry(name: g.event, item: g, provenance: Provenance(source: .user, scope: .user)))
        }
        var options = HookEngine.Options()
        options.outputLimit = 1000
        let e = HookEngine(registry: registry, projectDir: "/tmp", options: options)
        let o = await e.fire(event: "SessionStart", input: input([("source", "startup")]))
        #expect(o.handlers[0].error?.contains("exceeded 1000 bytes") == true)
        #expect(o.additionalContext == nil)
    }

    @Test("exec form: arguments with spaces and quotes reach the program literally")
    func execForm() async throws {
        let dir = try Scratch()
        let script = try dir.script("args.sh", #"for a in "$@"; do printf '[%s]' "$a"; done"#)
        let args = JSONValue.strings(["two words", "it's \"quoted\"", "$HOME", "*"]).serialized(pretty: false)
        let e = try engine(hooks("SessionStart", [(nil, [cmd(script, "\"args\": \(args)")])]))
        let o = await e.fire(event: "SessionStart", input: input([("source", "startup")]))
        #expect(o.additionalContext == #"[two words][it's "quoted"][$HOME][*]"#)
    }

    @Test("stdin is the event JSON; QODER_PROJECT_DIR and the hook's env are exported")
    func stdinAndEnvironment() async throws {
        let dir = try Scratch()
        let e = try engine(hooks("SessionStart", [(nil, [cmd(#"cat; echo; echo "$QODER_PROJECT_DIR $CLAUDE_PROJECT_DIR $FOO""#, #""env": {"FOO": "bar"}"#)])]),
                           project: dir.path)
        let o = await e.fire(event: "SessionStart", input: input([("source", "startup")]))
        let lines = o.additionalContext?.split(separator: "\n").map(String.init) ?? []
        #expect(lines.first == #"{"hook_event_name":"SessionStart","source":"startup"}"#)
        #expect(lines.last == "\(dir.path) \(dir.path) bar")
    }

    @Test("identical handlers from the settings files run once")
    func dedup() async throws {
        let e = try engine(hooks("SessionStart", [(nil, [cmd("echo x")]), ("startup", [cmd("echo x")])]))
        let o = await e.fire(event: "SessionStart", input: input([("source", "startup")]))
        #expect(o.handlers.count == 2 && o.handlers[1].skipped?.contains("identical") == true)
        #expect(o.additionalContext == "x")
    }

    // MARK: prompt / agent, native

    struct Judge: HookEvaluator {
        func evaluate(_ request: HookEvaluationRequest) async throws -> HookEvaluation {
            request.prompt.contains("rm -rf") ? HookEvaluation(ok: false, reason: "unsafe: \(request.kind.rawValue)") : HookEvaluation(ok: true)
        }
    }

    @Test("prompt and agent handlers: skipped with a reason without an evaluator, decided by one when registered")
    func evaluator() async throws {
        let config = hooks("PreToolUse", [(nil, [#"{"type": "prompt", "prompt": "Is it safe?"}"#, #"{"type": "agent", "prompt": "Check $ARGUMENTS"}"#])])
        let none = try engine(config)
        let o = await none.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "rm -rf /")]))
        #expect(o.handlers.count == 2 && o.handlers.allSatisfy { $0.skipped?.contains("no evaluator") == true })
        #expect(o.decision == .none && !o.blocked)
        let judged = try engine(config, evaluator: Judge())
        let o2 = await judged.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "rm -rf /")]))
        #expect(o2.decision == .deny && o2.blocked && o2.reason == "unsafe: prompt\nunsafe: agent")
        let o3 = await judged.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "ls")]))
        #expect(o3.decision == .allow)
    }

    @Test("native handlers: matched like configured ones, results read by the same rules")
    func nativeHandlers() async throws {
        let deny = ClosureHook(event: "PreToolUse", matcher: "Bash", name: "guard") { input in
            String(decoding: input, as: UTF8.self).contains("rm -rf") ? NativeHookResult(exitCode: 2, stderr: Array("no rm".utf8))
                                                                       : NativeHookResult(exitCode: 0)
        }
        let e = try engine("{}", native: [deny])
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "rm -rf /")]))
        #expect(o.blocked && o.reason == "no rm" && o.handlers[0].type == "native" && o.handlers[0].name == "guard")
        #expect(await e.fire(event: "PreToolUse", input: toolInput("Read", [("command", "rm -rf /")])).handlers.isEmpty)
        #expect(await e.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "ls")])).decision == .none)
    }

    // MARK: once, async

    @Test("once handlers are removed after their first successful run in a session")
    func once() async throws {
        let store = try KernelStore.inMemory()
        let e = try engine(hooks("SessionStart", [(nil, [cmd("echo hello", #""once": true"#)])]), store: store)
        let first = await e.fire(event: "SessionStart", input: input([("source", "startup")]), session: "A")
        #expect(first.additionalContext == "hello")
        let second = await e.fire(event: "SessionStart", input: input([("source", "startup")]), session: "A")
        #expect(second.additionalContext == nil && second.handlers[0].skipped?.contains("once") == true)
        let other = await e.fire(event: "SessionStart", input: input([("source", "startup")]), session: "B")
        #expect(other.additionalContext == "hello")
    }

    @Test("async handlers are not awaited; their result comes with the session's next fire")
    func asyncHandlers() async throws {
        let store = try KernelStore.inMemory()
        let dir = try Scratch()
        let gate = dir.path + "/go"
        // The handler waits for a file the test creates only after fire returned: fire cannot have waited for it.
        // The later fires start more of them; each also stops when the scratch folder is gone, so none outlives
        // the test.
        let e = try engine(hooks("PostToolUse", [(nil, [cmd(#"while [ ! -e '\#(gate)' ] && [ -d '\#(dir.path)' ]; do sleep 0.05; done; echo '{"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "lint ok"}}'"#, #""async": true"#)])]),
                           store: store)
        let o = await e.fire(event: "PostToolUse", input: toolInput("Write", []), session: "S")
        #expect(o.handlers[0].async && o.handlers[0].exitCode == nil)
        try dir.write("go", "")
        var later = await e.fire(event: "PostToolUse", input: toolInput("Write", []), session: "S")
        for _ in 0..<150 where later.asyncResults.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            later = await e.fire(event: "PostToolUse", input: toolInput("Write", []), session: "S")
        }
        #expect(later.asyncResults.count >= 1)
        #expect(later.additionalContext?.hasPrefix("lint ok") == true)
    }
}
