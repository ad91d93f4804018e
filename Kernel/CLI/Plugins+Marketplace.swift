import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelMarketplace

extension KernelCommand.Plugins {
    /// `kernel plugins marketplace …` (alias `mp`).
    struct Marketplace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "marketplace", abstract: "Add, list, update and remove plugin marketplaces.",
            subcommands: [Add.self, List.self, Update.self, Remove.self, MarketplaceBuild.self], aliases: ["mp"])
    }
}

extension KernelCommand.Plugins.Marketplace {
    /// `kernel plugins marketplace add <source> [--scope] [--sparse PATHS…] [--name N] [--header "K: V"…]`
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a marketplace: owner/repo[#ref], a git URL[#ref], the URL of a marketplace.json, a folder or a file.",
            discussion: "Exit status: 0 added (or already added), 1 failure, 64 usage error.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "owner/repo, https://….git, git@host:path, file://…[#ref], https://…/marketplace.json, a folder or a file.")
        var source: String

        @Option(name: .long, help: "Declare it in this scope's settings (extraKnownMarketplaces): user, project or local.")
        var scope: Scope = .user

        @Option(name: .long, parsing: .upToNextOption, help: "For a git source: check out only these folders.")
        var sparse: [String] = []

        @Option(name: .long, help: "Use this name instead of the manifest's.")
        var name: String?

        @Option(name: .customLong("header"), help: ArgumentHelp("For a URL source: a request header \"Name: value\" (${VAR} expanded when fetched).", valueName: "header"))
        var headers: [String] = []

        func run() throws {
            let host = try global.host()
            var pairs: [(String, String)] = []
            for h in headers {
                guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else {
                    throw ValidationError("--header must be \"Name: value\", got '\(h)'")
                }
                pairs.append((String(h[..<colon]).trimmingCharacters(in: .whitespaces),
                              String(h[h.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
            let parsed = try global.run { () throws(KernelError) in
                try MarketplaceSource.parse(source, cwd: KernelPaths.currentDirectory(), headers: pairs)
            }
            let outcome = try global.run { () throws(KernelError) in
                try host.keepingTrust { () throws(KernelError) in
                    try host.addMarketplace(parsed, scope: scope, name: name, sparse: sparse.isEmpty ? nil : sparse)
                }
            }
            if global.json {
                Output.out(outcome.json.serialized())
                return
            }
            for d in outcome.diagnostics { Output.err(d.description) }
            let verb = outcome.status == "exists" ? "already exists" : "added successfully"
            Output.out("Marketplace \"\(outcome.name)\" \(verb). Declared in \(scope.rawValue) settings.")
        }
    }

    /// `kernel plugins marketplace list [--json]`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the added marketplaces.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let host = try global.host()
            let rows = try global.run { () throws(KernelError) in try host.marketplaceListings() }
            global.printListing(rows, json: \.json, empty: "No marketplaces added. Use `kernel plugins marketplace add` to add one.") { rows in
                rows.map { row in
                    var lines = [row.known.name, "  Source: \(row.known.source.serialized(pretty: false))"]
                    if let updated = row.known.lastUpdated { lines.append("  Last updated: \(updated)") }
                    lines.append("  Cache: \(row.known.installLocation)")
                    lines.append("  Plugins: \(row.pluginCount)" + (row.record?.revision.map { " (commit \($0.prefix(12)))" } ?? ""))
                    return lines.joined(separator: "\n")
                }.joined(separator: "\n\n")
            }
        }
    }

    /// `kernel plugins marketplace update [name]`
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Refresh a marketplace's catalog from its source (all when no name is given).",
            discussion: "Exit status: 0 all updated, 1 when one failed (the others are still updated).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The marketplace's name.")
        var name: String?

        func run() throws {
            let host = try global.host()
            let outcomes = try global.run { () throws(KernelError) in try host.updateMarketplaces(name) }
            try global.printResults(outcomes, json: \.json, none: "No marketplaces added.", failed: { $0.error != nil }) { o in
                for d in o.diagnostics { Output.err(d.description) }
                if let error = o.error {
                    Output.err("error: Marketplace \"\(o.name)\" could not be updated: \(error.message)")
                } else {
                    let what = o.status == "updated" ? "updated successfully" : "is up to date"
                    let commits = o.oldRevision.flatMap { old in o.revision.map { old == $0 ? "" : " (\(old.prefix(12)) → \($0.prefix(12)))" } } ?? ""
                    Output.out("Marketplace \"\(o.name)\" \(what)\(commits).")
                }
            }
        }
    }

    /// `kernel plugins marketplace remove <name> [--scope]`
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove a marketplace and uninstall its plugins.", aliases: ["rm"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The marketplace's name.")
        var name: String

