import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel mcp list`
    struct MCP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "MCP servers: local > project > user; plugin servers are plugin:server.",
            subcommands: [List.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List MCP servers with variables expanded.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (host, c) = try options.compose(needs: .mcp)
                var items: [JSONValue] = []
                var rows: [[String]] = []
                for (e, server) in host.expandedMCPServers(c) {
                    items.append(.object([("name", .string(e.name))] + server.fields + e.provenanceJSON))
                    var r = Inspect.row(e, nil)
                    r[3] = server.summary
                    if !server.missingVariables.isEmpty { r[3] += "  (unset: \(server.missingVariables.joined(separator: ", ")))" }
                    rows.append(r)
                }
                if options.global.json {
                    Output.out(JSONValue.array(items).serialized())
                } else if rows.isEmpty {
                    Output.out("No MCP servers.")
                } else {
                    Output.out(Format.table([["NAME", "SOURCE", "STATE", "SERVER"]] + rows))
                }
            }
        }
    }
}
