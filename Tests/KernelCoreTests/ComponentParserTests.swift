import Foundation
import Testing
@testable import KernelCore

/// A fixture of `Fixtures/frontmatter/`.
func frontmatterFixture(_ path: String) throws -> [UInt8] {
    let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return [UInt8](try Data(contentsOf: root.appendingPathComponent("frontmatter/\(path)")))
}

extension Diagnostics {
    /// Diagnostics as `line:col: severity: message` (the file name dropped).
    var lines: [String] {
        items.map { "\($0.location.line ?? 0):\($0.location.column ?? 0): \($0.severity.rawValue): \($0.message)" }
    }
}

@Suite struct SkillParserTests {
    @Test func goodSkill() throws {
        var d = Diagnostics()
        let skill = try #require(SkillParser.parse(try frontmatterFixture("skills/pdf-tools/SKILL.md"),
                                                   file: "SKILL.md", folderName: "pdf-tools", diagnostics: &d))
        #expect(d.lines == [])
        #expect(skill.name == "pdf-tools")
        #expect(skill.description.hasPrefix("Extract text and tables"))
        #expect(skill.license == "Apache-2.0")
        #expect(skill.compatibility == "Requires python3 and pdfplumber")
        #expect(skill.metadata == ["author": "example-org", "version": "1.0"])
        #expect(skill.allowedTools == ["Read", "Bash(python3 scripts/extract.py:*)", "Grep"])
        #expect(skill.argumentHint == "[file]")
        #expect(skill.userInvocable == true)
        #expect(skill.body == "\n# PDF tools\n\nRun `scripts/extract.py`.\n")
        #expect(skill.bodyLine == 13)
    }

    @Test func badSkill() throws {
        var d = Diagnostics()
        let skill = SkillParser.parse(try frontmatterFixture("skills/bad-skill/SKILL.md"), file: "SKILL.md",
                                      folderName: "bad-skill", diagnostics: &d)
        #expect(skill == nil)
        #expect(d.lines == [
            "8:1: warning: unknown frontmatter key 'author'",
            "9:1: warning: unknown frontmatter key 'descripton'; did you mean 'description'?",
            "2:7: warning: skill name 'Bad--Skill-' must be lowercase; hosts load it as 'Bad--Skill-' (the Agent Skills naming rule, an error under --strict)",
            "2:7: warning: skill name 'Bad--Skill-' must not start or end with '-'; hosts load it as 'Bad--Skill-' (the Agent Skills naming rule, an error under --strict)",
            "2:7: warning: skill name 'Bad--Skill-' must not contain '--'; hosts load it as 'Bad--Skill-' (the Agent Skills naming rule, an error under --strict)",
            "2:7: warning: skill name 'Bad--Skill-' does not match its folder 'bad-skill'",
            "3:14: error: 'description' must not be empty",
            "4:16: error: 'compatibility' must be a string, got an array",
            "6:9: error: metadata value 'tags' must be a string, got an array",
            "7:9: warning: metadata value 'rank' is a number; quote it: rank: \"3\"",
        ])
    }

    @Test func missingFrontmatter() {
        var d = Diagnostics()
        #expect(SkillParser.parse(Array("# No frontmatter\n".utf8), file: "s/SKILL.md", folderName: "s",
                                  diagnostics: &d) == nil)
        #expect(d.items.map(\.description) == ["s/SKILL.md:1:1: error: SKILL.md must start with YAML frontmatter ('---')"])
    }

    @Test func nameFallsBackToFolderAndMismatchWarns() throws {
        var d = Diagnostics()
        let skill = try #require(SkillParser.parse(Array("---\ndescription: Does x.\n---\n".utf8), file: "SKILL.md",
                                                   folderName: "my-skill", diagnostics: &d))
        #expect(skill.name == "my-skill")
        #expect(d.lines == ["1:1: warning: 'name' is missing; the folder name 'my-skill' is used"])

        var d2 = Diagnostics()
        let other = try #require(SkillParser.parse(Array("---\nname: other\ndescription: Does x.\n---\n".utf8),
                                                   file: "SKILL.md", folderName: "my-skill", diagnostics: &d2))
        #expect(other.name == "other")
        #expect(d2.lines == ["2:7: warning: skill name 'other' does not match its folder 'my-skill'"])
    }

    @Test func limitsAndMissingDescription() {
        var d = Diagnostics()
        let long = String(repeating: "é", count: 1025)
        let name = String(repeating: "a", count: 65)
        let compat = String(repeating: "c", count: 501)
        _ = SkillParser.parse(Array("---\nname: \(name)\ndescription: \(long)\ncompatibility: \(compat)\n---\n".utf8),
                              file: "SKILL.md", folderName: name, diagnostics: &d)
        #expect(d.lines == [
            "2:7: warning: skill name '\(name)' is 65 characters; the limit is 64; hosts load it as '\(name)' (the Agent Skills naming rule, an error under --strict)",
            "3:14: error: 'description' is 1025 characters; the limit is 1024",
            "4:16: error: 'compatibility' is 501 characters; the limit is 500",
        ])

        var d2 = Diagnostics()
        #expect(SkillParser.parse(Array("---\nname: x\n---\n".utf8), file: "SKILL.md", folderName: "x",
                                  diagnostics: &d2) == nil)
        #expect(d2.lines == ["1:1: error: 'description' is required"])
    }

    @Test func namesAreLowercaseASCII() throws {
        var d = Diagnostics()
        _ = SkillParser.parse(Array("---\nname: café\ndescription: x\n---\n".utf8),
                              file: "SKILL.md", folderName: "café", diagnostics: &d)
        #expect(d.lines == ["2:7: warning: skill name 'café' contains 'é'; only lowercase letters a-z, digits and '-' are allowed; hosts load it as 'café' (the Agent Skills naming rule, an error under --strict)"])

        var d2 = Diagnostics()
        _ = SkillParser.parse(Array("---\nname: my_skill\ndescription: x\n---\n".utf8), file: "SKILL.md",
                              folderName: "my_skill", diagnostics: &d2)
        #expect(d2.lines == ["2:7: warning: skill name 'my_skill' contains '_'; only lowercase letters a-z, digits and '-' are allowed; hosts load it as 'my_skill' (the Agent Skills naming rule, an error under --strict)"])
    }

    @Test func claudeCodeExtensionsAreAccepted() {
        var d = Diagnostics()
        let text = "---\nname: x\ndescription: y\nversion: 0.1.0\nwhen_to_use: z\ncontext: fork\nagent: Explore\n"
            + "disable-model-invocation: true\nuser-invocable: false\nmodel: opus\n---\n"
        #expect(SkillParser.parse(Array(text.utf8), file: "SKILL.md", folderName: "x", diagnostics: &d) != nil)
        #expect(d.lines == [])
    }
}

