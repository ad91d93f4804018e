import Testing
@testable import KernelCore

@Suite struct HooksParserTests {
    func parseFile(_ json: String) -> ([HookMatcherGroup], [String]) {
        var d = Diagnostics()
        let g = HooksParser.parseHooksFile(bytes(json), file: "hooks.json", diagnostics: &d)
        return (g, printed(d))
    }

    @Test func wrappedFileWithEveryHandlerType() throws {
        let (groups, diags) = parseFile("""
        {
          "description": "x",
          "hooks": {
            "PreToolUse": [
              {"matcher": "Write|Edit", "async": true, "hooks": [
                {"type": "command", "command": "/usr/bin/python3", "args": ["a.py", "--strict"], "timeout": 5,
                 "env": {"A": "1"}, "if": "Bash(git *)", "once": true, "statusMessage": "checking", "rewakeMessage": "m"},
                {"type": "http", "url": "https://h/x", "headers": {"Authorization": "Bearer ${T}"}, "allowedEnvVars": ["T"]},
                {"type": "prompt", "prompt": "Is it safe?", "model": "haiku", "timeout": 0.5},
                {"type": "agent", "prompt": "Check $ARGUMENTS", "tools": ["Read"], "maxTurns": 5}
              ]}
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "echo hi", "asyncRewake": true}]}]
          }
        }
        """)
        #expect(diags == [])
        #expect(groups.map(\.event) == ["PreToolUse", "Stop"])
        let pre = groups[0]
        #expect(pre.matcher == "Write|Edit" && pre.async == true && pre.line == 5 && pre.column == 7)
        #expect(pre.hookEvent == .preToolUse && pre.file == "hooks.json")
        let h = pre.handlers
        #expect(h.map(\.type) == [.command, .http, .prompt, .agent])
        #expect(h[0].command == "/usr/bin/python3" && h[0].args == ["a.py", "--strict"] && h[0].timeout == 5)
        #expect(h[0].env == ["A": "1"] && h[0].ifCondition == "Bash(git *)" && h[0].once == true)
        #expect(h[0].statusMessage == "checking" && h[0].node["rewakeMessage"]?.string == "m")
        #expect(h[0].line == 6 && h[0].column == 9)
        #expect(h[1].url == "https://h/x" && h[1].headers == ["Authorization": "Bearer ${T}"] && h[1].allowedEnvVars == ["T"])
        #expect(h[2].prompt == "Is it safe?" && h[2].model == "haiku" && h[2].timeout == 0.5)
        #expect(h[3].prompt == "Check $ARGUMENTS")
        #expect(groups[1].matcher == nil && groups[1].handlers[0].asyncRewake == true)
    }

    @Test func bareEventMapMustBeWrapped() {
        let (groups, diags) = parseFile("""
        {
          "PreToolUse": [{"hooks": [{"type": "command", "command": "x"}]}]
        }
        """)
        #expect(diags == [
            "hooks.json:1:1: error: hooks file must wrap its events in {\"hooks\": {...}}: write {\"hooks\": {\"PreToolUse\": …}}",
        ])
        #expect(groups.count == 1)  // still read, so the rest is checked
    }

    @Test func missingHooksKey() {
        #expect(parseFile("{\"description\": \"x\"}").1 == ["hooks.json:1:1: error: hooks file is missing required key 'hooks'"])
    }

    @Test func unknownEventWithSuggestion() {
        let (groups, diags) = parseFile("""
        {"hooks": {
          "PreToolUs": [],
          "Whatever": [],
          "TeammateIdle": [{"hooks": [{"type": "command", "command": "x"}]}]
        }}
        """)
        #expect(diags == [
            "hooks.json:2:3: error: unknown hook event 'PreToolUs'; did you mean 'PreToolUse'?",
            "hooks.json:3:3: error: unknown hook event 'Whatever'",
            "hooks.json:4:3: warning: hook event 'TeammateIdle' is a Claude Code event that this host never fires",
        ])
        #expect(groups.map(\.event) == ["TeammateIdle"] && groups[0].hookEvent == nil)
    }

    @Test func badRegexMatcher() {
        let (groups, diags) = parseFile("""
        {"hooks": {"PreToolUse": [
          {"matcher": "mcp__(foo", "hooks": []},
          {"matcher": "mcp__.*", "hooks": []},
          {"matcher": "*", "hooks": []},
          {"matcher": 3, "hooks": []}
        ]}}
        """)
        #expect(groups.count == 4)
        #expect(diags == [
            "hooks.json:2:15: error: matcher 'mcp__(foo' is not a valid regular expression: expected ')'",
            "hooks.json:5:15: error: 'matcher' must be a string, got a number",
        ])
    }

    @Test func handlerMissingRequiredFields() {
        let (groups, diags) = parseFile("""
        {"hooks": {"Stop": [{"hooks": [
          {"type": "command"},
          {"type": "http", "timeout": 10},
          {"type": "prompt"},
          {"type": "agent", "prompt": "ok"},
          {"command": "x"},
          {"type": "comand", "command": "x"},
          {"type": "command", "command": "x", "args": "a b", "timeout": -1, "async": "true", "once": "yes", "env": {"N": 1, "L": []}}
        ]}, {"matcher": "x"}]}}
        """)
        #expect(diags == [
            "hooks.json:2:3: error: command hook is missing required key 'command'",
            "hooks.json:3:3: error: http hook is missing required key 'url'",
            "hooks.json:4:3: error: prompt hook is missing required key 'prompt'",
            "hooks.json:6:3: error: hook entry is missing required key 'type' (one of command, http, prompt, agent)",
            "hooks.json:7:12: error: unknown hook type 'comand'; did you mean 'command'?; expected one of command, http, prompt, agent",
            "hooks.json:8:47: error: 'args' must be an array of strings, got a string",
            "hooks.json:8:114: warning: 'env.N' should be a string; a number is read as \"1\"",
            "hooks.json:8:122: error: 'env.L' must be a string, got an array",
            "hooks.json:8:78: warning: 'async' should be the boolean true, not the string \"true\"",
            "hooks.json:8:94: error: 'once' must be a boolean, got a string",
            "hooks.json:8:65: error: 'timeout' must be a positive number of seconds, got -1",
            "hooks.json:9:5: error: matcher group of 'Stop' is missing required key 'hooks'",
        ])
        #expect(groups.count == 2)
        #expect(groups[0].handlers.map(\.type) == [.agent, .command])
        #expect(groups[0].handlers[1].async == true && groups[0].handlers[1].env == ["N": "1"])
    }

    @Test func eventMapFromAnotherSourceMustBeAnObject() {
        var d = Diagnostics()
        let node = Node(.array([]), line: 3, column: 8)
        #expect(HooksParser.parseEventMap(node, file: "agent.md", diagnostics: &d).isEmpty)
        #expect(printed(d) == ["agent.md:3:8: error: 'hooks' must be an object mapping event names to arrays of matcher groups, got an array"])
    }

    @Test func everySeedEventIsKnown() {
        #expect(HookEvent.allCases.count == 25)
        #expect(HookEvent(rawValue: "ElicitationResult") == .elicitationResult)
    }
}
