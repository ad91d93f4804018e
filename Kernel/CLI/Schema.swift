import ArgumentParser
import KernelCore

extension KernelCommand {
    /// `kernel schema plugin|marketplace|hooks`
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema", abstract: "Print the JSON Schema (draft 2020-12) of plugin.json, marketplace.json or hooks.json.",
            discussion: "The same schemas are committed under schemas/ for editors (\"$schema\" or a settings mapping)."
        )

        @Argument(help: "plugin, marketplace or hooks.")
        var kind: JSONSchemas.Kind

        func run() {
            Output.out(JSONSchemas.schema(kind).serialized())
        }
    }
}

extension JSONSchemas.Kind: ExpressibleByArgument {}
