import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel skills list|show`
    struct Skills: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skills", abstract: "Skills from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List skills with their source, scope and plugin.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.skills, json: options.global.json, empty: "No skills.",
                             description: \.description, json: \.listingJSON)
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one skill: its fields and SKILL.md body.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The skill's name (plugin skills: plugin:skill, or the bare name when unambiguous).")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.skill(named: name), kind: "skill", name: name, global: options.global)
                let s = e.item
                if options.global.json {
                    Output.out(e.detailJSON.serialized())
                } else {
                    Output.out("Skill \(e.name) (\(e.provenance.label), \(s.file))")
                    Output.out("Description: \(s.description)")
                    if !s.allowedTools.isEmpty { Output.out("Allowed tools: \(s.allowedTools.joined(separator: ", "))") }
                    if let reason = e.state.reason { Output.out("State: \(e.state.name): \(reason)") }
                    Output.out("")
                    Output.out(s.body)
                }
            }
        }
    }
}
