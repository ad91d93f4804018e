import ArgumentParser
import Testing
@testable import KernelCLI

/// The start-up fast path (`FastPath`) either declines (and the full parser runs) or builds exactly the command
/// the full parser builds from the same arguments.
@Suite struct FastPathTests {
    /// The fields of a `plugins list` or `plugins validate` command, whichever parser built it.
    static func fields(_ command: any ParsableCommand) -> [String] {
        if let list = command as? KernelCommand.Plugins.List {
            return ["list", list.global.home ?? "-", list.global.project ?? "-", "\(list.global.json)", "\(list.available)",
                    list.pluginDirs.joined(separator: "|")]
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
    ])
    func everythingElseGoesToTheFullParser(_ arguments: [String]) {
        #expect(FastPath.command(arguments) == nil)
    }

    /// A property added to `plugins list`, `plugins validate` or the global options that `FastPath` does not set
    /// would be read uninitialized (a crash) on the fast path: this names the properties it sets, so adding one
    /// fails here until `FastPath` sets it too.
    @Test func theFastPathSetsEveryPropertyOfItsCommands() {
        func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label).sorted() }
        #expect(labels(KernelCommand.Plugins.List()) == ["_available", "_global", "_pluginDirs"])
        #expect(labels(KernelCommand.Plugins.Validate()) == ["_json", "_kind", "_path", "_strict"])
        #expect(labels(GlobalOptions()) == ["_home", "_json", "_project"])
    }
}
