import Foundation
import Glibc
public import KernelCore
import KernelStore

/// User configuration of installed plugins (`plugins install --config`, `plugins configure`), stored where the
/// reference host reads it: settings key `pluginConfigs.<plugin id>` of the scope's settings file, plugin-level
/// values under `options.<key>`, server-level ones under `mcpServers.<server>.<key>`. Sensitive values never go
/// into a settings file: they are kept in `<user root>/kernel/secrets/plugin-config.json` (0600, in a 0700
/// folder, written atomically), `{"<plugin id>": {"<key>": value}}` with the same flat keys.
extension PluginHost {
    /// The file holding sensitive values.
    public var secretsFile: String { FileSystem.join(paths.home, "kernel/secrets/plugin-config.json") }

    /// One key of a plugin's configuration, as `configure` shows it.
    public struct ConfigEntry: Sendable {
        public var key: String
        public var option: UserConfigOption
        public var value: UserConfigValue?
        /// Where the value comes from: a settings file, the secrets file, or `default`; nil when unset.
        public var origin: String?

        /// The value as shown: a sensitive one masked.
        public var shown: String? {
            guard let value else { return nil }
            return option.sensitive ? "********" : value.text
        }
    }

    /// A plugin's configuration: every key it declares (and any other stored), what is missing, and the files.
    public struct PluginConfiguration: Sendable {
        public var pluginID: String
        /// The key under `pluginConfigs` (and in the secrets file).
        public var configKey: String
        public var scope: Scope
        /// Where non-sensitive values are written (the install scope's settings file).
        public var settingsFile: String
        public var secretsFile: String
        public var entries: [ConfigEntry]
        public var missing: [String]

        public var json: JSONValue {
            .object([
                ("pluginId", .string(pluginID)), ("configKey", .string(configKey)), ("scope", .string(scope.rawValue)),
                ("settingsFile", .string(settingsFile)), ("secretsFile", .string(secretsFile)),
                ("needsConfiguration", .bool(!missing.isEmpty)), ("missing", .strings(missing)),
                ("options", .array(entries.map { e in
                    .object([
                        ("key", .string(e.key)), ("type", .string(e.option.type.rawValue)),
                        ("title", .optional(e.option.title)), ("description", .optional(e.option.description)),
                        ("required", .bool(e.option.required)), ("sensitive", .bool(e.option.sensitive)),
                        ("multiple", .bool(e.option.multiple)), ("set", .bool(e.value != nil && e.origin != "default")),
                        ("value", e.value.map { e.option.sensitive ? .string("********") : $0.json } ?? .null),
                        ("origin", .optional(e.origin)),
                    ])
                })),
            ])
        }
    }

    /// The key a plugin's values are stored under, as the reference host looks them up: `name@marketplace` for a
    /// marketplace plugin, the plain name for a folder install (`@local`) or a `--plugin-dir` folder (`@flag`).
    static func configID(_ id: String, name: String) -> String {
        id.hasSuffix("@flag") || id.hasSuffix("@local") ? name : id
    }

    /// The sensitive values of every plugin (the secrets file, read; empty when it does not exist).
    func readSecrets() throws(KernelError) -> Node {
        guard FileSystem.exists(secretsFile) else { return Node(.object([]), line: 1, column: 1) }
        do { return try SettingsFile.read(secretsFile) } catch { throw KernelError(settings: error) }
    }

    /// A plugin's values, merged: `pluginConfigs` of the user, project and local settings (key by key, the most
    /// specific file wins; the entry of its id, else of its plain name, as the reference host looks it up), then
    /// the secrets file. With `origins`, where each came from.
    static func configValues(id: String, name: String, settings: SettingsSnapshot, secrets: Node)
        -> (values: [String: UserConfigValue], origins: [String: String]) {
        var values: [String: UserConfigValue] = [:]
        var origins: [String: String] = [:]
        func take(_ key: String, _ node: Node, from origin: String) {
            if let v = UserConfigValue(node: node) {
                values[key] = v
                origins[key] = origin
            }
        }
        for scope in [Scope.user, .project, .local] {
            let configs = settings[scope]["pluginConfigs"]
            guard let entry = configs?[id] ?? configs?[name] else { continue }
            let file = settings.files[scope] ?? scope.rawValue
            for m in entry["options"]?.members ?? [] { take(m.key, m.value, from: file) }
            for server in entry["mcpServers"]?.members ?? [] {
                for m in server.value.members ?? [] { take(UserConfigOption.serverKey(server.key, m.key), m.value, from: file) }
            }
        }
        for m in secrets[id]?.members ?? [] { take(m.key, m.value, from: "secrets") }
        return (values, origins)
    }