        @Option(name: .long, help: "Remove only this scope's declaration (default: every scope).")
        var scope: Scope?

        func run() throws {
            let host = try global.host()
            let removal = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.removeMarketplace(name, scope: scope) } }
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true), ("name", .string(removal.name)),
                    ("uninstalled", .array(removal.uninstalled.map { .object([("pluginId", .string($0.id)), ("scope", .string($0.scope.rawValue))]) })),
                    ("scopes", .strings(removal.scopes.map(\.rawValue))),
                ]).serialized())
                return
            }
            for u in removal.uninstalled { Output.out("Plugin \"\(u.id)\" uninstalled (scope \(u.scope.rawValue)).") }
            Output.out("Marketplace \"\(removal.name)\" removed.")
        }
    }
}

extension KernelCommand.Plugins {
    /// `kernel plugins search <query> [--json]`
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search", abstract: "Search the added marketplaces' plugins (name matches first, then keywords, then descriptions).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Words to look for (each must match the start of a word).")
        var query: [String]

        @Option(help: "At most this many results.")
        var limit = 50

        func run() throws {
            let host = try global.host(readOnly: true)
            let results = try global.run { () throws(KernelError) in try host.searchCatalog(query.joined(separator: " "), limit: limit) }
            Teardown.leave(host)
            global.printListing(results, json: { r in
                .object([("pluginId", .string(r.entry.id)), ("name", .string(r.entry.name)),
                         ("marketplaceName", .string(r.entry.marketplace)), ("version", .optional(r.entry.version)),
                         ("description", .optional(r.entry.description)), ("category", .optional(r.entry.category)),
                         ("keywords", .strings(r.entry.keywords)), ("matched", .string(r.match.rawValue))])
            }, empty: "No plugins match \"\(query.joined(separator: " "))\".") { results in
                Format.table(results.map { r in [r.entry.id, r.entry.version ?? "", Format.short(r.entry.description, limit: 70)] })
            }
        }
    }

    /// `kernel plugins update [name] [-s scope] [--json]`
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Update installed plugins whose content changed at their source (all when no name is given).",
            discussion: "Exit status: 0 when every plugin is updated or up to date, 1 when one failed.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var name: String?

        @Option(name: .shortAndLong, help: "Only installs at this scope.")
        var scope: Scope?

        func run() throws {
            let host = try global.host()
            let results = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.updatePlugins(name, scope: scope) } }
            try global.printResults(results, json: \.json, none: "No plugins installed.", failed: { $0.error != nil }) { r in
                if let error = r.error {
                    Output.err("error: Plugin \"\(r.id)\" (\(r.scope.rawValue)) could not be updated: \(error.message)")
                } else if r.status == "updated" {
                    let content = r.oldVersion == r.newVersion ? " (content \(r.oldSHA256.prefix(12)) → \((r.newSHA256 ?? "").prefix(12)))" : ""
                    Output.out("Plugin \"\(r.id)\" updated: \(r.oldVersion) → \(r.newVersion ?? "?")\(content).")
                    for d in r.installedDependencies { Output.out("Dependency \"\(d)\" installed (required by \(r.id)).") }
                } else {
                    Output.out("Plugin \"\(r.id)\" is up to date (\(r.oldVersion)).")
                }
            }
        }
    }
}
