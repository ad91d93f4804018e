import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel skills list|show`
    struct Skills: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skills", abstract: "Skills from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self, Enable.self, Disable.self])

        /// `-s` of the skills commands: the reference host's `user`, `workspace` (also `project`), and `local`.
        enum SkillScope: String, CaseIterable, ExpressibleByArgument {
            case user, workspace, project, local
            var scope: Scope {
                switch self {
                case .user: .user
                case .workspace, .project: .project
                case .local: .local
                }
            }
        }

        /// `kernel skills disable <name> [-s user|workspace|project|local]`
        struct Disable: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "disable", abstract: "Disable a skill: its name goes into skills.disabled of one settings file.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "user, workspace (the project's settings.json, default; also 'project') or local.")
            var scope: SkillScope = .workspace
            @Argument(help: "The skill's name (plugin skills: plugin:skill; a bare name switches every skill of that name).")
            var name: String

            func run() throws { try Skills.set(global, name, true, scope.scope) }
        }

        /// `kernel skills enable <name> [-s scope]`
        struct Enable: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "enable", abstract: "Enable a skill: its name leaves skills.disabled (of every settings file, or of -s's).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "Only this file: user, workspace (or project) or local.") var scope: SkillScope?
            @Argument(help: "The skill's name.") var name: String

            func run() throws { try Skills.set(global, name, false, scope?.scope) }
        }

        static func set(_ global: GlobalOptions, _ name: String, _ disabled: Bool, _ scope: Scope?) throws {
            let host = try global.host()
            let r = try global.run { () throws(KernelError) in try host.setSkillDisabled(name, disabled, scope: scope) }
            func files(_ scopes: [Scope]) -> String {
                scopes.map { "\($0.rawValue) (\(host.paths.settingsFile($0)))" }.joined(separator: " and ")
            }
            if global.json {
                Output.out(JSONValue.object([
                    ("name", .string(name)), ("disabled", .bool(disabled)),
                    ("edited", .array(r.edited.map { .object([("scope", .string($0.rawValue)), ("file", .string(host.paths.settingsFile($0)))]) })),
                ]).serialized())
            } else if !r.edited.isEmpty {
                Output.out(disabled ? "Skill \"\(name)\" disabled: added to skills.disabled in \(files(r.edited)) settings."
                                    : "Skill \"\(name)\" enabled: removed from skills.disabled in \(files(r.edited)) settings.")
            } else {
                Output.out(disabled ? "Skill \"\(name)\" is already disabled in \(files(r.unchanged)) settings."
                                    : "Skill \"\(name)\" is not disabled" + (scope.map { " in \($0.rawValue) settings" } ?? "") + ".")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List skills with their source, scope and plugin.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.skills, json: options.global.json, empty: "No skills.",
                             description: { s in s.visibility.map { "[\($0)] " + s.description } ?? s.description },
                             json: \.listingJSON)
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
