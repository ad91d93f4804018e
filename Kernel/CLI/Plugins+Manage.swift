import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelMarketplace

extension KernelCommand.Plugins {
    /// `kernel plugins install <dir | name[@marketplace]> [-s scope] [--version V]`
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install", abstract: "Install a plugin folder (validated first) as <name>@local, or a plugin of an added marketplace by name.",
            discussion: "A path (holding '/', or starting with '.' or '~') is a folder; anything else is a name, name@marketplace. "
                + "Exit status: 0 installed, 1 refused (the diagnostics are printed), 64 usage error.",
            aliases: ["i"]
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The plugin folder (absolute, relative, or ~/...), or name[@marketplace].")
        var path: String

        @Option(name: .shortAndLong, help: "Installation scope: user, project or local.")
        var scope: Scope = .user

        @Option(name: .long, help: "For a marketplace plugin: the version that must be installed.")
        var version: String?

        @Option(name: .customLong("config"), help: ArgumentHelp("A user configuration value (repeatable; a key given twice is a list).", valueName: "KEY=VALUE"))
        var config: [String] = []

        func validate() throws {
            for item in config where item.firstIndex(of: "=").map({ $0 == item.startIndex }) ?? true {
                throw ValidationError("--config '\(item)' is not KEY=VALUE")
            }
        }

        /// The `--config` values, checked against the bundle before anything is installed.
        func configCheck(_ checked: CheckedConfig) -> (PluginBundle) throws(KernelError) -> Void {
            let assignments = (try? PluginHost.parseAssignments(config)) ?? []
            return { bundle throws(KernelError) in
                checked.values = try PluginHost.checkedConfig(assignments, bundle: bundle)
            }
        }

        func run() throws {
            let host = try global.host()
            if let refusal = PluginHost.urlInstallRefusal(path) { throw global.fail(refusal) }
            let directory = path.hasPrefix("~/") ? NSString(string: path).expandingTildeInPath : path
            let looksLikePath = path.contains("/") || path.hasPrefix(".") || path.hasPrefix("~")
            if !looksLikePath, !(FileSystem.isDirectory(directory) && !path.contains("@") && (try? host.resolveCatalogEntry(path)) == nil) {
                try installByName(host)
                return
            }
            guard FileSystem.isDirectory(directory) else {
                throw global.fail(KernelError(.notFound, "Directory not found: \(path)"))
            }
            if !global.json { Output.out("Installing plugin \"\(path)\"...") }
            let checked = CheckedConfig()
            let result = try global.run { () throws(KernelError) in
                try host.keepingTrust { () throws(KernelError) in
                    try host.installWithDependencies(from: directory, scope: scope, check: configCheck(checked))
                }
            }
            try report(result, host: host, checked: checked)
        }

        func installByName(_ host: PluginHost) throws {
            if !global.json { Output.out("Installing plugin \"\(path)\"...") }
            let checked = CheckedConfig()
            let result = try global.run { () throws(KernelError) in
                try host.keepingTrust { () throws(KernelError) in
                    try host.installWithDependencies(named: path, scope: scope, version: version, check: configCheck(checked))
                }
            }
            if !global.json { for notice in result.notices { Output.err(notice) } }
            try report(result.install, host: host, checked: checked)
        }

        /// Stores the `--config` values, asks on a terminal for required keys still missing (never when stdin
        /// is not a terminal, nor with `--json`), and reports.
        func report(_ result: DependencyInstall, host: PluginHost, checked: CheckedConfig) throws {
            let outcome = result.outcome
            var missing = try global.run { () throws(KernelError) in
                try host.storeConfig(pluginID: outcome.id, name: outcome.bundle.name, scope: outcome.scope, checked.values)
                return try host.configuration(of: outcome.id, scope: outcome.scope).missing
            }
            if !missing.isEmpty && !global.json && Prompt.isInteractive {
                missing = try Prompt.ask(host: host, pluginID: outcome.id, scope: outcome.scope, global: global)
            }
            report(result, missing: missing)
        }

