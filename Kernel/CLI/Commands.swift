import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel commands list|show|render`
    struct Commands: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commands", abstract: "Slash commands from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self, Render.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List commands with their source, scope and plugin.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.commands, json: options.global.json, empty: "No commands.",
                             description: \.description, json: \.listingJSON)
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one command: its fields and prompt.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The command's name, without the slash.")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.command(named: name), kind: "command", name: name, global: options.global)
                let cmd = e.item
                if options.global.json {
                    Output.out(e.detailJSON.serialized())
                } else {
                    Output.out("/\(e.name)" + (cmd.argumentHint.map { " \($0)" } ?? "") + " (\(e.provenance.label), \(cmd.file))")
                    if let d = cmd.description { Output.out("Description: \(d)") }
                    if !cmd.allowedTools.isEmpty { Output.out("Allowed tools: \(cmd.allowedTools.joined(separator: ", "))") }
                    if let reason = e.state.reason { Output.out("State: \(e.state.name): \(reason)") }
                    if let module = cmd.nativeModule {
                        Output.out("Native: the prompt is produced by \(module) when the command is rendered")
                        return
                    }
                    Output.out("")
                    Output.out(cmd.body)
                }
            }
        }

        struct Render: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "render", abstract: "Print the prompt a host would submit for /name args…",
                discussion: "$ARGUMENTS, $ARGUMENTS[N] and $N (0-based) are replaced; without any of them the "
                    + "arguments are appended as 'ARGUMENTS: …'. ${QODER_PLUGIN_ROOT}, ${QODER_PLUGIN_DATA} and "
                    + "${QODER_PROJECT_DIR} (and the CLAUDE_ spellings) are substituted. A native command's "
                    + "prompt comes from its module's function (the module is loaded for it); if that fails, "
                    + "the exit status is 1 with the module's message.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The command's name, without the slash.")
            var name: String
            @Argument(parsing: .captureForPassthrough, help: "The command's arguments.")
            var arguments: [String] = []

            func run() throws {
                let (host, c) = try options.compose()
                let e = try Inspect.find(c.registry.command(named: name), kind: "command", name: name, global: options.global)
                let prompt = try options.global.run { () throws(KernelError) in
                    try host.renderCommand(e, arguments: arguments, composition: c)
                }
                if options.global.json {
                    Output.out(JSONValue.object([("name", .string(e.name)), ("prompt", .string(prompt))]).serialized())
                } else {
                    Output.out(prompt)
                }
            }
        }
    }
}
