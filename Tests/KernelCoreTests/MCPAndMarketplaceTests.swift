import Testing
@testable import KernelCore

@Suite struct MCPParserTests {
    func parse(_ json: String) -> ([MCPServerDefinition], [String]) {
        var d = Diagnostics()
        let s = MCPParser.parseFile(bytes(json), file: ".mcp.json", diagnostics: &d)
        return (s, printed(d))
    }

    @Test func wrappedShape() {
        let (servers, diags) = parse("""
        {"mcpServers": {
          "apify": {"type": "streamable-http", "url": "https://mcp.apify.com"},
          "local": {"command": "bun", "args": ["run", "start"], "env": {"K": "v"}, "cwd": "./srv"},
          "events": {"type": "sse", "url": "https://e", "headers": {"A": "b"}}
        }}
        """)
        #expect(diags == [])
        #expect(servers.map(\.name) == ["apify", "local", "events"])
        #expect(servers.map(\.transport) == [.http, .stdio, .sse])
        #expect(servers[0].url == "https://mcp.apify.com" && servers[0].line == 2 && servers[0].column == 3)
        #expect(servers[1].command == "bun" && servers[1].args == ["run", "start"] && servers[1].env == ["K": "v"])
        #expect(servers[1].cwd == "./srv" && servers[1].file == ".mcp.json")
        #expect(servers[2].headers == ["A": "b"])
    }

    @Test func flatShape() {
        let (servers, diags) = parse("""
        {
          "playwright": {"command": "npx", "args": ["@playwright/mcp@latest"]},
          "linear": {"type": "http", "url": "https://mcp.linear.app/mcp"}
        }
        """)
        #expect(diags == [])
        #expect(servers.map(\.name) == ["playwright", "linear"])
        #expect(servers.map(\.transport) == [.stdio, .http])
    }

    @Test func stdioWithoutCommandAndBadArgs() {
        let (servers, diags) = parse("""
        {
          "a": {"type": "stdio", "args": ["x"]},
          "b": {"command": "run", "args": "--fast"},
          "c": {"command": "run", "args": ["ok", 2]},
          "d": {"url": "https://x"},
          "e": {"type": "grpc", "url": "https://x"},
          "f": {"type": "http"},
          "g": {},
          "h": "npx foo"
        }
        """)
        #expect(diags == [
            ".mcp.json:2:8: error: MCP server 'a' (stdio) is missing required key 'command'",
            ".mcp.json:3:35: error: 'args' must be an array of strings, got a string",
            ".mcp.json:4:42: error: 'args' must contain only strings, got a number",
            ".mcp.json:5:8: warning: MCP server 'd' has 'url' but no 'type'; it is treated as \"type\": \"http\"",
            ".mcp.json:6:17: error: unknown MCP server type 'grpc' for 'e'; expected one of stdio, http, sse, ws",
            ".mcp.json:7:8: error: MCP server 'f' (http) is missing required key 'url'",
            ".mcp.json:8:8: error: MCP server 'g' needs 'command' (a local stdio server) or 'type' and 'url' (a remote server)",
            ".mcp.json:9:8: error: MCP server 'h' must be an object, got a string",
        ])
        #expect(servers.map(\.name) == ["b", "c", "d"])
        #expect(servers[1].args == ["ok"])
    }

    @Test func rootMustBeAnObject() {
        #expect(parse("[]").1 == [".mcp.json:1:1: error: MCP configuration must be a JSON object, got an array"])
        #expect(parse("{\"mcpServers\": []}").1 == [".mcp.json:1:16: error: 'mcpServers' must be an object mapping server names to servers, got an array"])
    }
}

@Suite struct MarketplaceParserTests {
    func parse(_ json: String) -> (MarketplaceManifest?, [String]) {
        var d = Diagnostics()
        let m = MarketplaceParser.parse(bytes(json), file: "marketplace.json", diagnostics: &d)
        return (m, printed(d))
    }

