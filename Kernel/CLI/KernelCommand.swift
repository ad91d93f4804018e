import ArgumentParser
import Dispatch

/// The `kernel` command: a plugin host for agent CLIs.
public struct KernelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "A plugin host for agent CLIs: validate, install and compose plugins.",
        version: KernelVersion.string,
        subcommands: [Plugins.self, Skills.self, Commands.self, Agents.self, Hooks.self, MCP.self, Trust.self, Untrust.self, Cache.self, Modules.self,
                      Memory.self, Rules.self, Workflows.self, Tasks.self, Schema.self]
    )

    public init() {}

    /// The executable's entry point, from synchronous code: parses the arguments and runs the command. A
    /// synchronous command runs on the main thread without starting the concurrency runtime (an async `main`
    /// costs every command several milliseconds of start-up); an async one (`hooks fire`) runs in a task while
    /// the main thread serves the main queue.
    public static func start() -> Never {
        Teardown.exitsAfterCommand = true
        // The most frequent commands in their plain forms skip the full parser (see FastPath).
        if var command = FastPath.command(Array(CommandLine.arguments.dropFirst())) {
            do {
                try command.run()
                exit()
            } catch {
                exit(withError: error)
            }
        }
        do {
            var command = try parseAsRoot()
            if let asyncCommand = command as? any AsyncParsableCommand {
                nonisolated(unsafe) var pending = asyncCommand
                Task {
                    do {
                        try await pending.run()
                        exit()
                    } catch {
                        exit(withError: error)
                    }
                }
                dispatchMain()
            }
            try command.run()
            exit()
        } catch {
            exit(withError: error)
        }
    }

    /// The entry point from async code: parses the arguments and runs the command, awaiting async ones.
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
