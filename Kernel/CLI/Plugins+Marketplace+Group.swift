import ArgumentParser

// Placeholder group on the `archive` branch only: the `marketplaces` branch owns `KernelCommand.Plugins.Marketplace`
// (add|list|update|remove). When the two meet, this file goes and `MarketplaceBuild.self` joins that group's list.
extension KernelCommand.Plugins {
    /// `kernel plugins marketplace …`
    struct Marketplace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "marketplace", abstract: "Marketplaces: publish one (build).",
            subcommands: [MarketplaceBuild.self]
        )
    }
}