    /// The resolution of one plugin's configuration in a composition.
    static func configResolution(id: String, bundle: PluginBundle, settings: SettingsSnapshot, secrets: Node) -> UserConfigResolution {
        let key = configID(id, name: bundle.name)
        return UserConfigResolution(pluginID: id, options: bundle.userConfigOptions,
                                    values: configValues(id: key, name: bundle.name, settings: settings, secrets: secrets).values)
    }

    /// The missing required keys of a listed plugin (from its cached summary: no bundle read).
    static func missingConfig(id: String, name: String, required: [String], settings: SettingsSnapshot, secrets: Node) -> [String] {
        guard !required.isEmpty else { return [] }
        let key = configID(id, name: name)
        let values = configValues(id: key, name: name, settings: settings, secrets: secrets).values
        return required.filter { values[$0] == nil }
    }

    /// The option a key given on the command line names: a declared key, else a server-level key
    /// (`mcpServers.<server>.<key>`) of one of the plugin's servers (as the reference host's `pluginConfigs`
    /// allows any), read as a string.
    static func configOption(_ key: String, bundle: PluginBundle) throws(KernelError) -> UserConfigOption {
        let options = bundle.userConfigOptions
        if let o = options.first(where: { $0.key == key }) { return o }
        if let (server, _) = UserConfigOption.splitServerKey(key), bundle.mcpServers.contains(where: { $0.name == server }) {
            var o = UserConfigOption(key: key, type: .string)
            o.server = server
            return o
        }
        let names = options.map(\.key)
        var message = "plugin \(bundle.name) has no configuration key '\(key)'"
        message += names.isEmpty ? " (it declares none)" : "\(didYouMean(key, in: names)); its keys: \(names.joined(separator: ", "))"
        throw KernelError(.invalidInput, message)
    }

    /// Checks `KEY=VALUE` assignments (a key given several times has several values) against a bundle's
    /// declarations, before anything is written.
    public static func checkedConfig(_ assignments: [(key: String, values: [String])], bundle: PluginBundle,
                                     workingDirectory: String = FileManager.default.currentDirectoryPath)
        throws(KernelError) -> [(option: UserConfigOption, value: UserConfigValue)] {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var out: [(option: UserConfigOption, value: UserConfigValue)] = []
        for a in assignments {
            let option = try configOption(a.key, bundle: bundle)
            do {
                out.append((option, try option.value(from: a.values, workingDirectory: workingDirectory, homeDirectory: home)))
            } catch {
                throw KernelError(.invalidInput, "plugin \(bundle.name): \(error.message)")
            }
        }
        return out
    }

