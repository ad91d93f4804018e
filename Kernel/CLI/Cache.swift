import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel cache clear`
    struct Cache: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache", abstract: "The component cache (what makes a warm start read no plugin file).",
            subcommands: [Clear.self])

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "clear", abstract: "Empty the component cache; the next run reads every file.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let host = try global.host()
                let removed = try global.run { () throws(KernelError) in try host.clearCache() }
                Output.out(global.json ? JSONValue.object([("ok", true), ("removed", .int(removed))]).serialized()
                                       : "Removed \(removed) cache entr\(removed == 1 ? "y" : "ies").")
            }
        }
    }
}
