import ArgumentParser

extension KernelCommand {
    /// `kernel plugins …` (alias `plugin`).
    public struct Plugins: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "plugins",
            abstract: "Validate, install and manage plugins.",
            subcommands: [Validate.self, Install.self, Uninstall.self, Enable.self, Disable.self, List.self, Info.self, Configure.self, Update.self,
                          Search.self, Prune.self, Marketplace.self, Sync.self, Status.self],
            aliases: ["plugin"]
        )

        public init() {}
    }
}
