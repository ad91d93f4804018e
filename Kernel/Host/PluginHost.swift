import Foundation
// The facade re-exports the model: `import KernelHost` gives an embedder KernelPaths, Registry, KernelError…
@_exported public import KernelCore
public import KernelStore
public import KernelNative

/// The kernel as an agent CLI embeds it: installed plugins (receipts in the store), their enablement
/// (`enabledPlugins` in the settings files), and the registry composed from every source.
///
/// Every operation re-reads what it needs; several processes may work on the same home at once.
public final class PluginHost: Sendable {
    public let paths: KernelPaths
    public let store: KernelStore
    /// Where built-in modules are found and how modules are scanned.
    public let moduleOptions: ModuleOptions

    /// Opens the store under `paths.home` (creating it on first use).
    public init(paths: KernelPaths, modules: ModuleOptions = ModuleOptions()) throws(KernelError) {
        self.paths = paths
        self.moduleOptions = modules
        do {
            store = try KernelStore(path: paths.databaseFile)
        } catch {
            throw KernelError(.store, wrapping: error, context: "cannot open the kernel database \(paths.databaseFile)")
        }
    }

    /// Another project's host on the same home and store.
    init(paths: KernelPaths, sharing other: PluginHost) {
        self.paths = paths
        self.store = other.store
        self.moduleOptions = other.moduleOptions
    }

    /// Opens the host for a command that only reads the store: read-only when the database exists with this
    /// kernel's schema (``KernelStore/openForReading(path:)``), else as ``init(paths:modules:)`` does. What
    /// must write despite it (indexing a marketplace the Qoder CLI added) opens the database for writing then.
    public convenience init(readingAt paths: KernelPaths) throws(KernelError) {
        if let store = KernelStore.openForReading(path: paths.databaseFile) {
            self.init(paths: paths, store: store, modules: ModuleOptions())
        } else {
            try self.init(paths: paths)
        }
    }

    init(paths: KernelPaths, store: KernelStore, modules: ModuleOptions) {
        self.paths = paths
        self.moduleOptions = modules
        self.store = store
    }

    // MARK: - Installed plugins

    /// The receipts that apply here: user-scope installs, and project/local installs of this project, after
    /// reconciling the store with `installed_plugins_v2.json` (see `reconciledReceipts`).
    public func installed() throws(KernelError) -> [InstallReceipt] {
        try installedHere().receipts
    }

    /// `installed()` with what reconciling reported (a corrupt or foreign-version file, entries skipped).
    public func installedHere() throws(KernelError) -> (receipts: [InstallReceipt], diagnostics: [Diagnostic]) {
        let (all, diagnostics) = try reconciledReceipts()
        let here = all.filter { $0.scope == .user || $0.projectPath == paths.project }
            .sorted { ($0.id, $0.scope.rawValue) < ($1.id, $1.scope.rawValue) }
        return (here, diagnostics)
    }

    /// The receipts for a name (`hello` or `hello@local`). A bare name matching plugins of several
    /// marketplaces prefers a marketplace install over a local one (as the reference host does), and is
    /// ambiguous between two marketplaces.
    public func receipts(matching name: String, scope: Scope? = nil) throws(KernelError) -> [InstallReceipt] {
        let all = try installed()
        var matches = all.filter { $0.id == name }
        if matches.isEmpty {
            let byName = all.filter { $0.name == name }
            let ids = Set(byName.map(\.id))
            if ids.count > 1 {
                let nonLocal = ids.filter { !$0.hasSuffix("@local") }
                if nonLocal.count == 1 {
                    matches = byName.filter { nonLocal.contains($0.id) }
                } else {
                    throw KernelError(.ambiguous, "\"\(name)\" is ambiguous: \(ids.sorted().joined(separator: ", ")); use name@marketplace")
                }
            } else {
                matches = byName
            }
        }
        if matches.isEmpty {
            var message = "Plugin \"\(name)\" is not installed."
            let candidates = Array(Set(all.map(\.name) + all.map(\.id)))
            let near = closestMatch(name, in: candidates) ?? candidates.filter { $0.hasPrefix(name) }.min()
            if let near { message += " Did you mean '\(near)'?" }
            throw KernelError(.notInstalled, message)
        }
        if let scope {
            let atScope = matches.filter { $0.scope == scope }
            if atScope.isEmpty {
                throw KernelError(.notInstalled, "Plugin \"\(matches[0].id)\" is not installed at scope \"\(scope.rawValue)\".")
            }
            return atScope
        }
        return matches
    }

    // MARK: - Enablement

