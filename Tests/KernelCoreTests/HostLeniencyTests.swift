import Foundation
import Testing
import KernelCore

/// What the Qoder CLI or Claude Code loads validates with warnings, each with its exact diagnostic.
@Suite struct HostLeniencyTests {
    static func lines(_ bundle: PluginBundle, _ root: String) -> [String] {
        bundle.diagnostics.map { $0.description.replacingOccurrences(of: root + "/", with: "") }
    }

    @Test func skillNamesWithCapitalsSpacesOrSlashAreWarnings() throws {
        let dir = try TempDirectory()
        try dir.write("p/skills/s1/SKILL.md", "---\nname: My Skill\ndescription: d\n---\nbody\n")
        try dir.write("p/skills/team-deploy/SKILL.md", "---\nname: team/deploy\ndescription: d\n---\nbody\n")
        let bundle = BundleLoader.load(at: dir.url("p"))
        #expect(bundle.isValid)
        #expect(!bundle.isStrictlyValid)
        #expect(bundle.skills.map(\.name) == ["My Skill", "team/deploy"])
        let rule = "(the Agent Skills naming rule, an error under --strict)"
        #expect(Self.lines(bundle, dir.url("p")) == [
            "skills/s1/SKILL.md:2:7: warning: skill name 'My Skill' must be lowercase; hosts load it as 'My Skill' \(rule)",
            "skills/s1/SKILL.md:2:7: warning: skill name 'My Skill' does not match its folder 's1'",
            "skills/team-deploy/SKILL.md:2:7: warning: skill name 'team/deploy' contains '/'; only lowercase letters a-z, digits and '-' are allowed; hosts load it as 'team/deploy' \(rule)",
            "skills/team-deploy/SKILL.md:2:7: warning: skill name 'team/deploy' does not match its folder 'team-deploy'",
        ])
    }

    @Test func mcpPlaceholdersNeedConfigurationAndMcpJsonWithoutTheDotIsRead() throws {
        let dir = try TempDirectory()
        try dir.write("p/mcp.json", """
            {"mcpServers": {
              "empty": {"type": "http", "url": ""},
              "placeholder": {"type": "sse", "url": "{{USER_CONFIG}}"},
              "streaming": {"type": "streamable-http", "url": "https://example.com/mcp"},
              "socket": {"type": "ws", "url": "wss://example.com/mcp"}
            }}
            """)
        let bundle = BundleLoader.load(at: dir.url("p"))
        #expect(bundle.isValid)
        #expect(bundle.mcpServers.map(\.name) == ["empty", "placeholder", "streaming", "socket"])
        #expect(bundle.mcpServers.map(\.transport) == [.http, .sse, .http, .ws])
        #expect(bundle.mcpServers.map(\.needsConfiguration) == [
            "needs configuration: 'url' is empty", "needs configuration: 'url' is the placeholder {{USER_CONFIG}}", nil, nil,
        ])
        #expect(Self.lines(bundle, dir.url("p")) == [
            "mcp.json:2:36: warning: MCP server 'empty': 'url' is empty; it is listed as needing configuration and does not run until the url is set",
            "mcp.json:3:41: warning: MCP server 'placeholder': 'url' is the placeholder {{USER_CONFIG}}; it is listed as needing configuration and does not run until the url is set",
        ])
    }

    @Test func workflowsCountAsContent() throws {
        let dir = try TempDirectory()
        try dir.write("p/workflows/audit.js", "export const meta = {name: 'audit'}\n")
        let bundle = BundleLoader.load(at: dir.url("p"))
        #expect(bundle.hasComponents)
        #expect(bundle.workflows.map(FileSystem.baseName) == ["audit.js"])
        #expect(bundle.diagnostics.isEmpty)
    }

    @Test func agentDescriptionWithUnindentedExampleBlocks() throws {
        let dir = try TempDirectory()
        try dir.write("p/agents/reviewer.md", """
            ---
            name: reviewer
            description: Use this agent when the user asks for a review.

            <example>
            Context: The user wrote code.
            user: "Please review this"
            assistant: "I'll use the reviewer agent."
            <commentary>A review was asked for.</commentary>
            </example>
            model: inherit
            color: blue
            ---
            You review.

            """)
        let bundle = BundleLoader.load(at: dir.url("p"))
        #expect(bundle.isValid)
        let agent = try #require(bundle.agents.first)
        #expect(agent.description == "Use this agent when the user asks for a review.\n\n<example>\nContext: The user wrote code.\n"
                + "user: \"Please review this\"\nassistant: \"I'll use the reviewer agent.\"\n<commentary>A review was asked for.</commentary>\n</example>")
        #expect(agent.model == "inherit")
        #expect(Self.lines(bundle, dir.url("p")) == [
            "agents/reviewer.md:3:14: warning: value of 'description' goes on over unindented lines (<example> blocks) and is not valid YAML — it was read up to the next key with its lines kept, as Claude Code reads it — indent those lines under description: |",
        ])
    }

    @Test func marketplaceSourceDotAndAFolderThatIsBoth() throws {
        let dir = try TempDirectory()
        try dir.write("m/.claude-plugin/plugin.json", #"{"name": "both", "version": "1.0.0", "description": "d"}"#)
        try dir.write("m/.claude-plugin/marketplace.json",
                      #"{"name": "mk", "owner": {"name": "o"}, "plugins": [{"name": "both", "source": ".", "description": "d"}]}"#)
        try dir.write("m/skills/x/SKILL.md", "---\nname: x\ndescription: d\n---\nb\n")
        let market = MarketplaceLoader.load(at: dir.url("m"))
        #expect(market.allDiagnostics.isEmpty, "\(market.allDiagnostics)")
        #expect(market.plugins.map(\.entry.name) == ["both"])
        #expect(market.plugins.first?.bundle?.skills.map(\.name) == ["x"])
        // And as a plugin.
        #expect(BundleLoader.load(at: dir.url("m")).skills.map(\.name) == ["x"])

        try dir.write("r/.claude-plugin/marketplace.json",
                      #"{"name": "mk", "owner": {"name": "o"}, "metadata": {"pluginRoot": "./plugins"}, "plugins": [{"name": "p1", "source": "./p1", "description": "d"}]}"#)
        try dir.write("r/plugins/p1/skills/x/SKILL.md", "---\nname: x\ndescription: d\n---\nb\n")
        let rooted = MarketplaceLoader.load(at: dir.url("r"))
        #expect(rooted.plugins.first?.bundle?.skills.map(\.name) == ["x"])
        #expect(rooted.plugins.allSatisfy { $0.isValid })
    }
}

extension HostLeniencyTests {
    @Test func unindentedDescriptionAtTheEndOfTheFrontmatter() throws {
        let dir = try TempDirectory()
        // The frontmatter ends inside the continuation (no key after it), and a blank last line.
        try dir.write("p/agents/a.md", "---\nname: a\ndescription: Reviews.\n<example>\nuser: \"x\"\n</example>\n\n---\nBody\n")
        let bundle = BundleLoader.load(at: dir.url("p"))
        #expect(bundle.agents.first?.description == "Reviews.\n<example>\nuser: \"x\"\n</example>")
        #expect(bundle.isValid)
    }
}
