import Foundation
import Testing
@testable import KernelCore

/// Every plugin.json, hooks/hooks.json, .mcp.json and marketplace.json of the real bundles under
/// `<repo>/../shared/corpus` must read with zero errors (warnings are allowed and printed).
@Suite struct CorpusManifestTests {
    static var corpusRoot: URL? {
        // Tests/KernelCoreTests/<this file> → repo root → ../shared/corpus
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let corpus = repo.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: corpus.path) ? corpus : nil
    }

    static func files(named names: Set<String>, under root: URL) -> [URL] {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [URL] = []
        for case let url as URL in e where names.contains(url.lastPathComponent) {
            out.append(url)
        }
        return out.sorted { $0.path < $1.path }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    @Test func everyCorpusFileReadsWithoutErrors() throws {
        guard let root = Self.corpusRoot else {
            print("corpus not found; skipping")
            return
        }
        let files = Self.files(named: ["plugin.json", "hooks.json", ".mcp.json", "marketplace.json"], under: root)
        #expect(files.count >= 60)
        var d = Diagnostics()
        var counts: [String: Int] = [:]
        for url in files {
            let b = try Self.bytes(url)
            let path = url.path
            switch url.lastPathComponent {
            case "plugin.json":
                let m = ManifestParser.parse(b, file: path, diagnostics: &d)
                #expect(m != nil, "\(path)")
                counts["plugin", default: 0] += 1
            case "hooks.json":
                let groups = HooksParser.parseHooksFile(b, file: path, diagnostics: &d)
                #expect(!groups.isEmpty, "\(path)")
                counts["hooks", default: 0] += groups.count
            case ".mcp.json":
                let servers = MCPParser.parseFile(b, file: path, diagnostics: &d)
                #expect(!servers.isEmpty, "\(path)")
                counts["mcp", default: 0] += servers.count
            default:
                let market = MarketplaceParser.parse(b, file: path, diagnostics: &d)
                #expect(market != nil, "\(path)")
                counts["entries", default: 0] += market?.plugins.count ?? 0
            }
        }
        for item in d.items { print(item) }
        #expect(d.errorCount == 0, "\(d.items.filter { $0.severity == .error }.map(\.description))")
        print(counts)
    }

    @Test func officialMarketplaceHasEveryEntry() throws {
        guard let root = Self.corpusRoot else { return }
        let url = root.appendingPathComponent("claude-plugins-official/.claude-plugin/marketplace.json")
        var d = Diagnostics()
        let market = try #require(MarketplaceParser.parse(try Self.bytes(url), file: url.path, diagnostics: &d))
        #expect(d.errorCount == 0)
        #expect(market.name == "claude-plugins-official")
        #expect(market.owner == Author(name: "Anthropic", email: "support@anthropic.com"))
        #expect(market.plugins.count == 286)
        #expect(market.renames?["vals"]?.string == "valtown")
        var kinds: [String: Int] = [:]
        for entry in market.plugins {
            switch entry.source {
            case .relative: kinds["relative", default: 0] += 1
            case .github: kinds["github", default: 0] += 1
            case .url: kinds["url", default: 0] += 1
            case .gitSubdir: kinds["git-subdir", default: 0] += 1
            case .npm: kinds["npm", default: 0] += 1
            case .archive: kinds["archive", default: 0] += 1
            }
        }
        // 4 `url` sources carry a `path` and are read as git-subdir.
        #expect(kinds == ["relative": 53, "url": 146, "git-subdir": 87])
        let clangd = try #require(market.plugins.first { $0.name == "clangd-lsp" })
        #expect(clangd.strict == false)
        #expect(clangd.manifest.lspServers?["clangd"]?["command"]?.string == "clangd")
        let amd = try #require(market.plugins.first { $0.name == "amd-skills" })
        #expect(amd.manifest.skills?.first?.path == "./local-ai-use")
        if case .gitSubdir(let url, let path, let ref, let sha) = amd.source {
            #expect(url == "https://github.com/amd/skills.git" && path == "skills" && ref == "main")
            #expect(sha == "b641e5fbd17ec2bf8a8f1256dc3acbd7f97b0ce4")
        } else {
            Issue.record("amd-skills should be git-subdir, got \(amd.source)")
        }
    }
}
