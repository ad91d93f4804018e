import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelMarketplace

extension KernelCommand.Plugins {
    /// `kernel plugins list [--json] [--plugin-dir DIR…]`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List installed plugins (and --plugin-dir folders) with each component by name.",
            discussion: "The JSON is the reference host's shape (an array of {id, name, source, version, scope, "
                + "enabled, canDisable, projectPath?, installPath, installedAt, description, resources}), with more fields."
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption,
                help: "Plugin folders to add for this listing only (not installed).")
        var pluginDirs: [String] = []

        @Flag(help: "Also list the added marketplaces' plugins that are not installed ({\"installed\", \"available\"} with --json).")
        var available = false

        func run() throws {
            let host = try global.host()
            let (rows, warnings) = try global.run { () throws(KernelError) in try host.listingsReport(pluginDirs: pluginDirs) }
            Teardown.leave(host, rows)
            for warning in warnings { Output.err(warning.description) }
            if available {
                let entries = try global.run { () throws(KernelError) in try host.availablePlugins(installed: rows) }
                if global.json {
                    Output.out(JSONValue.object([("installed", .array(rows.map(\.json))),
                                                 ("available", .array(entries.map(\.json)))]).serialized())
                } else if entries.isEmpty {
                    Output.out("No plugins available: every plugin of the added marketplaces is installed, or none is added.")
                } else {
                    Output.out(Format.table(entries.map { [$0.pluginId, $0.version ?? "", Format.short($0.description, limit: 70)] }))
                }
                return
            }
            global.printListing(rows, json: \.json, empty: "No plugins installed. Use `kernel plugins install` to install a plugin.") { rows in
                rows.map(PluginText.listing).joined(separator: "\n\n")
            }
        }
    }

    /// `kernel plugins info <name> [--json]`
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show one installed plugin in full, each component by name.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var name: String

        func run() throws {
            let host = try global.host()
            let matches = try global.run { () throws(KernelError) in try host.receipts(matching: name) }
            let composition = try global.run { () throws(KernelError) in try host.compose() }
            let rows = composition.plugins.filter { row in matches.contains { $0.id == row.id && $0.scope.rawValue == row.scope } }
            if global.json {
                let items = rows.map(\.infoJSON)
                Output.out((items.count == 1 ? items[0] : .array(items)).serialized())
                return
            }
            for row in rows {
                Output.out(PluginText.listing(row))
                guard let b = row.bundle else { continue }
                if let description = b.description, !description.isEmpty { Output.out("  Description: \(description)") }
                let extra = ValidationReport.text(b).split(separator: "\n").dropFirst(2).filter {
                    $0.hasPrefix("  bin") || $0.hasPrefix("  modules")
                }
                if !extra.isEmpty { Output.out(extra.joined(separator: "\n")) }
            }
        }
    }
}

enum PluginText {
    static func listing(_ row: PluginHost.PluginListing) -> String {
        var lines = ["\(row.id)" + (row.version == "local" ? "" : " v\(row.version)")]
        lines.append("  Scope: \(row.scope)" + (row.projectPath.map { " (\($0))" } ?? ""))
        lines.append("  Status: \(row.enabled ? "enabled" : "disabled")"
                     + (row.missingConfig.isEmpty ? "" : ", needs configuration (missing: \(row.missingConfig.joined(separator: ", "))): "
                        + "its hooks and MCP servers do not start until `kernel plugins configure \(row.id)` sets them"))
        lines.append("  Path: \(row.installPath)")
        if row.autoInstalled { lines.append("  Installed as a dependency") }
        if !row.requires.isEmpty { lines.append("  Requires: \(row.requires.joined(separator: ", "))") }
        if !row.requiredBy.isEmpty { lines.append("  Required by: \(row.requiredBy.joined(separator: ", "))") }
        return (lines + row.summary.textLines).joined(separator: "\n")
    }
}
