import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand.Plugins {
    /// `kernel plugins list [--json] [--plugin-dir DIR…]`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List installed plugins (and --plugin-dir folders) with each component by name.",
            discussion: "The JSON is the reference host's shape (an array of {id, name, source, version, scope, "
                + "enabled, canDisable, projectPath?, installPath, installedAt, description, resources}), with more fields."
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption,
                help: "Plugin folders to add for this listing only (not installed).")
        var pluginDirs: [String] = []

        func run() throws {
            let host = try global.host()
            let composition = try global.run { () throws(KernelError) in try host.compose(pluginDirs: pluginDirs) }
            if global.json {
                Output.out(JSONValue.array(composition.plugins.map(PluginJSON.listing)).serialized())
                return
            }
            if composition.plugins.isEmpty {
                Output.out("No plugins installed. Use `kernel plugins install` to install a plugin.")
                return
            }
            Output.out(composition.plugins.map(PluginText.listing).joined(separator: "\n\n"))
        }
    }

    /// `kernel plugins info <name> [--json]`
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one installed plugin in full, each component by name.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var name: String

        func run() throws {
            let host = try global.host()
            let matches = try global.run { () throws(KernelError) in try host.receipts(matching: name) }
            let composition = try global.run { () throws(KernelError) in try host.compose() }
            let rows = composition.plugins.filter { row in matches.contains { $0.id == row.id && $0.scope.rawValue == row.scope } }
            if global.json {
                let items = rows.map { row -> JSONValue in
                    guard case .object(var members) = PluginJSON.listing(row) else { return .null }
                    let b = row.bundle
                    members += [
                        ("homepage", .optional(b.manifest?.homepage)), ("repository", .optional(b.manifest?.repository)),
                        ("license", .optional(b.manifest?.license)), ("author", .optional(b.manifest?.author?.name)),
                        ("keywords", .strings(b.manifest?.keywords ?? [])),
                        ("outputStyles", .strings(b.outputStyles.map(\.name))),
                        ("bin", .strings(b.binaries.map(FileSystem.baseName))),
                        ("modules", .strings(b.modules)),
                        ("diagnostics", .array(b.diagnostics.map(ValidationReport.json))),
                    ]
                    return .object(members)
                }
                Output.out((items.count == 1 ? items[0] : .array(items)).serialized())
                return
            }
            for row in rows {
                Output.out(PluginText.listing(row))
                let b = row.bundle
                if let description = b.description, !description.isEmpty { Output.out("  Description: \(description)") }
                Output.out(ValidationReport.text(b).split(separator: "\n").dropFirst(2).joined(separator: "\n"))
            }
        }
    }
}

/// The JSON rows of `plugins list`.
enum PluginJSON {
    static func listing(_ row: PluginHost.PluginListing) -> JSONValue {
        let b = row.bundle
        let n = b.name
        var members: [(String, JSONValue)] = [
            ("id", .string(row.id)), ("name", .string(row.name)), ("source", .string(row.source)),
            ("version", .string(row.version)), ("scope", .string(row.scope)), ("enabled", .bool(row.enabled)),
            ("canDisable", .bool(row.canDisable)),
        ]
        if let projectPath = row.projectPath { members.append(("projectPath", .string(projectPath))) }
        members.append(("installPath", .string(row.installPath)))
        if let installedAt = row.installedAt { members.append(("installedAt", .string(Format.date(installedAt)))) }
        members.append(("description", .string(b.description ?? "")))
        func item(_ name: String, _ description: String?, _ extra: [(String, JSONValue)] = []) -> JSONValue {
            .object([("name", .string(name)), ("description", .string(description ?? ""))] + extra)
        }
        members.append(("resources", .object([
            ("skills", .array(b.skills.map { item($0.name, $0.description) })),
            ("agents", .array(b.agents.map { item("\(n):\($0.name)", $0.description) })),
            ("mcpServers", .array(b.mcpServers.map {
                item($0.name, $0.url ?? ([$0.command ?? ""] + $0.args).joined(separator: " "),
                     [("type", .string($0.transport.rawValue))])
            })),
            ("commands", .array(b.commands.map {
                item("\(n):\($0.name)", $0.description, $0.argumentHint.map { [("argumentHint", .string($0))] } ?? [])
            })),
            ("hooks", .array(b.hooks.map { g in
                let types = g.handlers.map(\.type.rawValue)
                return item(g.event, g.matcher.map { "matcher \($0)" } ?? "all", [
                    ("event", .string(g.event)), ("matcher", .optional(g.matcher)), ("types", .strings(types)),
                ])
            })),
        ])))
        return .object(members)
    }
}

enum PluginText {
    static func listing(_ row: PluginHost.PluginListing) -> String {
        let b = row.bundle
        var lines = ["\(row.id)" + (row.version == "local" ? "" : " v\(row.version)")]
        lines.append("  Scope: \(row.scope)" + (row.projectPath.map { " (\($0))" } ?? ""))
        lines.append("  Status: \(row.enabled ? "enabled" : "disabled")")
        lines.append("  Path: \(row.installPath)")
        func add(_ title: String, _ names: [String]) {
            if !names.isEmpty { lines.append("  \(title) (\(names.count)): \(names.joined(separator: ", "))") }
        }
        add("Commands", b.commands.map { "/\(b.name):\($0.name)" })
        add("Skills", b.skills.map { "\(b.name):\($0.name)" })
        add("Agents", b.agents.map(\.name))
        add("Hooks", b.hookEvents)
        add("MCP servers", b.mcpServers.map { "\(b.name):\($0.name)" })
        return lines.joined(separator: "\n")
    }
}
