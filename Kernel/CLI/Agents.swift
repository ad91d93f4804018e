import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel agents list|show`
    struct Agents: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agents", abstract: "Subagents: builtin < user < project < plugin < flag; shadowed ones are listed too.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List subagents with their source and state.")
            @OptionGroup var options: InspectOptions
            @Option(name: .customLong("setting-sources"),
                    help: "Comma-separated scopes whose agents are read: user, project, local (default all); built-in ones always are.")
            var settingSources: String?

            func validate() throws {
                for item in sources ?? [] where Scope(rawValue: item) == nil {
                    throw ValidationError("Unknown setting source '\(item)' in --setting-sources; use user, project or local (comma-separated).")
                }
            }

            var sources: [String]? {
                settingSources.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            }

            func run() throws {
                let host = try options.global.host()
                let scopes = sources.map { Set($0.compactMap(Scope.init(rawValue:))) }
                let c = try options.global.run { () throws(KernelError) in
                    try host.compose(pluginDirs: options.pluginDirs, settingSources: scopes)
                }
                Inspect.list(c.registry.agents, json: options.global.json, empty: "No agents.",
                             description: \.description, json: \.listingJSON)
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one subagent: its fields and system prompt.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The agent's name (or plugin:name).")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.agent(named: name), kind: "agent", name: name, global: options.global)
                let a = e.item
                let fields = e.detailFields
                if options.global.json {
                    Output.out(e.detailJSON.serialized())
                } else {
                    Output.out("Agent \(a.name) (\(e.provenance.label), \(a.file))")
                    for (key, value) in fields.dropFirst() where key != "prompt" && value != .null {
                        Output.out("\(key): \(value.serialized(pretty: false))")
                    }
                    if let reason = e.state.reason { Output.out("state: \(e.state.name): \(reason)") }
                    Output.out("")
                    Output.out(a.body)
                }
            }
        }
    }
}