    /// `enabledPlugins` of the three settings files: for each id, the value of the most specific scope that
    /// names it (local > project > user).
    public func enabledStates() throws(KernelError) -> [String: (enabled: Bool, scope: Scope)] {
        try SettingsSnapshot(paths: paths).enabledStates
    }

    /// A settings file's document; a file that does not parse is an error naming its line and column.
    public func settings(_ scope: Scope) throws(KernelError) -> Node {
        do {
            return try SettingsFile.read(paths.settingsFile(scope))
        } catch {
            throw KernelError(settings: error)
        }
    }

    func updateSettings(_ scope: Scope, keyPath: [String], value: JSONValue?) throws(KernelError) {
        do {
            try SettingsFile.update(paths.settingsFile(scope), keyPath: keyPath, value: value)
        } catch {
            throw KernelError(settings: error)
        }
    }

    /// Enables or disables an installed plugin by writing `enabledPlugins[id]` in one settings file: `scope`,
    /// else the most specific scope the plugin is installed at.
    /// - Returns: the plugin id and the scope written.
    @discardableResult
    public func setEnabled(_ name: String, _ enabled: Bool, scope: Scope?) throws(KernelError) -> (id: String, scope: Scope) {
        let matches = try receipts(matching: name)
        let id = matches[0].id
        let target = scope ?? matches.map(\.scope).max { $0.priority < $1.priority }!
        if let decision = managedPolicy()?.enabledPlugins[id], decision != enabled {
            let file = managedPolicy()?.file ?? ""
            throw KernelError(.policy, decision
                ? "Plugin \"\(id)\" is enforced by your organization administrator and cannot be disabled (enabledPlugins in \(file))."
                : "Plugin \"\(id)\" is blocked by organization policy (enabledPlugins in \(file)).")
        }
        try updateSettings(target, keyPath: ["enabledPlugins", id], value: .bool(enabled))
        return (id, target)
    }

    /// Disables every plugin enabled in one scope's settings file (and every plugin installed at that scope).
    /// - Returns: the ids disabled.
    public func disableAll(scope: Scope) throws(KernelError) -> [String] {
        let installedHere = try installed().filter { $0.scope == scope }.map(\.id)
        var disabled: [String] = []
        do {
            try SettingsFile.update(paths.settingsFile(scope)) { node in
                var ids: [String] = []
                for member in node["enabledPlugins"]?.members ?? [] where member.value.bool == true {
                    ids.append(member.key)
                }
                for id in installedHere where !ids.contains(id) && node["enabledPlugins"]?[id]?.bool != false {
                    ids.append(id)
                }
                disabled = ids
                return ids.map { (keyPath: ["enabledPlugins", $0], value: JSONValue.bool(false)) }
            }
        } catch let error as SettingsError {
            throw KernelError(settings: error)
        } catch {
            throw KernelError(.settings, wrapping: error)
        }
        return disabled
    }

    /// Whether the plugin `id` is enabled here: the most specific settings file naming it decides; a plugin no
    /// settings file names is disabled.
    public func isEnabled(_ id: String, states: [String: (enabled: Bool, scope: Scope)]) -> Bool {
        states[id]?.enabled ?? false
    }

    /// Whether an installed plugin is enabled here: the settings decide; a dependency installed automatically
    /// that no settings file names is enabled while it is installed (its dependents need it, and writing it
    /// into a project's committed `enabledPlugins` would make it part of the declared set).
    public func isEnabled(_ receipt: InstallReceipt, states: [String: (enabled: Bool, scope: Scope)]) -> Bool {
        states[receipt.id]?.enabled ?? receipt.autoInstalled
    }

    // MARK: - Trust

    /// Whether project-scoped code may run here, and if not, why.
    public struct ProjectTrust: Sendable {
        public var trusted: Bool
        /// Why it is not trusted (nil when it is).
        public var reason: String?
        /// What changed since the project was trusted (empty when nothing did, or it never was trusted).
        public var changes: [String]
    }

    /// The project's trust: `kernel trust` recorded it, and nothing it can execute changed since (see
    /// `projectFingerprint`).
    public func projectTrust() -> ProjectTrust {
        guard let record = try? store.trustRecord(paths.project), record.trusted else {
            return ProjectTrust(trusted: false, reason: "the project \(paths.project) is not trusted (run kernel trust to trust it)", changes: [])
        }
        guard let recorded = record.fingerprint else { return ProjectTrust(trusted: true, reason: nil, changes: []) }
        let changes = Self.fingerprintChanges(recorded: recorded, current: projectFingerprint())
        if changes.isEmpty { return ProjectTrust(trusted: true, reason: nil, changes: []) }
        return ProjectTrust(trusted: false, reason: "the project \(paths.project) changed since it was trusted ("
                            + changes.joined(separator: ", ") + "): review it and run kernel trust again", changes: changes)
    }