@Suite struct AgentParserTests {
    @Test func goodAgent() throws {
        var d = Diagnostics()
        let agent = try #require(AgentParser.parse(try frontmatterFixture("agents/reviewer.md"), file: "reviewer.md",
                                                   fromPlugin: false, diagnostics: &d))
        #expect(d.lines == [])
        #expect(agent.name == "reviewer")
        #expect(agent.tools == ["Read", "Grep", "Agent(Explore, Plan)", "mcp__docs__search"])
        #expect(agent.disallowedTools == ["Write", "Edit"])
        #expect(agent.model == "inherit")
        #expect(agent.permissionMode == "acceptEdits")
        #expect(agent.color == "cyan")
        #expect(agent.memory == "project")
        #expect(agent.isolation == "worktree")
        #expect(agent.maxTurns == 8)
        #expect(agent.timeoutMins == 10)
        #expect(agent.effort == "xhigh")
        #expect(agent.background == false)
        #expect(agent.temperature == 0.2)
        #expect(agent.kind == "local")
        #expect(agent.skills == ["pdf-tools", "writing"])
        #expect(agent.hooks?["PreToolUse"]?.array?.first?["matcher"]?.string == "Bash")
        #expect(agent.mcpServers?.array?.first?.string == "docs")
        #expect(agent.initialPrompt == "Start reviewing.")
        #expect(agent.body == "You are a careful reviewer.\n")
        #expect(agent.bodyLine == 31)
    }

    @Test func pluginAgentsLoseRestrictedFields() throws {
        var d = Diagnostics()
        let agent = try #require(AgentParser.parse(try frontmatterFixture("agents/reviewer.md"), file: "reviewer.md",
                                                   fromPlugin: true, diagnostics: &d))
        #expect(d.lines == [
            "20:1: warning: plugin agents cannot set 'hooks'; it is removed",
            "26:1: warning: plugin agents cannot set 'mcpServers'; it is removed",
            "9:1: warning: plugin agents cannot set 'permissionMode'; it is removed",
        ])
        #expect(agent.hooks == nil && agent.mcpServers == nil && agent.permissionMode == nil)
        #expect(agent.isolation == "worktree")

        var d2 = Diagnostics()
        let other = try #require(AgentParser.parse(
            Array("---\nname: a\ndescription: b\nisolation: container\n---\n".utf8), file: "a.md", fromPlugin: true,
            diagnostics: &d2))
        #expect(other.isolation == nil)
        #expect(d2.lines == ["4:12: warning: plugin agents can only set 'isolation: worktree'; 'container' is removed"])
    }

    @Test func brokenAgent() throws {
        var d = Diagnostics()
        let agent = try #require(AgentParser.parse(try frontmatterFixture("agents/broken.md"), file: "broken.md",
                                                   fromPlugin: false, diagnostics: &d))
        #expect(d.lines == [
            "14:8: error: 'tools' must be a string or a list of strings, got an object",
            "7:8: warning: 'color' must be one of red, blue, green, yellow, purple, orange, pink, cyan, got 'magenta'; it is ignored",
            "8:9: error: 'memory' must be one of user, project, local, got 'global'",
            "4:11: error: 'maxTurns' must be a positive integer, got 'many'",
            "5:14: error: 'timeoutMins' must be a positive integer, got '0'",
            "9:9: error: 'effort' must be one of low, medium, high, xhigh, max or a positive integer, got 'extreme'",
            "10:13: error: 'background' must be a boolean (true or false), got 'maybe'",
            "12:7: error: 'kind' must be one of local, remote, got 'cloud'",
            "11:14: error: 'temperature' must be a number, got 'hot'",
            "15:8: error: 'hooks' must be a map of events to matcher lists, got an array",
            "6:17: error: 'permissionMode' must be one of default, acceptEdits, bypassPermissions, dontAsk, auto, plan, got 'sometimes'",
            "13:12: warning: 'isolation' should be 'worktree', got 'container'",
        ])
        #expect(agent.maxTurns == nil && agent.color == nil && agent.tools == nil)
    }

    @Test func requiredFields() {
        var d = Diagnostics()
        #expect(AgentParser.parse(Array("---\nname:\nmaxTurns: x\n---\n".utf8), file: "agents/a.md", fromPlugin: false,
                                  diagnostics: &d) == nil)
        #expect(d.items.map(\.description) == [
            "agents/a.md:2:1: error: 'name' must not be empty",
            "agents/a.md:1:1: error: 'description' is required",
            "agents/a.md:3:11: error: 'maxTurns' must be a positive integer, got 'x'",
        ])

        var d2 = Diagnostics()
        #expect(AgentParser.parse(Array("You are an agent.\n".utf8), file: "a.md", fromPlugin: false,
                                  diagnostics: &d2) == nil)
        #expect(d2.lines == ["1:1: error: an agent file must start with YAML frontmatter ('---') holding 'name' and 'description'"])
    }

    @Test func toolSpellingsAndPermissionModes() throws {
        let text = "---\nname: a\ndescription: b\ntools: [Read, \"Agent(Explore, Plan)\"]\ndisallowedTools: Agent\n"
            + "permissionMode: yolo\nbackground: YES\neffort: 4000\n---\n"
        var d = Diagnostics()
        let agent = try #require(AgentParser.parse(Array(text.utf8), file: "a.md", fromPlugin: false, diagnostics: &d))
        #expect(d.lines == [])
        #expect(agent.tools == ["Read", "Agent(Explore, Plan)"])
        #expect(agent.disallowedTools == ["Agent"])
        #expect(agent.permissionMode == "bypassPermissions")
        #expect(agent.background == true)
        #expect(agent.effort == "4000")
        #expect(AgentParser.permissionMode("Dont_Ask") == "dontAsk")
        #expect(AgentParser.permissionMode("BYPASS-PERMISSIONS") == "bypassPermissions")
        #expect(AgentParser.permissionMode("never") == nil)
    }
}

