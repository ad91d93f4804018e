import ArgumentParser

/// The `kernel` command: a plugin host for agent CLIs.
public struct KernelCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "A plugin host for agent CLIs: validate, install and compose plugins.",
        version: KernelVersion.string,
        subcommands: [Plugins.self, Skills.self, Commands.self, Agents.self, Hooks.self, MCP.self, Trust.self, Untrust.self, Cache.self, Modules.self]
    )

    public init() {}
}

public enum KernelVersion {
    public static let string = "0.1.0"
}
