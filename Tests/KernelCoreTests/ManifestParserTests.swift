import Testing
@testable import KernelCore

/// The diagnostics of a parse, as printed: `file:line:col: severity: message`.
func printed(_ d: Diagnostics) -> [String] { d.items.map(\.description) }

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct JSONFileTests {
    @Test func syntaxErrorBecomesAnErrorWithPosition() {
        var d = Diagnostics()
        #expect(JSONFile.read(bytes: bytes("{\n  \"a\": 1,\n}"), file: "x.json", diagnostics: &d) == nil)
        #expect(printed(d) == ["x.json:3:1: error: trailing comma in object"])
    }

    @Test func duplicateKeysAreWarnings() {
        var d = Diagnostics()
        let root = JSONFile.read(bytes: bytes("{\"name\": \"a\",\n \"name\": \"b\"}"), file: "x.json", diagnostics: &d)
        #expect(root?["name"]?.string == "b")
        #expect(printed(d) == ["x.json:2:2: warning: duplicate key 'name' (first on line 1); the last one is used"])
    }
}

@Suite struct SuggestTests {
    @Test func closestMatchFindsTyposOnly() {
        let events = HookEvent.allCases.map(\.rawValue)
        #expect(closestMatch("PreToolUs", in: events) == "PreToolUse")
        #expect(closestMatch("pretooluse", in: events) == "PreToolUse")
        #expect(closestMatch("SessionStrat", in: events) == "SessionStart")
        #expect(closestMatch("Banana", in: events) == nil)
        #expect(closestMatch("Stop", in: events) == nil)  // exact: nothing to suggest
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
    }
}

@Suite struct PluginManifestTests {
    func parse(_ json: String) -> (PluginManifest?, [String]) {
        var d = Diagnostics()
        let m = ManifestParser.parse(bytes(json), file: "plugin.json", diagnostics: &d)
        return (m, printed(d))
    }

    @Test func arrayRootIsAnError() {
        let (m, diags) = parse("[{\"name\": \"x\"}]")
        #expect(m == nil)
        #expect(diags == ["plugin.json:1:1: error: plugin manifest must be a JSON object, got an array"])
    }

