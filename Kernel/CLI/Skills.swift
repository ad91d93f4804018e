import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelMarketplace

extension KernelCommand {
    /// `kernel skills list|show`
    struct Skills: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skills", abstract: "Skills from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self, Enable.self, Disable.self, Install.self, Link.self, Uninstall.self])

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

        /// `-s` of `skills install|link|uninstall`: the reference host's `user` (default) and `workspace` (also
        /// `project`); there is no local skills folder.
        enum InstallScope: String, CaseIterable, ExpressibleByArgument {
            case user, workspace, project
            var scope: Scope { self == .user ? .user : .project }
            var label: String { self == .user ? "user" : "workspace" }
        }

        /// `kernel skills install <folder | .zip | .skill> [-s user|workspace|project] [--path SUB] [--consent]`
        struct Install: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "install",
                abstract: "Install skills from a folder or a local .zip/.skill archive into <scope>/skills/<name>.",
                discussion: "The folder itself when it holds SKILL.md, else every folder below it that does. Every SKILL.md is "
                    + "checked first (an error installs nothing); a skill of the same name is replaced. Exit status: 0 installed, "
                    + "1 refused, 64 usage error.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "user (~/.qoder/skills, default) or workspace (the project's .qoder/skills; also 'project').")
            var scope: InstallScope = .user
            @Option(name: .long, help: "The folder inside the source or archive to install from.") var path: String?
            @Flag(name: .long, help: "Accepted for the Qoder CLI's scripts: Kernel never asks for confirmation.") var consent = false
            @Argument(help: "The skill folder, a folder of skills, or a .zip/.skill archive.") var source: String

            func run() throws { try Skills.place(global, source, scope, path, link: false) }
        }

        /// `kernel skills link <folder> [-s scope] [--consent]`
        struct Link: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "link", abstract: "Link skills from a folder: <scope>/skills/<name> becomes a symbolic link to it.")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "user (default) or workspace (also 'project').") var scope: InstallScope = .user
            @Flag(name: .long, help: "Accepted for the Qoder CLI's scripts: Kernel never asks for confirmation.") var consent = false
            @Argument(help: "The skill folder (or a folder of skills).") var path: String

            func run() throws { try Skills.place(global, path, scope, nil, link: true) }
        }

        /// `kernel skills uninstall <name> [-s scope]`
        struct Uninstall: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "uninstall", abstract: "Remove an installed or linked skill (<scope>/skills/<name>; a link's folder is kept).")
            @OptionGroup var global: GlobalOptions
            @Option(name: .shortAndLong, help: "user (default) or workspace (also 'project').") var scope: InstallScope = .user
            @Argument(help: "The skill's folder name.") var name: String

            func run() throws {
                let host = try global.host()
                let r = try global.run { () throws(KernelError) in try host.uninstallSkill(name, scope: scope.scope) }
                if global.json {
                    Output.out(JSONValue.object([
                        ("ok", true), ("name", .string(r.name)), ("scope", .string(scope.label)),
                        ("location", .string(r.location)), ("wasLink", .bool(r.wasLink)),
                    ]).serialized())
                } else {
                    Output.out("Successfully uninstalled skill: \(r.name) (scope: \(scope.label), location: \(r.location))")
                }
            }
        }

        static func place(_ global: GlobalOptions, _ source: String, _ scope: InstallScope, _ subpath: String?, link: Bool) throws {
            let host = try global.host()
            let outcomes = try global.run { () throws(KernelError) in
                try host.installSkills(from: source, scope: scope.scope, subpath: subpath, link: link)
            }
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true),
                    ("installed", .array(outcomes.map { o in
                        .object([("name", .string(o.name)), ("scope", .string(scope.label)), ("location", .string(o.location)),
                                 ("source", .string(o.source)), ("description", .string(o.description)),
                                 ("replaced", .bool(o.replaced)), ("linked", .bool(o.linked)),
                                 ("warnings", .array(o.warnings.map { .string($0.description) }))])
                    })),
                ]).serialized())
                return
            }
            for o in outcomes {
                for w in o.warnings { Output.err(w.description) }
                if o.replaced { Output.out("Skill \"\(o.name)\" already exists" + (link ? " at destination" : "") + ". Overwriting...") }
                Output.out(link ? "Successfully linked skill: \(o.name) (scope: \(scope.label), location: \(o.location) -> \(KernelPaths.parent(o.source)))"
                                : "Successfully installed skill: \(o.name) (scope: \(scope.label), location: \(o.location))")
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