@Suite struct CommandParserTests {
    @Test func goodCommand() throws {
        var d = Diagnostics()
        let command = try #require(CommandParser.parse(try frontmatterFixture("commands/git/commit.md"),
                                                       file: "commit.md", name: "git:commit", isSkillFolder: false,
                                                       diagnostics: &d))
        #expect(d.lines == ["4:16: warning: 'argument-hint' was read as a YAML list; quote it: argument-hint: \"[message]\""])
        #expect(command.name == "git:commit")
        #expect(command.label == "Commit helper")
        #expect(command.description == "Create a git commit" && !command.descriptionFromBody)
        #expect(command.argumentHint == "[message]")
        #expect(command.allowedTools == ["Bash(git add:*)", "Bash(git status:*)", "Bash(git commit:*)"])
        #expect(command.model == "haiku")
        #expect(command.disableModelInvocation == true)
        #expect(command.bodyLine == 9 && command.body.hasPrefix("## Context\n"))
    }

    @Test func withoutFrontmatterTheDescriptionComesFromTheBody() throws {
        var d = Diagnostics()
        let command = try #require(CommandParser.parse(Array("\n# Review the diff\n\nLook at it.\n".utf8),
                                                       file: "review.md", name: "review", isSkillFolder: false,
                                                       diagnostics: &d))
        #expect(d.lines == [])
        #expect(command.description == "Review the diff" && command.descriptionFromBody)
        #expect(command.body == "\n# Review the diff\n\nLook at it.\n" && command.bodyLine == 1)
        #expect(command.frontmatter == nil)
    }

    @Test func wrongTypes() {
        var d = Diagnostics()
        let text = "---\ndescription: [a]\ndisable-model-invocation: sometimes\nallowed-tools: {a: 1}\nmodel: [x]\n---\n"
        #expect(CommandParser.parse(Array(text.utf8), file: "c.md", name: "c", isSkillFolder: true,
                                    diagnostics: &d)?.isSkillFolder == true)
        #expect(d.lines == [
            "2:14: error: 'description' must be a string, got an array",
            "4:16: error: 'allowed-tools' must be a string or a list of strings, got an object",
            "5:8: error: 'model' must be a string, got an array",
            "3:27: error: 'disable-model-invocation' must be a boolean (true or false), got 'sometimes'",
        ])
    }

    @Test func brokenYAMLReturnsNil() {
        var d = Diagnostics()
        #expect(CommandParser.parse(Array("---\ndescription: \"open\n---\nbody".utf8), file: "c.md", name: "c",
                                    isSkillFolder: false, diagnostics: &d) == nil)
        #expect(d.hasErrors)
    }
}