    @Test func everySourceForm() throws {
        let (m, diags) = parse("""
        {
          "name": "team-tools",
          "owner": {"name": "Team", "email": "t@x"},
          "metadata": {"description": "meta desc", "version": "2.0.0", "pluginRoot": "./plugins"},
          "renames": {"old": "new"},
          "plugins": [
            {"name": "rel", "source": "./rel", "strict": false, "skills": ["./s"], "category": "Coding", "tags": ["a"]},
            {"name": "gh", "source": {"source": "github", "repo": "owner/repo", "ref": "v1"}},
            {"name": "git", "source": {"source": "url", "url": "https://g/x.git", "sha": "0123456789abcdef0123456789abcdef01234567"}},
            {"name": "sub", "source": {"source": "git-subdir", "url": "https://g/m.git", "path": "plugins/sub", "ref": "main"}},
            {"name": "sub2", "source": {"source": "git-subdir", "repo": "o/r", "path": "p"}},
            {"name": "pkg", "source": {"source": "npm", "package": "@s/p", "version": "^1.0.0", "registry": "https://r"}},
            {"name": "zip", "source": {"source": "archive", "url": "https://a/p.tar.gz"}}
          ]
        }
        """)
        #expect(diags == [])
        let market = try #require(m)
        #expect(market.name == "team-tools" && market.owner == Author(name: "Team", email: "t@x"))
        #expect(market.description == "meta desc" && market.version == "2.0.0" && market.pluginRoot == "./plugins")
        #expect(market.renames?["old"]?.string == "new")
        #expect(market.plugins.map(\.source) == [
            .relative("./rel"),
            .github(repo: "owner/repo", ref: "v1", sha: nil),
            .url(url: "https://g/x.git", ref: nil, sha: "0123456789abcdef0123456789abcdef01234567"),
            .gitSubdir(url: "https://g/m.git", path: "plugins/sub", ref: "main", sha: nil),
            .gitSubdir(url: "https://github.com/o/r.git", path: "p", ref: nil, sha: nil),
            .npm(package: "@s/p", version: "^1.0.0", registry: "https://r"),
            .archive(url: "https://a/p.tar.gz", sha256: nil),
        ])
        let rel = market.plugins[0]
        #expect(rel.strict == false && rel.category == "Coding" && rel.tags == ["a"])
        #expect(rel.manifest.skills?.map(\.path) == ["./s"])
        #expect(market.plugins[1].strict == true)
        #expect(rel.line == 7 && rel.column == 5)
    }

    @Test func duplicateNames() {
        let (m, diags) = parse("""
        {"name": "m", "owner": {"name": "o"}, "plugins": [
          {"name": "a", "source": "./a"},
          {"name": "b", "source": "./b"},
          {"name": "a", "source": "./a2"}
        ]}
        """)
        #expect(diags == ["marketplace.json:4:12: error: duplicate plugin name 'a' (first on line 2)"])
        #expect(m?.plugins.map(\.name) == ["a", "b"])
    }

    @Test func badSources() {
        let (m, diags) = parse("""
        {"name": "m", "owner": {"name": "o"}, "plugins": [
          {"name": "a", "source": "../outside"},
          {"name": "b", "source": "plugins/b"},
          {"name": "c", "source": {"source": "gitlab", "repo": "o/r"}},
          {"name": "d", "source": {"source": "github", "repo": "just-a-name"}},
          {"name": "e", "source": {"repo": "o/r"}},
          {"name": "f", "source": 7},
          {"name": "g"},
          {"name": "h", "source": {"source": "github", "repo": "o/r", "sha": "abc"}},
          {"name": "i", "source": {"source": "git-subdir", "url": "https://x", "path": "../up"}}
        ]}
        """)
        #expect(diags == [
            "marketplace.json:2:27: error: path '../outside' escapes the marketplace root",
            "marketplace.json:3:27: error: path 'plugins/b' must start with './'",
            "marketplace.json:4:38: error: unknown source type 'gitlab'; did you mean 'github'?; expected one of github, url, git-subdir, npm, archive",
            "marketplace.json:5:56: error: 'source.repo' must be 'owner/repo', got 'just-a-name'",
            "marketplace.json:6:27: error: 'source' object is missing required key 'source' (one of github, url, git-subdir, npm, archive)",
            "marketplace.json:7:27: error: 'source' must be a relative path or an object with 'source', got a number",
            "marketplace.json:8:3: error: plugin entry 'g' is missing required key 'source'",
            "marketplace.json:9:70: error: 'source.sha' must be 40 hexadecimal digits, got 'abc'",
            "marketplace.json:10:80: error: 'source.path' '../up' escapes the repository",
        ])
        #expect(m?.plugins.isEmpty == true)
    }

    @Test func refsAndUrlsStartingWithDashAreRefused() {
        let (m, diags) = parse("""
        {"name": "m", "owner": {"name": "o"}, "plugins": [
          {"name": "a", "source": {"source": "github", "repo": "o/r", "ref": "--upload-pack=evil"}},
          {"name": "b", "source": {"source": "url", "url": "-oProxyCommand=x"}}
        ]}
        """)
        #expect(diags == [
            "marketplace.json:2:70: error: source 'ref' '--upload-pack=evil' must not start with '-'",
            "marketplace.json:3:52: error: source 'url' '-oProxyCommand=x' must not start with '-'",
        ])
        #expect(m?.plugins.isEmpty == true)
    }

    @Test func requiredTopLevelKeys() {
        let (m, diags) = parse("{\"description\": \"x\"}")
        #expect(m == nil)
        #expect(diags == [
            "marketplace.json:1:1: error: marketplace manifest is missing required key 'name'",
            "marketplace.json:1:1: error: marketplace manifest is missing required key 'owner' (an object with 'name')",
            "marketplace.json:1:1: error: marketplace manifest is missing required key 'plugins'",
        ])
    }

    @Test func unknownKeysWarn() {
        let (m, diags) = parse("""
        {"name": "m", "owner": {"name": "o"}, "plugin": [], "plugins": [
          {"name": "a", "source": "./a", "sorce": 1}
        ]}
        """)
        #expect(m?.plugins.count == 1)
        #expect(diags == [
            "marketplace.json:1:39: warning: unknown marketplace key 'plugin'; did you mean 'plugins'?",
            "marketplace.json:2:34: warning: unknown key 'sorce' in plugin entry 'a'; did you mean 'source'?",
        ])
    }
}
