import Foundation
import Testing

/// `kernel mcp add|add-json|remove|get`: the reference host's files and keys, and bad input.
@Suite struct MCPCommandTests {
    @Test func addWritesTheReferenceShapeAtEachScope() async throws {
        let box = try Sandbox()
        try await box.ok(["mcp", "add", "foo", "-e", "A=1", "--", "npx", "-y", "pkg", "arg"])
        // Byte for byte what qodercli 1.1.76 writes for the same command.
        #expect(read(box.settingsPath(.local)) == """
            {
              "mcpServers": {
                "foo": {
                  "command": "npx",
                  "args": [
                    "-y",
                    "pkg",
                    "arg"
                  ],
                  "env": {
                    "A": "1"
                  }
                }
              }
            }

            """)
        try await box.ok(["mcp", "add", "web", "-t", "http", "-H", "X-Key: v", "https://example.com/mcp", "-s", "user"])
        let user = try parseJSON(try #require(read(box.settingsPath(.user))))
        #expect(NSDictionary(dictionary: user) == ["mcpServers": ["web": ["type": "http", "url": "https://example.com/mcp", "headers": ["X-Key": "v"]]]])
        try await box.ok(["mcp", "add-json", "j", #"{"type": "stdio", "command": "x"}"#, "-s", "project"])
        let project = try parseJSON(try #require(read(box.project + "/.mcp.json")))
        #expect(NSDictionary(dictionary: project) == ["mcpServers": ["j": ["type": "stdio", "command": "x"]]])

        let got = try parseJSON(try await box.ok(["mcp", "get", "web", "--json"]))
        #expect(got["scope"] as? String == "user")
        #expect((got["server"] as? [String: Any])?["url"] as? String == "https://example.com/mcp")

        try await box.ok(["trust"])
        let names = try await box.listing(["mcp", "list"]).map { $0["name"] as? String }
        #expect(Set(names.compactMap { $0 }) == ["foo", "web", "j"])
    }

    @Test func removeIsAmbiguousAcrossScopesWithoutDashS() async throws {
        let box = try Sandbox()
        try await box.ok(["mcp", "add", "foo", "--", "a"])
        try await box.ok(["mcp", "add", "foo", "-s", "user", "--", "b"])
        let r = try await box.run(["mcp", "remove", "foo"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: MCP server \"foo\" is defined in several scopes (local, user); choose one with -s\n")
        try await box.ok(["mcp", "remove", "foo", "-s", "user"])
        #expect(read(box.settingsPath(.user))?.contains("foo") == false)
        try await box.ok(["mcp", "remove", "foo"])
        let gone = try await box.run(["mcp", "get", "foo"])
        #expect(gone.status == 1)
        #expect(gone.stderr == "error: No MCP server named \"foo\" in the user, project or local configuration.\n")
    }

    @Test func badInput() async throws {
        let box = try Sandbox()
        let noCommand = try await box.run(["mcp", "add", "x"])
        #expect(noCommand.status == 1)
        #expect(noCommand.stderr.hasPrefix("error: mcp add needs a command (stdio) or a URL (sse, http, ws) after the name"))

        let urlForStdio = try await box.run(["mcp", "add", "x", "-t", "stdio", "https://example.com"])
        #expect(urlForStdio.status == 1)
        #expect(urlForStdio.stderr == "error: 'https://example.com' is a URL, but the transport is stdio, which runs a command; "
                + "use -t http, -t sse or -t ws for a remote server\n")

        let badJSON = try await box.run(["mcp", "add-json", "x", "{\"type\":\n \"http\", }", "--json"])
        #expect(badJSON.status == 1)
        let error = try parseJSON(badJSON.stdout)
        #expect(error["code"] as? String == "invalid_input")
        #expect((error["message"] as? String)?.hasPrefix("invalid JSON at line 2, column 10: trailing comma") == true, "\(badJSON.stdout)")

        let badScope = try await box.run(["mcp", "add", "x", "-s", "global", "--", "a"])
        #expect(badScope.status == 64)
        #expect(badScope.stderr.contains("The value 'global' is invalid for '-s <scope>'. Please provide one of 'user', 'project' or 'local'."))

        let invalidServer = try await box.run(["mcp", "add-json", "x", #"{"type": "stdio"}"#])
        #expect(invalidServer.status == 1)
        #expect(invalidServer.stderr.contains("error: MCP server 'x' is not valid: MCP server 'x' (stdio) is missing required key 'command'"))

        let unknown = try await box.run(["mcp", "remove", "nothing"])
        #expect(unknown.status == 1)
        // Nothing was written by any of these.
        #expect(!exists(box.settingsPath(.local)) && !exists(box.settingsPath(.user)) && !exists(box.project + "/.mcp.json"))
    }
}
