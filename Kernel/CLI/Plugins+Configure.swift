import ArgumentParser
import Foundation
import KernelCore
import KernelHost
#if canImport(Glibc)
import Glibc
#endif

extension KernelCommand.Plugins {
    /// `kernel plugins configure <plugin> [KEY=VALUE…] [--unset KEY…] [-s scope] [--json]`
    struct Configure: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "configure", abstract: "Show or set an installed plugin's user configuration (userConfig, {{USER_CONFIG}} server URLs).",
            discussion: "With no values: the current configuration, sensitive values masked. KEY=VALUE sets a key (given twice: a list, "
                + "for a 'multiple' key); --unset removes one. Non-sensitive values go to pluginConfigs.<plugin id> of the settings file "
                + "of the scope the plugin is installed at; sensitive ones to a 0600 file under the user root, never to settings. "
                + "Every value is checked first (type, options, min, max; a directory or file must exist): a bad one changes nothing. "
                + "Exit status: 0 done, 1 refused, 64 usage error."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The installed plugin's name or id.")
        var plugin: String

        @Argument(help: ArgumentHelp("Values to set.", valueName: "KEY=VALUE"))
        var values: [String] = []

        @Option(name: .customLong("unset"), help: ArgumentHelp("A key to remove (repeatable).", valueName: "KEY"))
        var unset: [String] = []

        @Option(name: .shortAndLong, help: "The install to configure when the plugin is installed at several scopes.")
        var scope: Scope?

        func validate() throws {
            for item in values where item.firstIndex(of: "=").map({ $0 == item.startIndex }) ?? true {
                throw ValidationError("'\(item)' is not KEY=VALUE")
            }
        }

        func run() throws {
            let host = try global.host()
            let result = try global.run { () throws(KernelError) in
                if values.isEmpty && unset.isEmpty { return try host.configuration(of: plugin, scope: scope) }
                return try host.configure(plugin, scope: scope, set: try PluginHost.parseAssignments(values), unset: unset)
            }
            if global.json {
                Output.out(result.json.serialized())
                return
            }
            if !values.isEmpty || !unset.isEmpty {
                let changed = PluginHost.parseAssignmentKeys(values) + unset
                Output.out("Configuration of \"\(result.pluginID)\" updated (\(changed.joined(separator: ", "))).")
            }
            Output.out(ConfigText.text(result))
        }
    }
}

extension PluginHost {
    /// The keys of `KEY=VALUE` items, each once, in order.
    static func parseAssignmentKeys(_ items: [String]) -> [String] {
        var keys: [String] = []
        for item in items {
            let key = String(item.prefix { $0 != "=" })
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }
}

enum ConfigText {
    static func text(_ c: PluginHost.PluginConfiguration) -> String {
        var lines = ["\(c.pluginID) (\(c.scope.rawValue) scope)"]
        if c.entries.isEmpty {
            lines.append("  No configuration: the plugin declares no userConfig keys and no {{USER_CONFIG}} server URL.")
        }
        var rows: [[String]] = []
        for e in c.entries {
            let flags = [e.option.type.rawValue, e.option.required ? "required" : nil, e.option.sensitive ? "sensitive" : nil,
                         e.option.multiple ? "multiple" : nil].compactMap { $0 }.joined(separator: ", ")
            let value = e.shown.map { e.origin == "default" ? "\($0) (default)" : $0 } ?? (e.option.mustBeGiven ? "(missing)" : "(unset)")
            rows.append(["  \(e.key)", value, "[\(flags)]", e.option.title ?? ""])
        }
        if !rows.isEmpty { lines.append(Format.table(rows)) }
        if let first = c.missing.first {
            lines.append("Needs configuration: missing \(c.missing.joined(separator: ", ")); its hooks and MCP servers do not start until "
                         + "`kernel plugins configure \(c.pluginID) \(first)=…` sets them.")
        }
        lines.append("Settings: \(c.settingsFile) (pluginConfigs.\(c.configKey)); sensitive values: \(c.secretsFile)")
        return lines.joined(separator: "\n")
    }
}

/// Asking for missing required values on a terminal (`plugins install` without `--config` for them).
enum Prompt {
    /// Standard input and standard error are terminals.
    static var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }

    /// Asks for each missing required key (a sensitive one without echo), stores each answer as it is given
    /// (checked like `configure`; a bad answer is asked again, an empty one skips the key), and returns what is
    /// still missing.
    static func ask(host: PluginHost, pluginID: String, scope: Scope, global: GlobalOptions) throws -> [String] {
        var current = try global.run { () throws(KernelError) in try host.configuration(of: pluginID, scope: scope) }
        for key in current.missing {
            guard let entry = current.entries.first(where: { $0.key == key }) else { continue }
            let o = entry.option
            var label = o.title.map { "\($0) [\(key)]" } ?? key
            if let options = o.options { label += " (one of \(options.joined(separator: ", ")))" }
            if let description = o.description, !description.isEmpty { Output.err("\(description)") }
            while true {
                FileHandle.standardError.write(Data("\(label): ".utf8))
                guard let answer = readLine(silent: o.sensitive) else { return current.missing }
                if answer.isEmpty { break }
                do {
                    current = try host.configure(pluginID, scope: scope, set: [(key, [answer])])
                    break
                } catch {
                    Output.err("error: \(error.message)")
                }
            }
        }
        return current.missing
    }

    /// One line from standard input, without echo when `silent`; nil at end of input.
    static func readLine(silent: Bool) -> String? {
        var saved = termios()
        let hide = silent && tcgetattr(0, &saved) == 0
        if hide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
        }
        defer {
            if hide {
                tcsetattr(0, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return Swift.readLine(strippingNewline: true)
    }
}

/// The values `install --config` checked against the fetched bundle, handed from the check to the report.
final class CheckedConfig: @unchecked Sendable {
    var values: [(option: UserConfigOption, value: UserConfigValue)] = []
}