    @Test func fullManifest() throws {
        let (m, diags) = parse("""
        {
          "name": "my-plugin",
          "version": "1.2.3-beta.1",
          "description": "d",
          "author": {"name": "A", "email": "a@b.c"},
          "repository": {"type": "git", "url": "https://x/y.git"},
          "keywords": ["k1", "k2"],
          "dependencies": ["other", {"name": "dep", "marketplace": "mk", "version": "^1"}],
          "commands": ["./cmds/a.md", "./cmds/b"],
          "skills": "./skills/",
          "hooks": "./hooks/extra.json",
          "mcpServers": {"db": {"command": "db-mcp"}},
          "lspServers": "./lsp.json",
          "modules": ["./modules/libx.so"],
          "$schema": "x", "displayName": "My Plugin", "category": "Coding", "tags": ["t"]
        }
        """)
        #expect(diags == [])
        let manifest = try #require(m)
        #expect(manifest.name == "my-plugin" && manifest.version == "1.2.3-beta.1")
        #expect(manifest.author == Author(name: "A", email: "a@b.c"))
        #expect(manifest.repository == "https://x/y.git")
        #expect(manifest.keywords == ["k1", "k2"])
        #expect(manifest.dependencies == ["other", "dep@mk"])
        #expect(manifest.commands == [ManifestPath(path: "./cmds/a.md", line: 9, column: 16),
                                      ManifestPath(path: "./cmds/b", line: 9, column: 31)])
        #expect(manifest.skills?.map(\.path) == ["./skills/"])
        #expect(manifest.agents == nil)
        guard case .paths(let hookPaths) = manifest.hooks else { Issue.record("hooks should be paths"); return }
        #expect(hookPaths.map(\.path) == ["./hooks/extra.json"])
        var d = Diagnostics()
        let servers = manifest.inlineMCPServers(diagnostics: &d)
        #expect(servers.map(\.name) == ["db"] && servers.first?.transport == .stdio && d.items.isEmpty)
        #expect(manifest.lspServers?.string == "./lsp.json")
        #expect(manifest.modules?.map(\.path) == ["./modules/libx.so"])
    }

    @Test func pathThatEscapesOrIsNotDotSlash() {
        let (m, diags) = parse("""
        {"name": "p",
         "agents": ["./agents/../../x", "../y"],
         "skills": "skills",
         "commands": "/etc/x"}
        """)
        #expect(m?.agents == [])
        #expect(m?.skills == [])
        // Fields are read in the order commands, agents, skills.
        #expect(diags == [
            "plugin.json:4:14: error: path '/etc/x' must be relative to the plugin root and start with './'",
            "plugin.json:2:13: error: path './agents/../../x' escapes the plugin root",
            "plugin.json:2:33: error: path '../y' escapes the plugin root",
            "plugin.json:3:12: error: path 'skills' must start with './'",
        ])
    }

    @Test func missingName() {
        let (m, diags) = parse("{\n  \"version\": \"1.0.0\"\n}")
        #expect(m == nil)
        #expect(diags == ["plugin.json:1:1: error: plugin manifest is missing required key 'name'"])
    }

    @Test func nameRules() {
        #expect(parse("{\"name\": \"my plugin\"}").1 == ["plugin.json:1:10: error: name 'my plugin' must not contain spaces"])
        #expect(parse("{\"name\": \"\"}").1 == ["plugin.json:1:10: error: 'name' must not be empty"])
        let (m, diags) = parse("{\"name\": \"My_Plugin\"}")
        #expect(m?.name == "My_Plugin")
        #expect(diags == ["plugin.json:1:10: warning: name 'My_Plugin' is not kebab-case (lowercase letters, digits and '-', e.g. 'my-plugin')"])
    }

    @Test func wrongTypes() {
        let (m, diags) = parse("""
        {
          "name": 42,
          "version": 1.0,
          "keywords": "a",
          "author": ["x"],
          "skills": {"a": 1},
          "hooks": true
        }
        """)
        #expect(m == nil)
        #expect(diags == [
            "plugin.json:2:11: error: 'name' must be a string, got a number",
            "plugin.json:3:14: error: 'version' must be a string, got a number",
            "plugin.json:5:13: error: 'author' must be an object with 'name', got an array",
            "plugin.json:4:15: error: 'keywords' must be an array of strings, got a string",
            "plugin.json:6:13: error: 'skills' must be a path or an array of paths, got an object",
            "plugin.json:7:12: error: 'hooks' must be a path, an array of paths or an object, got a boolean",
        ])
    }

    @Test func unknownKeyWarnsAndKnownKeysAreSilent() {
        let (m, diags) = parse("""
        {"name": "p", "descriptionZh": "x", "interface": {},
         "hookz": "./h.json", "frobnicate": 1}
        """)
        #expect(m != nil)
        #expect(diags == [
            "plugin.json:2:2: warning: unknown manifest key 'hookz'; did you mean 'hooks'?",
            "plugin.json:2:23: warning: unknown manifest key 'frobnicate'",
        ])
    }

    @Test func versionAndAuthorLeniency() {
        let (m, diags) = parse("{\"name\": \"p\", \"version\": \"1.0\", \"author\": \"Jane\"}")
        #expect(m?.author?.name == "Jane" && m?.version == "1.0")
        #expect(diags == [
            "plugin.json:1:26: warning: version '1.0' is not a semantic version (MAJOR.MINOR.PATCH, e.g. '1.0.0')",
            "plugin.json:1:43: warning: 'author' should be an object like {\"name\": \"Jane\"}; the string is read as the name",
        ])
    }

    @Test func inlineHooksAreUnwrappedAndValidated() throws {
        var d = Diagnostics()
        let m = try #require(ManifestParser.parse(bytes("""
        {"name": "p", "hooks": {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "x"}]}]}}}
        """), file: "plugin.json", diagnostics: &d))
        let groups = m.inlineHooks(diagnostics: &d)
        #expect(d.items.isEmpty)
        #expect(groups.map(\.event) == ["Stop"] && groups.first?.handlers.first?.command == "x")
    }

    @Test func semver() {
        for v in ["1.0.0", "0.0.1", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1+build.5", "1.0.0+20130313144700"] {
            #expect(NameRules.isSemver(v), "\(v)")
        }
        for v in ["1.0", "1", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0.0", "1.0.0+"] {
            #expect(!NameRules.isSemver(v), "\(v)")
        }
    }
}
