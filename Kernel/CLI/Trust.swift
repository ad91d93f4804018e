import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel trust [DIR]`
    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust", abstract: "Trust a project folder: its hooks, MCP servers and project-scope plugins' hooks may run.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project folder (default: the current project).")
        var directory: String?

        func run() throws {
            let host = try global.host()
            let path = try global.run { () throws(KernelError) in try host.trust(directory) }
            Output.out(global.json ? JSONValue.object([("ok", true), ("trusted", .string(path))]).serialized()
                                   : "Trusted \(path).")
        }
    }

    /// `kernel untrust [DIR]`
    struct Untrust: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "untrust", abstract: "Withdraw trust from a project folder.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project folder (default: the current project).")
        var directory: String?

        func run() throws {
            let host = try global.host()
            let (path, removed) = try global.run { () throws(KernelError) in try host.untrust(directory) }
            Output.out(global.json ? JSONValue.object([("ok", true), ("untrusted", .string(path)), ("wasTrusted", .bool(removed))]).serialized()
                                   : removed ? "No longer trusted: \(path)." : "\(path) was not trusted.")
        }
    }
}