@Suite struct OutputStyleParserTests {
    @Test func defaultsAndFields() throws {
        var d = Diagnostics()
        let plain = try #require(OutputStyleParser.parse(Array("Be terse.\n".utf8), file: "terse.md",
                                                         defaultName: "terse", diagnostics: &d))
        #expect(plain.name == "terse" && plain.description == nil && plain.body == "Be terse.\n")

        let text = "---\nname: Explanatory\ndescription: Explains choices\nkeep-coding-instructions: true\n---\nExplain.\n"
        let style = try #require(OutputStyleParser.parse(Array(text.utf8), file: "e.md", defaultName: "e",
                                                         diagnostics: &d))
        #expect(style.name == "Explanatory" && style.description == "Explains choices")
        #expect(style.keepCodingInstructions == true && style.bodyLine == 6)
        #expect(d.lines == [])

        var d2 = Diagnostics()
        _ = OutputStyleParser.parse(Array("---\nname: [x]\n---\n".utf8), file: "e.md", defaultName: "e",
                                    diagnostics: &d2)
        #expect(d2.lines == ["2:7: error: 'name' must be a string, got an array"])
    }
}

@Suite struct FieldHelperTests {
    @Test func flexibleBooleans() {
        for t in ["true", "TRUE", "yes", "On", "1"] { #expect(FlexibleBool.parse(t) == true) }
        for t in ["false", "No", "OFF", "0"] { #expect(FlexibleBool.parse(t) == false) }
        for t in ["", "y", "2", "maybe"] { #expect(FlexibleBool.parse(t) == nil) }
        #expect(Node(.number("1"), line: 1, column: 1, text: "1").flexibleBool == true)
        #expect(Node(.array([]), line: 1, column: 1).flexibleBool == nil)
    }

    @Test func toolListSplitting() {
        #expect(ToolList.split("Read, Grep,Glob") == ["Read", "Grep", "Glob"])
        #expect(ToolList.split("Read Bash(git add:*) Agent(Explore, Plan)") == ["Read", "Bash(git add:*)", "Agent(Explore, Plan)"])
        #expect(ToolList.split(" , ") == [])
    }

    @Test func descriptionFromBody() {
        #expect(firstLineDescription("\n\n## Heading here\ntext") == "Heading here")
        #expect(firstLineDescription("#hashtag") == "#hashtag")
        #expect(firstLineDescription(String(repeating: "x", count: 150)) == String(repeating: "x", count: 97) + "...")
        #expect(firstLineDescription("  \n") == nil)
    }
}
