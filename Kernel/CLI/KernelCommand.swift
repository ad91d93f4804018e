import ArgumentParser

/// The `kernel` command: a plugin host for agent CLIs.
public struct KernelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "A plugin host for agent CLIs: validate, install and compose plugins.",
        version: KernelVersion.string,
        subcommands: [Plugins.self, Skills.self, Commands.self, Agents.self, Hooks.self, MCP.self, Trust.self, Untrust.self, Cache.self, Modules.self]
    )

    public init() {}

    /// The entry point: parses the arguments and runs the command, awaiting async ones (`hooks fire`).
    /// (`main()` would resolve to the synchronous `ParsableCommand.main`, which cannot run them.)
    public static func entry() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

public enum KernelVersion {
    public static let string = "0.1.0"
}