    /// Parses `KEY=VALUE` items, grouping the values of a repeated key in order.
    public static func parseAssignments(_ items: [String]) throws(KernelError) -> [(key: String, values: [String])] {
        var out: [(key: String, values: [String])] = []
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw KernelError(.invalidInput, "'\(item)' is not KEY=VALUE")
            }
            let key = String(item[..<eq])
            let value = String(item[item.index(after: eq)...])
            if let i = out.firstIndex(where: { $0.key == key }) { out[i].values.append(value) } else { out.append((key, [value])) }
        }
        return out
    }

    /// The settings key path of a value: `pluginConfigs.<id>.options.<key>` or
    /// `pluginConfigs.<id>.mcpServers.<server>.<key>`.
    static func settingsKeyPath(id: String, key: String) -> [String] {
        if let (server, k) = UserConfigOption.splitServerKey(key) { return ["pluginConfigs", id, "mcpServers", server, k] }
        return ["pluginConfigs", id, "options", key]
    }

    /// Writes checked values and removes `unset` keys: non-sensitive values in `scope`'s settings file,
    /// sensitive ones in the secrets file (and never in settings: a stale copy there is removed).
    func writeConfig(id: String, scope: Scope, set: [(option: UserConfigOption, value: UserConfigValue)], unset: [String]) throws(KernelError) {
        var settingsEdits: [SettingsFile.Edit] = []
        var secretEdits: [SettingsFile.Edit] = []
        for (option, value) in set {
            if option.sensitive {
                secretEdits.append(([id, option.key], value.json))
                settingsEdits.append((Self.settingsKeyPath(id: id, key: option.key), nil))
            } else {
                settingsEdits.append((Self.settingsKeyPath(id: id, key: option.key), value.json))
                secretEdits.append(([id, option.key], nil))
            }
        }
        for key in unset {
            settingsEdits.append((Self.settingsKeyPath(id: id, key: key), nil))
            secretEdits.append(([id, key], nil))
        }
        let settingsFile = paths.settingsFile(scope)
        do {
            // The secrets first: a sensitive value is never only in the settings file, even for a moment.
            if !secretEdits.isEmpty, set.contains(where: { $0.option.sensitive }) || FileSystem.exists(secretsFile) {
                try prepareSecretsFile()
                try SettingsFile.update(secretsFile) { document in
                    // Removing from a plugin's entry that is absent: no edit (nothing to remove).
                    secretEdits.filter { $0.value != nil || document[$0.keyPath[0]]?[$0.keyPath[1]] != nil }
                }
            }
            try SettingsFile.update(settingsFile) { document in
                settingsEdits.filter { edit in
                    edit.value != nil || edit.keyPath.reduce(Optional(document)) { node, key in node?[key] } != nil
                }
            }
        } catch let error as SettingsError {
            throw KernelError(settings: error)
        } catch let error as KernelError {
            throw error
        } catch {
            throw KernelError(.io, wrapping: error)
        }
    }

    /// The secrets folder 0700 and the file 0600 (created empty when missing), whatever the umask.
    func prepareSecretsFile() throws(KernelError) {
        let dir = (secretsFile as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw KernelError(.io, "cannot create \(dir): \(error.localizedDescription)", underlying: error)
        }
        guard chmod(dir, 0o700) == 0 else { throw KernelError(.io, "cannot set the mode of \(dir): \(String(cString: strerror(errno)))") }
        let fd = open(secretsFile, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw KernelError(.io, "cannot create \(secretsFile): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw KernelError(.io, "cannot set the mode of \(secretsFile): \(String(cString: strerror(errno)))") }
    }

    /// The configuration of an installed plugin (the most specific install when it is at several scopes, or
    /// `scope`'s).
    public func configuration(of name: String, scope: Scope? = nil) throws(KernelError) -> PluginConfiguration {
        let (receipt, bundle) = try configTarget(name, scope: scope)
        return try configuration(receipt: receipt, bundle: bundle)
    }

    /// Sets and removes values of an installed plugin's configuration. Everything is checked before anything
    /// is written: an unknown key or a value that does not fit its option refuses the whole change.
    /// - Returns: the configuration after the change.
    @discardableResult
    public func configure(_ name: String, scope: Scope? = nil, set assignments: [(key: String, values: [String])],
                          unset: [String] = []) throws(KernelError) -> PluginConfiguration {
        let (receipt, bundle) = try configTarget(name, scope: scope)
        let id = Self.configID(receipt.id, name: bundle.name)
        let checked = try Self.checkedConfig(assignments, bundle: bundle)
        let current = try configuration(receipt: receipt, bundle: bundle)
        for key in unset where !current.entries.contains(where: { $0.key == key }) {
            _ = try Self.configOption(key, bundle: bundle)
        }
        if let both = unset.first(where: { key in assignments.contains { $0.key == key } }) {
            throw KernelError(.invalidInput, "'\(both)' is both set and unset")
        }
        try writeConfig(id: id, scope: receipt.scope, set: checked, unset: unset)
        return try configuration(receipt: receipt, bundle: bundle)
    }

    /// Writes values checked before an install (`install --config`) for the plugin just installed.
    public func storeConfig(pluginID: String, name: String, scope: Scope,
                            _ checked: [(option: UserConfigOption, value: UserConfigValue)]) throws(KernelError) {
        guard !checked.isEmpty else { return }
        try writeConfig(id: Self.configID(pluginID, name: name), scope: scope, set: checked, unset: [])
    }

    func configTarget(_ name: String, scope: Scope?) throws(KernelError) -> (InstallReceipt, PluginBundle) {
        let matches = try receipts(matching: name, scope: scope)
        let receipt = matches.max { $0.scope.priority < $1.scope.priority }!
        return (receipt, BundleLoader.load(at: receipt.installPath))
    }

    func configuration(receipt: InstallReceipt, bundle: PluginBundle) throws(KernelError) -> PluginConfiguration {
        let settings = try SettingsSnapshot(paths: paths)
        let secrets = try readSecrets()
        let id = Self.configID(receipt.id, name: bundle.name)
        let (values, origins) = Self.configValues(id: id, name: bundle.name, settings: settings, secrets: secrets)
        var entries: [ConfigEntry] = []
        let options = bundle.userConfigOptions
        for o in options {
            if let v = values[o.key] {
                entries.append(ConfigEntry(key: o.key, option: o, value: v, origin: origins[o.key]))
            } else {
                entries.append(ConfigEntry(key: o.key, option: o, value: o.defaultValue, origin: o.defaultValue == nil ? nil : "default"))
            }
        }
        // Values stored for keys the plugin does not declare (server-level keys written by hand).
        for key in values.keys.sorted() where !options.contains(where: { $0.key == key }) {
            var o = UserConfigOption(key: key, type: .string)
            o.sensitive = origins[key] == "secrets"
            entries.append(ConfigEntry(key: key, option: o, value: values[key], origin: origins[key]))
        }
        let missing = UserConfigResolution(pluginID: receipt.id, options: options, values: values).missing
        return PluginConfiguration(pluginID: receipt.id, configKey: id, scope: receipt.scope, settingsFile: paths.settingsFile(receipt.scope),
                                   secretsFile: secretsFile, entries: entries, missing: missing)
    }
}
