import Foundation
import Testing
@testable import KernelCore

/// Parses every SKILL.md, agent and command of the real bundles in `../shared/corpus` (next to the repository)
/// and expects no errors: hosts load all of them.
@Suite struct CorpusFrontmatterTests {
    static let corpus: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // KernelCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // its parent
        .appendingPathComponent("shared/corpus")

    struct Files {
        var skills: [URL] = []
        var agents: [URL] = []
        var commands: [URL] = []
    }

    /// SKILL.md anywhere; `agents/*.md` not inside a skill folder; `.md` anywhere under a `commands` folder.
    static func collect() -> Files? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: corpus.path),
              let walker = fm.enumerator(at: corpus, includingPropertiesForKeys: nil) else { return nil }
        var files = Files()
        for case let url as URL in walker where url.pathExtension == "md" {
            let parts = url.pathComponents
            if url.lastPathComponent == "SKILL.md" {
                files.skills.append(url)
            } else if parts.dropLast().last == "agents" && !parts.contains("skills") {
                files.agents.append(url)
            } else if parts.dropLast().contains("commands") {
                files.commands.append(url)
            }
        }
        return files
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    @Test func everyCorpusFileParsesWithoutErrors() throws {
        guard let files = Self.collect() else {
            print("CorpusFrontmatterTests: skipped, no corpus at \(Self.corpus.path)")
            return
        }
        #expect(files.skills.count > 10 && files.agents.count > 10 && files.commands.count > 10)
        var diagnostics = Diagnostics()
        var parsed = 0
        for url in files.skills {
            if SkillParser.parse(try Self.bytes(url), file: url.path, folderName: url.deletingLastPathComponent().lastPathComponent,
                                 diagnostics: &diagnostics) != nil { parsed += 1 }
        }
        for url in files.agents {
            if AgentParser.parse(try Self.bytes(url), file: url.path, fromPlugin: true, diagnostics: &diagnostics) != nil {
                parsed += 1
            }
        }
        for url in files.commands {
            let name = url.deletingPathExtension().lastPathComponent
            if CommandParser.parse(try Self.bytes(url), file: url.path, name: name, isSkillFolder: false,
                                   diagnostics: &diagnostics) != nil { parsed += 1 }
        }
        if ProcessInfo.processInfo.environment["DUMP_CORPUS"] != nil {
            for d in diagnostics.items { print("CORPUS", d) }
        }
        let errors = diagnostics.items.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
        #expect(parsed == files.skills.count + files.agents.count + files.commands.count)
    }

    /// The real file that trips strict YAML: read through the lenient retry, with one warning on line 3.
    @Test func lenientRetryOnARealAgent() throws {
        let url = Self.corpus.appendingPathComponent(
            "claude-plugins-official/plugins/pr-review-toolkit/agents/silent-failure-hunter.md")
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("CorpusFrontmatterTests: skipped, \(url.path) absent")
            return
        }
        var diagnostics = Diagnostics()
        let agent = try #require(AgentParser.parse(try Self.bytes(url), file: "a.md", fromPlugin: true,
                                                   diagnostics: &diagnostics))
        #expect(agent.name == "silent-failure-hunter")
        #expect(agent.description.hasPrefix("Use this agent when reviewing code changes"))
        #expect(agent.description.contains("Daisy: \"Please review PR #1234\""))
        let lenient = diagnostics.items.filter { $0.message.hasPrefix("value of 'description' contains ': '") }
        #expect(lenient.count == 1)
        #expect(lenient.first?.location.line == 3 && lenient.first?.location.column == 14)
        #expect(!diagnostics.hasErrors)
    }

    /// Around 300 skills must read well under a second; the corpus read ten times is a rough check.
    @Test func corpusReadsQuickly() throws {
        guard let files = Self.collect() else { return }
        let inputs = try files.skills.map { ($0, try Self.bytes($0)) }
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<10 {
                var diagnostics = Diagnostics()
                for (url, bytes) in inputs {
                    _ = SkillParser.parse(bytes, file: url.path, folderName: "x", diagnostics: &diagnostics)
                }
            }
        }
        // The figure is validate_bench.py's; tests assert no wall-clock bounds, so this only reports it.
        let parsed = inputs.count { (url, bytes) in
            var diagnostics = Diagnostics()
            return SkillParser.parse(bytes, file: url.path, folderName: "x", diagnostics: &diagnostics) != nil
        }
        #expect(parsed == inputs.count, "\(inputs.count * 10) skills read in \(elapsed)")
    }
}
