import ArgumentParser
import Testing
@testable import KernelCLI

/// The start-up fast path (`FastPath`) either declines (and the full parser runs) or builds exactly the command
/// the full parser builds from the same arguments.
@Suite struct FastPathTests {
    /// The fields of a command the fast path builds, whichever parser built it.
    static func fields(_ command: any ParsableCommand) -> [String] {
        func global(_ g: GlobalOptions) -> [String] { [g.home ?? "-", g.project ?? "-", "\(g.json)"] }
        func memory(_ o: MemoryOptionGroup) -> [String] { global(o.global) + [o.cwd ?? "-", o.pluginDirs.joined(separator: "|")] }
        if let list = command as? KernelCommand.Plugins.List {
            return ["list"] + global(list.global) + ["\(list.available)", list.pluginDirs.joined(separator: "|")]
        }
        if let search = command as? KernelCommand.Plugins.Search {
            return ["search"] + global(search.global) + [search.query.joined(separator: "|"), "\(search.limit)"]
        }
        if let show = command as? KernelCommand.Memory.Show {
            return ["memory show"] + memory(show.options) + [show.accessed.joined(separator: "|"), "\(show.noContent)"]
        }
        if let rules = command as? KernelCommand.Rules.List {
            return ["rules list"] + memory(rules.options)
        }
        if let validate = command as? KernelCommand.Plugins.Validate {
            return ["validate", validate.path, "\(validate.strict)", "\(validate.json)", validate.kind.rawValue]
        }
        return ["other: \(type(of: command))"]
    }

    @Test(arguments: [
        ["plugins", "list"],
        ["plugin", "list", "--json"],
        ["plugins", "list", "--json", "--home", "/h", "--project=/p"],
        ["plugins", "list", "--plugin-dir", "a", "b", "--json"],
        ["plugins", "list", "--available", "--home=/h"],
        ["plugins", "validate", "Plugins/hello-world"],
        ["plugins", "validate", "--json", "x"],
        ["plugins", "validate", "x", "--strict", "--as", "marketplace"],
        ["plugin", "validate", "--as=plugin", "dir with space", "--json"],
        ["plugins", "search", "lint"],
        ["plugins", "search", "code", "review", "--json", "--limit", "5"],
        // Words after a flag or a single-value option are positionals, in their place on the command line.
        ["plugins", "search", "--limit", "3", "c", "--json", "b", "a"],
        ["plugins", "search", "a", "--json", "b", "--home=/h", "c", "--limit=7"],
        ["plugins", "search", "--project", "/p", "x"],
        ["memory", "show"],
        ["memory", "show", "--json", "--no-content", "--cwd", "/w/d"],
        ["memory", "show", "--accessed", "a.ts", "b/c.md", "--cwd=/w", "--plugin-dir", "p1", "p2", "--json"],
        ["memory", "show", "--home", "/h", "--project", "/p", "--no-content"],
        ["rules", "list"],
        ["rules", "list", "--json", "--cwd", "/w", "--plugin-dir", "x"],
    ])
    func plainFormsGiveTheFullParsersCommand(_ arguments: [String]) throws {
        let fast = try #require(FastPath.command(arguments))
        let full = try KernelCommand.parseAsRoot(arguments)
        #expect(Self.fields(fast) == Self.fields(full))
    }

    /// Help, version, errors and every form outside the plain subset go to the full parser.
    @Test(arguments: [
        ["plugins"], ["plugins", "list", "--help"], ["plugins", "list", "-h"], ["plugins", "validate", "--help"],
        ["plugins", "list", "help"], ["plugins", "validate"], ["plugins", "validate", "a", "b"],
        ["plugins", "validate", "--as", "bogus", "x"], ["plugins", "validate", "--as"], ["plugins", "list", "--home"],
        ["plugins", "list", "--json", "--json"], ["plugins", "list", "--bogus"], ["plugins", "list", "stray"],
        ["plugins", "list", "--plugin-dir"], ["plugins", "list", "--plugin-dir=a"], ["plugins", "list", "--json=yes"],
        ["plugins", "validate", "--", "x"], ["plugins", "validate", "-x"], ["plugins", "validate", ""],
        ["plugins", "validate", "x", "--home", "/h"], ["plugins", "list", "--version"], ["plugins", "info", "x"],
        ["plugins", "list", "--plugin-dir", "a", "--plugin-dir", "b"], ["plugins", "list", "--home", "-x"],
        ["skills", "list"], ["--version"], [],
        ["plugins", "search"], ["plugins", "search", "--json"], ["plugins", "search", "x", "--limit"],
        ["plugins", "search", "x", "--limit", "-1"], ["plugins", "search", "x", "--limit", "ten"],
        ["plugins", "search", "x", "--limit", "+5"], ["plugins", "search", "x", "--limit", "05"],
        ["plugins", "search", "x", "--limit", "1", "--limit", "2"], ["plugins", "search", "help"],
        ["plugins", "search", "x", "--bogus"], ["plugins", "search", "--", "x"],
        ["memory", "show", "stray"], ["memory", "show", "--accessed"], ["memory", "show", "--accessed=a"],
        ["memory", "show", "--cwd"], ["memory", "show", "--no-content=1"], ["memory", "show", "--help"],
        ["memory", "show", "--cwd", "a", "b"], ["memory", "show", "--json", "x"], ["memory"], ["memory", "list"],
        ["rules", "list", "x"], ["rules", "list", "--no-content"], ["rules", "show"], ["rules", "list", "--accessed", "a"],
    ])
    func everythingElseGoesToTheFullParser(_ arguments: [String]) {
        #expect(FastPath.command(arguments) == nil)
    }

    /// A property added to a command `FastPath` builds, or to the option groups it fills, that it does not set
    /// would be read uninitialized (a crash) on the fast path: this names the properties it sets, so adding one
    /// fails here until `FastPath` sets it too.
    @Test func theFastPathSetsEveryPropertyOfItsCommands() {
        func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label).sorted() }
        #expect(labels(KernelCommand.Plugins.List()) == ["_available", "_global", "_pluginDirs"])
        #expect(labels(KernelCommand.Plugins.Validate()) == ["_json", "_kind", "_path", "_strict"])
        #expect(labels(KernelCommand.Plugins.Search()) == ["_global", "_limit", "_query"])
        #expect(labels(KernelCommand.Memory.Show()) == ["_accessed", "_noContent", "_options"])
        #expect(labels(KernelCommand.Rules.List()) == ["_options"])
        #expect(labels(MemoryOptionGroup()) == ["_cwd", "_global", "_pluginDirs"])
        #expect(labels(GlobalOptions()) == ["_home", "_json", "_project"])
    }
}