    /// True when the project folder has been trusted with `kernel trust` and what it can execute has not
    /// changed since.
    public func isProjectTrusted() -> Bool {
        projectTrust().trusted
    }

    /// What the project can execute, each part as a sha256: `hooks` (the `hooks` of `.qoder/settings.json` and
    /// `.qoder/settings.local.json`), `mcp` (`.mcp.json`), `plugins` (the project's `extraKnownMarketplaces`
    /// and `enabledPlugins`), `lock` (`.qoder/plugins.lock`). A missing file or key hashes as absent. Settings
    /// values are hashed in their compact form, so reformatting a file is not a change; `.mcp.json` and the
    /// lock are hashed as bytes.
    /// - Parameter lockBytes: the lock's bytes to hash instead of the file's (the lock about to be written).
    public func projectFingerprint(lockBytes: [UInt8]? = nil) -> [(part: String, sha256: String)] {
        func settingsPart(_ scopes: [Scope], _ keys: [String]) -> String {
            var text = ""
            for scope in scopes {
                let doc = try? SettingsFile.read(paths.settingsFile(scope))
                for key in keys { text += "\(scope.rawValue).\(key)=" + (doc?[key]?.json.serialized(pretty: false) ?? "absent") + "\n" }
            }
            return SHA256.hash(Array(text.utf8)).hex
        }
        func filePart(_ path: String, _ given: [UInt8]? = nil) -> String {
            guard let bytes = given ?? (try? FileSystem.read(path, limit: 64 << 20)) else { return SHA256.hash(Array("absent".utf8)).hex }
            return SHA256.hash(Array("file\n".utf8) + bytes).hex
        }
        return [("hooks", settingsPart([.project, .local], ["hooks"])),
                ("mcp", filePart(FileSystem.join(paths.project, ".mcp.json"))),
                ("plugins", settingsPart([.project], ["extraKnownMarketplaces", "enabledPlugins"])),
                ("lock", filePart(FileSystem.join(paths.project, ".qoder/plugins.lock"), lockBytes))]
    }

    /// Runs an edit the person asked the kernel to make to the project (`install -s project`, `marketplace
    /// add --scope project`, `sync` writing the lock): when the project was trusted as it was, it stays trusted
    /// as it is afterwards (the fingerprint is recorded again). An untrusted project stays untrusted.
    public func keepingTrust<T>(_ body: () throws(KernelError) -> T) throws(KernelError) -> T {
        let wasTrusted = projectTrust().trusted
        let result = try body()
        if wasTrusted {
            let now = Self.fingerprintJSON(projectFingerprint())
            if (try? store.trustRecord(paths.project))?.fingerprint != now {
                try? store.trust(paths.project, fingerprint: now)
            }
        }
        return result
    }

    /// Before the kernel replaces the lock of a trusted project (`sync`, `update`): the trust accepts the
    /// project with the lock as it is and with `bytes`, so a process killed between writing the lock and
    /// recording the new fingerprint leaves the project trusted either way (`keepingTrust` then records one).
    public func trustNextLock(_ bytes: [UInt8]) {
        guard projectTrust().trusted else { return }
        let both = "[" + Self.fingerprintJSON(projectFingerprint()) + "," + Self.fingerprintJSON(projectFingerprint(lockBytes: bytes)) + "]"
        try? store.trust(paths.project, fingerprint: both)
    }

    static func fingerprintJSON(_ parts: [(part: String, sha256: String)]) -> String {
        JSONValue.object(parts.map { ($0.part, .string($0.sha256)) }).serialized(pretty: false)
    }

    /// The parts that differ, named for a person. A recorded fingerprint is one object of parts, or (while the
    /// kernel replaces the lock) a list of such objects any of which is accepted.
    static func fingerprintChanges(recorded: String, current: [(part: String, sha256: String)]) -> [String] {
        let node = try? JSONReader.parse(Array(recorded.utf8)).0
        let names = ["hooks": "settings hooks", "mcp": ".mcp.json", "plugins": "the project's plugin set", "lock": "plugins.lock"]
        var changes: [String] = []
        for accepted in node?.array ?? [node].compactMap({ $0 }) {
            changes = current.filter { accepted[$0.part]?.string != $0.sha256 }.map { names[$0.part] ?? $0.part }
            if changes.isEmpty { return [] }
        }
        return node == nil ? names.values.sorted() : changes
    }
}
