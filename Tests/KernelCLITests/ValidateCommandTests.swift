import Foundation
import Testing

@Suite struct ValidateCommandTests {
    @Test func helloWorldBundleIsValidAndListsEveryComponentKind() async throws {
        let run = try await kernel(["plugins", "validate", "Plugins/hello-world"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout == """
            Plugin hello-world 1.0.0 (Plugins/hello-world)
              manifest: .qoder-plugin/plugin.json
              commands (2): /git:summary, /hello
              skills (1): greet
              agents (1): greeter
              hooks (2): SessionStart, PreToolUse
              MCP servers (1): hello
              output styles (1): Concise
              bin (1): hello-mcp
            Validation passed (0 errors, 0 warnings).

            """)
    }

    @Test func jsonReportHasTheDocumentedShape() async throws {
        let run = try await kernel(["plugins", "validate", "Plugins/hello-world", "--json"])
        #expect(run.status == 0)
        let report = try parseJSON(run.stdout)
        #expect(report["kind"] as? String == "plugin")
        #expect(report["name"] as? String == "hello-world")
        #expect(report["version"] as? String == "1.0.0")
        #expect(report["path"] as? String == "Plugins/hello-world")
        #expect(report["valid"] as? Bool == true)
        let components = try #require(report["components"] as? [String: [String]])
        #expect(components["commands"] == ["git:summary", "hello"])
        #expect(components["skills"] == ["greet"])
        #expect(components["agents"] == ["greeter"])
        #expect(components["hooks"] == ["SessionStart", "PreToolUse"])
        #expect(components["mcpServers"] == ["hello"])
        #expect(components["outputStyles"] == ["Concise"])
        #expect(components["modules"] == [])
        #expect((report["diagnostics"] as? [Any])?.isEmpty == true)
    }

    @Test func projectMarketplaceIsValid() async throws {
        let run = try await kernel(["plugins", "validate", "marketplace", "--json"])
        #expect(run.status == 0, "\(run.stdout)")
        let report = try parseJSON(run.stdout)
        #expect(report["kind"] as? String == "marketplace")
        #expect(report["name"] as? String == "kernel")
        let plugins = try #require(report["plugins"] as? [[String: Any]])
        #expect(plugins.map { $0["name"] as? String } == ["hello-world", "guard"])
        #expect(plugins.first?["valid"] as? Bool == true)
    }

    @Test func brokenBundleFailsWithCompilerStyleDiagnostics() async throws {
        let dir = try TempDir()
        try dir.write("skills/bad/SKILL.md", "---\nname: bad\n---\nBody\n")
        try dir.write(".qoder-plugin/plugin.json", "{\"name\": \"broken\", \"commands\": \"../outside\"}\n")
        let run = try await kernel(["plugins", "validate", dir.path])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(dir.path)/skills/bad/SKILL.md:") && $0.contains(": error: ") })
        #expect(lines.contains { $0.hasPrefix("\(dir.path)/.qoder-plugin/plugin.json:1:") && $0.contains(": error: ") })
        #expect(lines.last?.hasPrefix("Validation failed (2 errors") == true)
    }

    @Test func warningsFailOnlyWithStrict() async throws {
        let dir = try TempDir()
        try dir.write(".qoder-plugin/plugin.json", "{\"name\": \"w\", \"surprise\": 1}\n")
        try dir.write("commands/x.md", "Do x.\n")
        let plain = try await kernel(["plugins", "validate", dir.path])
        #expect(plain.status == 0, "\(plain.stdout)")
        #expect(plain.stdout.contains("warning: "))
        let strict = try await kernel(["plugins", "validate", dir.path, "--strict", "--json"])
        #expect(strict.status == 1)
        #expect(try parseJSON(strict.stdout)["valid"] as? Bool == false)
    }

    @Test func usageErrorsExitWith64() async throws {
        #expect(try await kernel(["plugins", "validate", "/nonexistent/path"]).status == 64)
        #expect(try await kernel(["plugins", "validate"]).status == 64)
        #expect(try await kernel(["plugins", "validate", "Plugins/hello-world", "--bogus"]).status == 64)
        #expect(try await kernel(["plugin", "validate", "Plugins/hello-world"]).status == 0)
    }

    @Test(.enabled(if: TestPaths.corpusAvailable, "needs ../shared/corpus"))
    func everyCorpusBundleAndMarketplaceValidatesWithoutError() async throws {
        let corpus = TestPaths.corpus
        var targets = [
            "claude-plugins-official", "apify-qoder-plugin", "apify-qoder-plugin/apify", "better-harness",
        ]
        for group in ["claude-plugins-official/plugins", "claude-plugins-official/external_plugins"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(group).path)
            targets += names.sorted().map { "\(group)/\($0)" }
        }
        for target in targets {
            let run = try await kernel(["plugins", "validate", corpus.appendingPathComponent(target).path, "--json"])
            let errors = run.stdout.split(separator: "\n").filter { $0.contains("\"severity\": \"error\"") }
            #expect(run.status == 0, "\(target): \(errors.count) errors\n\(run.stdout.prefix(4000))")
        }
    }
}
