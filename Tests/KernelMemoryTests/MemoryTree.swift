import Foundation
import KernelCore
import KernelHost
import KernelMemory

/// A real tree for the memory tests: a user root, a HOME, a git repository with nested projects and rules at
/// several levels (one rule reached through a symlink), and a plugin folder with instructions and rules.
final class MemoryTree {
    let dir: TempDirectory
    var root: String { dir.path }
    var home: String { dir.url("home") }
    var userHome: String { dir.url("userhome") }
    var repo: String { dir.url("repo") }
    var plugin: String { dir.url("plugin") }

    init() throws {
        dir = try TempDirectory()
        try dir.mkdir("userhome")
        try dir.write("home/AGENTS.md", "user memory\n")
        try dir.write("home/rules/md-desc.md", "---\ntrigger: model_decision\ndescription: Read for database work\n---\nDB rules\n")
        try dir.write("home/rules/style.md", "---\nalwaysApply: true\n---\nUser style\n")
        try dir.write("home/rules/ts.md", "---\npaths: \"**/*.ts\"\n---\nTypeScript rules\n")
        try dir.mkdir("repo/.git")
        try dir.write("repo/AGENTS.md", "Repo memory\n")
        try dir.write("repo/AGENTS.local.md", "Local notes\n")
        try dir.write("repo/.qoder/rules/00-root.md", "Root rule, no frontmatter\n")
        try dir.write("repo/.qoder/rules/api/handlers.md", "---\ntrigger: glob\nglob: packages/api/**\n---\nHandler rules\n")
        try dir.write("repo/.qoder/rules/manual.md", "---\ntrigger: manual\n---\nRelease checklist\n")
        try dir.write("repo/packages/AGENTS.md", "Packages memory\n")
        try dir.write("repo/packages/.qoder/rules/pkg.md", "---\nalwaysApply: true\n---\nPackage rule\n")
        try FileManager.default.createSymbolicLink(atPath: dir.url("repo/packages/.qoder/rules/dup.md"),
                                                   withDestinationPath: "../../../.qoder/rules/00-root.md")
        try dir.write("repo/packages/app/AGENTS.md", "App memory\n")
        try dir.write("repo/packages/app/.qoder/rules/app.md", "---\ntrigger: always_on\n---\nApp rule\n")
        try dir.write("repo/packages/app/.qoder/rules/tsx.md", "---\npaths:\n  - src/*.tsx\n---\nTSX rule\n")
        try dir.write("repo/packages/app/src/main.tsx", "export {}\n")
        try dir.write("repo/packages/api/AGENTS.md", "API memory\n")
        try dir.write("plugin/.qoder-plugin/plugin.json", #"{"name": "lint", "version": "1.0.0"}"#)
        try dir.write("plugin/QODER.md", "Lint plugin instructions\n")
        try dir.write("plugin/rules/plugin-rule.md", "Plugin rule\n")
        try dir.write("plugin/rules/plugin-glob.md", "---\npaths: \"**/*.tsx\"\n---\nPlugin TSX rule\n")
        try dir.write("plugin/commands/lint.md", "Lint it\n")
    }

    /// A host for a session in `cwd` (relative to the tree).
    func host(cwd: String) throws -> PluginHost {
        try PluginHost(paths: KernelPaths(home: home, environment: ["HOME": userHome], cwd: dir.url(cwd)))
    }

    func trust(_ relative: String) throws {
        let host = try self.host(cwd: relative)
        try host.store.trust(dir.url(relative))
    }

    /// `source kind path loadReason` rows, paths relative to the tree.
    func rows(_ items: [MemoryItem]) -> [String] {
        items.map { "\($0.source) \($0.mode?.rawValue ?? $0.kind.rawValue) \(String($0.path.dropFirst(root.count + 1))) \($0.loadReason)" }
    }
}