        func report(_ result: DependencyInstall, missing: [String]) {
            let outcome = result.outcome
            if global.json {
                var members: [(String, JSONValue)] = [
                    ("ok", true), ("pluginId", .string(outcome.id)), ("version", .string(outcome.version)),
                    ("path", .string(outcome.installPath)), ("scope", .string(outcome.scope.rawValue)),
                    ("sha256", .string(outcome.sha256)),
                ]
                // Only for a plugin with dependencies: the shape is otherwise what it was.
                if !result.installed.isEmpty || !result.satisfied.isEmpty {
                    members.append(("dependencies", .array(result.installed.map { d in
                        .object([("pluginId", .string(d.id)), ("version", .string(d.version)), ("path", .string(d.installPath))])
                    })))
                    members.append(("satisfied", .strings(result.satisfied)))
                }
                if !missing.isEmpty {
                    members.append(("needsConfiguration", .bool(true)))
                    members.append(("missing", .strings(missing)))
                }
                Output.out(JSONValue.object(members).serialized())
            } else {
                for d in outcome.bundle.diagnostics where d.severity == .warning { Output.err(d.description) }
                for d in result.installed {
                    Output.out("Dependency \"\(d.id)\" \(d.version) installed (required by \(outcome.id)).")
                }
                Output.out("Plugin \"\(outcome.id)\" installed successfully.")
                if let first = missing.first {
                    Output.out("Plugin \"\(outcome.id)\" needs configuration: missing \(missing.joined(separator: ", ")); its hooks and MCP servers "
                               + "do not start until you run `kernel plugins configure \(outcome.id) \(first)=…`.")
                }
            }
        }
    }

    /// `kernel plugins uninstall <name> [-s scope] [--keep-data]`
    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall", abstract: "Uninstall a plugin: its copy, receipt, settings key and (unless --keep-data) its data folder.",
            aliases: ["remove", "rm"]
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id (name@marketplace).")
        var name: String

        @Option(name: .shortAndLong, help: "The scope to uninstall from (default: the most specific it is installed at).")
        var scope: Scope?

        @Flag(help: "Keep the plugin's data folder.")
        var keepData = false

        @Flag(help: "Also uninstall the plugins that require it (else their need refuses the uninstall).")
        var cascade = false

        func run() throws {
            let host = try global.host()
            let outcomes = try global.run { () throws(KernelError) in
                try host.keepingTrust { () throws(KernelError) in try host.uninstall(name, scope: scope, keepData: keepData, cascade: cascade) }
            }
            let outcome = outcomes.last!
            func json(_ o: PluginHost.UninstallOutcome) -> [(String, JSONValue)] {
                [("pluginId", .string(o.id)), ("scope", .string(o.scope.rawValue)),
                 ("fullyRemoved", .bool(o.fullyRemoved)), ("removedData", .bool(o.removedData))]
            }
            if global.json {
                Output.out(JSONValue.object([("ok", true)] + json(outcome)
                    + [("cascaded", .array(outcomes.dropLast().map { .object(json($0)) }))]).serialized())
                return
            }
            for o in outcomes {
                if o.fullyRemoved {
                    Output.out("Plugin \"\(o.id)\" fully uninstalled.")
                } else {
                    Output.out("Plugin \"\(o.id)\" removed from scope \"\(o.scope.rawValue)\".")
                }
            }
        }
    }

    /// `kernel plugins enable <name> [-s scope]`
    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable an installed plugin (writes enabledPlugins).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var name: String

        @Option(name: .shortAndLong, help: "The settings file to write (default: the scope it is installed at).")
        var scope: Scope?

        func run() throws {
            let host = try global.host()
            let result = try global.run { () throws(KernelError) in try host.setEnabled(name, true, scope: scope) }
            report(global, id: result.id, scope: result.scope, verb: "enabled")
        }
    }

    /// `kernel plugins disable <name> [-s scope]`, `kernel plugins disable --all [-s scope]`
    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an installed plugin, or all plugins of a scope.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var name: String?

        @Flag(name: .shortAndLong, help: "Disable every enabled plugin in the chosen scope.")
        var all = false

        @Option(name: .shortAndLong, help: "The settings file to write (default: the scope it is installed at; user with --all).")
        var scope: Scope?

        @Flag(help: "Also disable the enabled plugins that require it (else their need refuses it).")
        var cascade = false

        func validate() throws {
            if all == (name != nil) { throw ValidationError("give a plugin name or --all, not both") }
        }

        func run() throws {
            let host = try global.host()
            if all {
                let target = scope ?? .user
                let ids = try global.run { () throws(KernelError) in try host.disableAll(scope: target) }
                if global.json {
                    Output.out(JSONValue.object([("ok", true), ("scope", .string(target.rawValue)), ("disabled", .strings(ids))]).serialized())
                } else {
                    Output.out("Disabled \(ids.count) plugin(s).")
                }
                return
            }
            let results = try global.run { () throws(KernelError) in try host.disable(name!, scope: scope, cascade: cascade) }
            if global.json {
                let last = results.last!
                Output.out(JSONValue.object([
                    ("ok", true), ("pluginId", .string(last.id)), ("scope", .string(last.scope.rawValue)), ("enabled", false),
                    ("cascaded", .array(results.dropLast().map { .object([("pluginId", .string($0.id)), ("scope", .string($0.scope.rawValue))]) })),
                ]).serialized())
                return
            }
            for result in results { report(global, id: result.id, scope: result.scope, verb: "disabled") }
        }
    }

    /// `kernel plugins prune [--dry-run] [--json]`
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Uninstall auto-installed dependencies that no installed plugin requires any more.",
            discussion: "Never removes a plugin the user installed. Exit status: 0 done (or nothing to do), 1 failure."
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Only list what would be removed.")
        var dryRun = false

        func run() throws {
            let host = try global.host()
            let pruned = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.prune(dryRun: dryRun) } }
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true), ("dryRun", .bool(dryRun)),
                    ("pruned", .array(pruned.map { .object([("pluginId", .string($0.id)), ("scope", .string($0.scope.rawValue)),
                                                           ("version", .string($0.version))]) })),
                ]).serialized())
                return
            }
            if pruned.isEmpty { Output.out("Nothing to prune: every auto-installed dependency is still required."); return }
            for r in pruned {
                Output.out((dryRun ? "Would uninstall" : "Uninstalled") + " \"\(r.id)\" \(r.version) (scope \(r.scope.rawValue)): no installed plugin requires it.")
            }
        }
    }
}

private func report(_ global: GlobalOptions, id: String, scope: Scope, verb: String) {
    if global.json {
        Output.out(JSONValue.object([("ok", true), ("pluginId", .string(id)), ("scope", .string(scope.rawValue)),
                                     ("enabled", .bool(verb == "enabled"))]).serialized())
    } else {
        Output.out("Plugin \"\(id)\" \(verb) (scope \(scope.rawValue)).")
    }
}
