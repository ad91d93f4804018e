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
            subcommands: [List.self, Add.self, AddJSON.self, Remove.self, Get.self, Enable.self, Disable.self,
                          Approve.self, Reject.self, ResetProjectChoices.self, Probe.self, Call.self, Serve.self])

        /// `kernel mcp add <name> [-t stdio|sse|http|ws] [-s user|project|local] [-e K=V…] [-H "K: V"…] -- <command…> | <url>`
        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Add an MCP server: a command (stdio) or a URL (sse, http, ws).",
                discussion: "Writes mcpServers.<name> in the local settings (default), the user settings (-s user) or the project's .mcp.json (-s project).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "Scope: local (default), project (.mcp.json) or user.") var scope: Scope = .local
            @Option(name: [.short, .customLong("transport")], help: "stdio, sse, http or ws (default: stdio, http for a URL).") var transport: String?
            @Option(name: [.short, .customLong("env")], help: "An environment variable KEY=VALUE (repeatable).") var env: [String] = []
            @Option(name: [.customShort("H"), .customLong("header")], help: "A header \"Name: value\" (repeatable).") var header: [String] = []
            @Argument(help: "The server's name.") var name: String
            @Argument(help: "The URL of a remote server (or a command without arguments).") var commandOrURL: String?
            @Argument(parsing: .postTerminator, help: "After --: the command and its arguments.") var command: [String] = []

            func run() throws {
                let host = try global.host()
                let args = (commandOrURL.map { [$0] } ?? []) + command
                let file = try global.run { () throws(KernelError) in
                    let config = try PluginHost.mcpServerConfig(transport: transport, target: args, env: env, headers: header)
                    return try host.addMCPServer(name, config: config, scope: scope)
                }
                MCP.report(global, name: name, scope: scope, file: file, verb: "added to")
            }
        }

        /// `kernel mcp add-json <name> <json> [-s scope]`
        struct AddJSON: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add-json", abstract: "Add an MCP server from its JSON definition.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "Scope: local (default), project (.mcp.json) or user.") var scope: Scope = .local
            @Argument(help: "The server's name.") var name: String
            @Argument(help: "The server object, e.g. '{\"type\": \"http\", \"url\": \"https://host/mcp\"}'.") var json: String

            func run() throws {
                let host = try global.host()
                let file = try global.run { () throws(KernelError) in
                    try host.addMCPServer(name, config: try PluginHost.mcpServerConfig(json: json, name: name), scope: scope)
                }
                MCP.report(global, name: name, scope: scope, file: file, verb: "added to")
            }
        }

        /// `kernel mcp remove <name> [-s scope]`
        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an MCP server from one scope.",
                                                            aliases: ["rm"])
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "The scope (required when several define the server).") var scope: Scope?
            @Argument(help: "The server's name.") var name: String

            func run() throws {
                let host = try global.host()
                let removed = try global.run { () throws(KernelError) in try host.removeMCPServer(name, scope: scope) }
                MCP.report(global, name: name, scope: removed, file: host.mcpFile(removed), verb: "removed from")
            }
        }

        /// `kernel mcp get <name> [--json]`
        struct Get: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one MCP server's definition in every scope that has it.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "Only this scope.") var scope: Scope?
            @Argument(help: "The server's name.") var name: String

            func run() throws {
                let host = try global.host()
                let found = try global.run { () throws(KernelError) in
                    let all = try host.mcpDefinitions(named: name).filter { scope == nil || $0.scope == scope }
                    if all.isEmpty { throw KernelError(.notFound, try host.unknownMCPServerMessage(name)) }
                    return all
                }
                if global.json {
                    let items = found.map { JSONValue.object([("name", .string(name)), ("scope", .string($0.scope.rawValue)),
                                                              ("file", .string($0.file)), ("server", $0.server.json)]) }
                    Output.out((items.count == 1 ? items[0] : .array(items)).serialized())
                    return
                }
                for f in found {
                    Output.out("\(name) (\(f.scope.rawValue), \(f.file)):\n" + f.server.json.serialized())
                }
            }
        }

        /// `kernel mcp enable <name> [-s scope]`
        struct Enable: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "enable", abstract: "Enable an MCP server (removes \"disabled\": true from its definition).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "The scope (default: the most specific one that defines it).") var scope: Scope?
            @Argument(help: "The server's name.") var name: String

            func run() throws { try MCP.setDisabled(global, name, false, scope) }
        }

        /// `kernel mcp disable <name> [-s scope]`
        struct Disable: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "disable", abstract: "Disable an MCP server (\"disabled\": true in its definition).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "The scope (default: the most specific one that defines it).") var scope: Scope?
            @Argument(help: "The server's name.") var name: String

            func run() throws { try MCP.setDisabled(global, name, true, scope) }
        }

        static func setDisabled(_ global: GlobalOptions, _ name: String, _ disabled: Bool, _ scope: Scope?) throws {
            let host = try global.host()
            let edited = try global.run { () throws(KernelError) in try host.setMCPServerDisabled(name, disabled, scope: scope) }
            let file = host.mcpFile(edited)
            if global.json {
                Output.out(JSONValue.object([("name", .string(name)), ("scope", .string(edited.rawValue)), ("file", .string(file)),
                                             ("disabled", .bool(disabled))]).serialized())
            } else {
                Output.out("MCP server \"\(name)\" \(disabled ? "disabled" : "enabled") in \(edited.rawValue) settings (\(file)).")
            }
        }

        /// `kernel mcp approve <name> | --all`
        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "approve", abstract: "Approve a server of the project's .mcp.json (it runs once the project is trusted).",
                discussion: "Recorded as the Qoder CLI records it: mcp.enabledProjectMcpServers in the user settings; --all sets mcp.enableAllProjectMcpServers.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Approve every project server (except rejected ones).") var all = false
            @Argument(help: "The server's name.") var name: String?

            func validate() throws {
                if all == (name != nil) { throw ValidationError("Give a server name or --all (not both).") }
            }

            func run() throws {
                let host = try global.host()
                if all {
                    let file = try global.run { () throws(KernelError) in try host.approveAllProjectMCPServers() }
                    MCP.reportApproval(global, name: nil, approval: .approved, file: file)
                } else if let name {
                    let file = try global.run { () throws(KernelError) in try host.setProjectMCPApproval(name, .approved) }
                    MCP.reportApproval(global, name: name, approval: .approved, file: file)
                }
            }
        }

        /// `kernel mcp reject <name>`
        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "reject", abstract: "Reject a server of the project's .mcp.json: it never runs.",
                discussion: "Recorded as the Qoder CLI records it: mcp.disabledProjectMcpServers in the user settings.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The server's name.") var name: String

            func run() throws {
                let host = try global.host()
                let file = try global.run { () throws(KernelError) in try host.setProjectMCPApproval(name, .rejected) }
                MCP.reportApproval(global, name: name, approval: .rejected, file: file)
            }
        }

        /// `kernel mcp reset-project-choices`
        struct ResetProjectChoices: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "reset-project-choices", abstract: "Forget every approval and rejection of project (.mcp.json) servers.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let host = try global.host()
                let file = try global.run { () throws(KernelError) in try host.resetProjectMCPChoices() }
                MCP.reportApproval(global, name: nil, approval: .pending, file: file)
            }
        }

        static func reportApproval(_ global: GlobalOptions, name: String?, approval: MCPApproval, file: String) {
            if global.json {
                Output.out(JSONValue.object([("name", .optional(name)), ("approval", .string(approval.rawValue)),
                                             ("file", .string(file))]).serialized())
                return
            }
            switch (name, approval) {
            case (let name?, _):
                Output.out("Project MCP server \"\(name)\" \(approval.rawValue) (\(file)).")
            case (nil, .approved):
                Output.out("Every project MCP server approved, except rejected ones (\(file)).")
            case (nil, _):
                Output.out("Every approval and rejection of project (.mcp.json) servers reset (\(file)); they are pending again.")
            }
        }

        static func report(_ global: GlobalOptions, name: String, scope: Scope, file: String, verb: String) {
            if global.json {
                Output.out(JSONValue.object([("name", .string(name)), ("scope", .string(scope.rawValue)), ("file", .string(file))]).serialized())
            } else {
                Output.out("MCP server \"\(name)\" \(verb) \(scope.rawValue) settings (\(file)).")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List MCP servers with variables expanded; --probe starts each active one.",
                discussion: "With --probe, every active server is probed at once; exit status 1 when any of them failed.")
            @OptionGroup var options: InspectOptions
            @Flag(help: "Start (or connect to) every active server, concurrently, and report what it offers.") var probe = false
            @OptionGroup var live: MCPLiveOptions

            func run() throws {
                let timeout = try live.validated()
                let service = probe ? try MCPLiveEntry.resolve(options.global) : nil
                let (host, c) = try options.compose(needs: .mcp)
                let expanded = host.expandedMCPServers(c)
                let probes = service?.probeAll(host: host, composition: c, timeout: timeout)
                    ?? Array(repeating: nil, count: expanded.count)
                var items: [JSONValue] = []
                var rows: [[String]] = []
                for ((e, server), p) in zip(expanded, probes) {
                    var fields: [(String, JSONValue)] = [("name", .string(e.name))] + server.fields + e.provenanceJSON
                    if probe { fields.append(("probe", p?.json ?? .null)) }
                    items.append(.object(fields))
                    var r = Inspect.row(e, nil)
                    r[3] = server.summary
                    if !server.missingVariables.isEmpty { r[3] += "  (unset: \(server.missingVariables.joined(separator: ", ")))" }
                    if probe { r.append(p?.cell ?? "-") }
                    rows.append(r)
                }
                if options.global.json {
                    Output.out(c.masked(JSONValue.array(items).serialized()))
                } else if rows.isEmpty {
                    Output.out("No MCP servers.")
                } else {
                    Output.out(c.masked(Format.table([["NAME", "SOURCE", "STATE", "SERVER"] + (probe ? ["PROBE"] : [])] + rows)))
                }
                if probes.contains(where: { $0?.ok == false }) { throw ExitCode(1) }
            }
        }
    }
}
