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
            let outcome = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.install(from: directory, scope: scope) } }
            report(outcome)
        }

        func installByName(_ host: PluginHost) throws {
            if !global.json { Output.out("Installing plugin \"\(path)\"...") }
            let result = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.install(named: path, scope: scope, version: version) } }
            if !global.json { for notice in result.notices { Output.err(notice) } }
            report(result.outcome)
        }

        func report(_ outcome: PluginHost.InstallOutcome) {
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true), ("pluginId", .string(outcome.id)), ("version", .string(outcome.version)),
                    ("path", .string(outcome.installPath)), ("scope", .string(outcome.scope.rawValue)),
                    ("sha256", .string(outcome.sha256)),
                ]).serialized())
            } else {
                for d in outcome.bundle.diagnostics where d.severity == .warning { Output.err(d.description) }
                Output.out("Plugin \"\(outcome.id)\" installed successfully.")
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

        func run() throws {
            let host = try global.host()
            let outcome = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.uninstall(name, scope: scope, keepData: keepData) } }
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true), ("pluginId", .string(outcome.id)), ("scope", .string(outcome.scope.rawValue)),
                    ("fullyRemoved", .bool(outcome.fullyRemoved)), ("removedData", .bool(outcome.removedData)),
                ]).serialized())
            } else if outcome.fullyRemoved {
                Output.out("Plugin \"\(outcome.id)\" fully uninstalled.")
            } else {
                Output.out("Plugin \"\(outcome.id)\" removed from scope \"\(outcome.scope.rawValue)\".")
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
            let result = try global.run { () throws(KernelError) in try host.setEnabled(name!, false, scope: scope) }
            report(global, id: result.id, scope: result.scope, verb: "disabled")
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
