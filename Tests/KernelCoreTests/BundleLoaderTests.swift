import Foundation
import Testing
@testable import KernelCore

@Suite struct BundleLoaderTests {
    func messages(_ bundle: PluginBundle, under root: String) -> [String] {
        bundle.diagnostics.map { d in
            var s = d.description
            if s.hasPrefix(root + "/") { s.removeFirst(root.count + 1) }
            return s
        }
    }

    @Test func conventionFoldersAndCommandNaming() throws {
        let t = try TempDirectory()
        try t.write("p/commands/top.md", "Top command.\n")
        try t.write("p/commands/git/commit.md", "---\ndescription: Commit\n---\nCommit.\n")
        try t.write("p/commands/git/deep/push.md", "Push.\n")
        // A folder holding SKILL.md is one command; its sibling .md files are ignored.
        try t.write("p/commands/review/SKILL.md", "---\nname: review\ndescription: Review\n---\nReview.\n")
        try t.write("p/commands/review/notes.md", "Ignored.\n")
        try t.write("p/skills/greet/SKILL.md", "---\nname: greet\ndescription: Greets.\n---\n")
        try t.write("p/skills/not-a-skill/README.md", "no SKILL.md here\n")
        try t.write("p/agents/a.md", "---\nname: helper\ndescription: Helps.\n---\nPrompt\n")
        try t.write("p/output-styles/terse.md", "Be terse.\n")
        try t.write("p/bin/tool", "#!/bin/sh\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(bundle.name == "p")
        #expect(bundle.manifestFormat == .none)
        #expect(bundle.commands.map(\.name) == ["git:commit", "git:deep:push", "review", "top"])
        #expect(bundle.commands.first { $0.name == "review" }?.isSkillFolder == true)
        #expect(bundle.skills.map(\.name) == ["greet"])
        #expect(bundle.agents.map(\.name) == ["helper"])
        #expect(bundle.outputStyles.map(\.name) == ["terse"])
        #expect(bundle.binaries == [t.url("p/bin/tool")])
        #expect(bundle.isStrictlyValid, "\(messages(bundle, under: t.path))")
    }

    @Test func twoFilesResolvingToOneCommandNameIsAnError() throws {
        let t = try TempDirectory()
        try t.write("p/commands/a/b.md", "One.\n")
        try t.write("p/.claude-plugin/plugin.json", #"{"name": "p", "commands": ["./commands", "./extra/"]}"#)
        try t.write("p/extra/a/b.md", "Two.\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(messages(bundle, under: t.path) == [
            "p/extra/a/b.md:1:1: error: command 'a:b' is defined twice: by '\(t.url("p/commands/a/b.md"))' and by '\(t.url("p/extra/a/b.md"))'",
        ])
        #expect(bundle.commands.count == 1)
    }

    @Test func manifestPathsReplaceOrAddToConventionFolders() throws {
        let t = try TempDirectory()
        try t.write("p/.qoder-plugin/plugin.json", """
            {"name": "p", "commands": "./cmds", "skills": ["./more-skills"], "agents": "./bots/one.md"}
            """)
        try t.write("p/commands/ignored.md", "Replaced by ./cmds.\n")
        try t.write("p/cmds/used.md", "Used.\n")
        try t.write("p/skills/base/SKILL.md", "---\nname: base\ndescription: Base.\n---\n")
        try t.write("p/more-skills/extra/SKILL.md", "---\nname: extra\ndescription: Extra.\n---\n")
        try t.write("p/agents/ignored.md", "---\nname: ignored\ndescription: x\n---\n")
        try t.write("p/bots/one.md", "---\nname: one\ndescription: One.\n---\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(bundle.manifestFormat == .qoder)
        #expect(bundle.commands.map(\.name) == ["used"])
        #expect(bundle.skills.map(\.name) == ["base", "extra"])
        #expect(bundle.agents.map(\.name) == ["one"])
        #expect(bundle.isValid)
    }

    @Test func pathsMayNotLeaveThePluginRootEvenThroughASymlink() throws {
        let t = try TempDirectory()
        try t.write("outside/x/SKILL.md", "---\nname: x\ndescription: Outside.\n---\n")
        try t.write("p/.qoder-plugin/plugin.json", "{\n  \"name\": \"p\",\n  \"skills\": \"./link\",\n  \"commands\": \"../outside\"\n}\n")
        try FileManager.default.createSymbolicLink(atPath: t.url("p/link"), withDestinationPath: t.url("outside"))
        let bundle = BundleLoader.load(at: t.url("p"))
        let m = messages(bundle, under: t.path)
        #expect(m.contains("p/.qoder-plugin/plugin.json:3:13: error: 'skills' path './link' resolves to '\(t.url("outside"))', outside the plugin root"))
        #expect(m.contains { $0.hasPrefix("p/.qoder-plugin/plugin.json:4:15: error: ") && $0.contains("../outside") })
        #expect(bundle.skills.isEmpty && bundle.commands.isEmpty)
    }

    @Test func missingManifestPathIsAnError() throws {
        let t = try TempDirectory()
        try t.write("p/.qoder-plugin/plugin.json", #"{"name": "p", "agents": "./nowhere"}"#)
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(messages(bundle, under: t.path).contains("p/.qoder-plugin/plugin.json:1:25: error: 'agents' path './nowhere' does not exist"))
    }

    @Test func aBrokenComponentDoesNotHideTheOthers() throws {
        let t = try TempDirectory()
        try t.write("p/skills/bad/SKILL.md", "---\nname: bad\ndescription: [unclosed\n---\n")
        try t.write("p/skills/good/SKILL.md", "---\nname: good\ndescription: Fine.\n---\n")
        try t.write("p/hooks/hooks.json", "[]")
        try t.write("p/.mcp.json", #"{"srv": {"command": "run"}}"#)
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(!bundle.isValid)
        #expect(bundle.skills.map(\.name) == ["good"])
        #expect(bundle.mcpServers.map(\.name) == ["srv"])
        #expect(bundle.diagnostics.contains { $0.location.file.hasSuffix("skills/bad/SKILL.md") && $0.severity == .error })
        #expect(bundle.diagnostics.contains { $0.location.file.hasSuffix("hooks/hooks.json") && $0.severity == .error })
    }

    @Test func emptyFolderHasNoComponentsButIsValid() throws {
        let t = try TempDirectory()
        try t.mkdir("empty")
        let bundle = BundleLoader.load(at: t.url("empty"))
        #expect(bundle.isValid && !bundle.hasComponents)
        #expect(bundle.diagnostics.map(\.severity) == [.note])
    }

    @Test func marketplaceEntriesAreLoadedAndStrictFalseSuppliesComponents() throws {
        let t = try TempDirectory()
        try t.write("m/.claude-plugin/marketplace.json", """
            {"name": "m", "owner": {"name": "o"}, "plugins": [
              {"name": "a", "source": "./plugins/a"},
              {"name": "b", "source": "./plugins/b", "strict": false, "commands": ["./custom/"]},
              {"name": "gone", "source": "./plugins/gone"},
              {"name": "remote", "source": {"source": "github", "repo": "o/r"}}
            ]}
            """)
        try t.write("m/plugins/a/skills/s/SKILL.md", "---\nname: s\ndescription: S.\n---\n")
        try t.write("m/plugins/b/custom/c.md", "C.\n")
        try t.write("m/plugins/b/commands/ignored.md", "Not used: the entry's commands replace the folder.\n")
        let market = MarketplaceLoader.load(at: t.url("m"))
        #expect(market.name == "m")
        #expect(market.plugins.map(\.entry.name) == ["a", "b", "gone", "remote"])
        #expect(market.plugins[0].bundle?.skills.map(\.name) == ["s"])
        #expect(market.plugins[1].bundle?.commands.map(\.name) == ["c"])
        #expect(market.plugins[1].bundle?.manifestFormat == .marketplaceEntry)
        #expect(market.plugins[2].bundle == nil)
        #expect(market.plugins[2].diagnostics.map(\.message) == ["plugin source './plugins/gone' of 'gone' is not a folder in the marketplace"])
        #expect(market.plugins[2].diagnostics.first?.location.line == 4)
        #expect(market.plugins[3].bundle == nil && market.plugins[3].diagnostics.isEmpty)
        #expect(!market.isValid)
    }
}
