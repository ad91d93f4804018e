/// One install as `~/.qoder/plugins/installed_plugins_v2.json` records it (the Qoder CLI's format):
/// `{"version": 2, "plugins": {"<id>": [{"scope", "projectPath"?, "installPath", "version", "installedAt"}]}}`.
public struct InstalledPluginEntry: Sendable, Equatable {
    /// `name@marketplace`.
    public var id: String
    public var scope: Scope
    /// The project folder of a project or local install; nil for user installs.
    public var projectPath: String?
    public var installPath: String
    public var version: String
    /// ISO-8601 with milliseconds, as the reference host writes it (`2026-12-01T21:39:11.903Z`); kept as text.
    public var installedAt: String?

    public init(id: String, scope: Scope, projectPath: String?, installPath: String, version: String, installedAt: String?) {
        self.id = id
        self.scope = scope
        self.projectPath = projectPath
        self.installPath = installPath
        self.version = version
        self.installedAt = installedAt
    }

    /// Whether `other` is the install of the same plugin at the same scope and project.
    func sameSlot(_ id: String, _ scope: Scope, _ projectPath: String?) -> Bool {
        self.id == id && self.scope == scope && (scope == .user || self.projectPath == projectPath)
    }
}

/// Reads and edits `installed_plugins_v2.json` with the discipline of settings edits (`SettingsFile`: lock,
/// re-read under the lock, surgical text edit, temporary file + fsync + rename, never write a file that does not
/// parse). A file whose `version` is not 2 is refused for reading and writing, and never written.
public enum InstalledPluginsFile {
    /// The format version this reader understands.
    public static let formatVersion = 2

    /// What the file holds: the entries it could read, and what it skipped (each with the line and column).
    public struct Contents: Sendable {
        public var entries: [InstalledPluginEntry]
        public var diagnostics: [Diagnostic]
    }

    /// Reads the file; nil when it does not exist (or holds only whitespace).
    /// - Throws: `SettingsError` `.syntax` (with line and column), `.notAnObject`, `.unsupportedVersion`, `.io`.
    public static func read(_ path: String) throws(SettingsError) -> Contents? {
        let document = try SettingsFile.read(path)
        if document.byteRange == 0..<0 { return nil }  // missing or blank
        try check(document, path)
        var entries: [InstalledPluginEntry] = []
        var diagnostics = Diagnostics()
        for member in document["plugins"]?.members ?? [] {
            let id = member.key
            guard id.split(separator: "@", omittingEmptySubsequences: false).count == 2,
                  !id.hasPrefix("@"), !id.hasSuffix("@") else {
                diagnostics.warning(id: "interop.installed_id_invalid", "plugin id '\(id)' is not name@marketplace; entry ignored",
                                    at: SourceLocation(file: path, line: member.keyLine, column: member.keyColumn))
                continue
            }
            guard let items = member.value.array else {
                diagnostics.warning(id: "interop.installed_entry_not_array", "'\(id)' is \(member.value.kindDescription), expected an array of installs; ignored",
                                    at: member.value.location(in: path))
                continue
            }
            for item in items {
                guard let scopeText = item["scope"]?.string, let scope = Scope(rawValue: scopeText) else {
                    diagnostics.warning(id: "interop.installed_scope_invalid", "install of '\(id)' has no scope user, project or local; ignored", at: item.location(in: path))
                    continue
                }
                guard let installPath = item["installPath"]?.string, installPath.hasPrefix("/") else {
                    diagnostics.warning(id: "interop.installed_path_invalid", "install of '\(id)' has no absolute installPath; ignored", at: item.location(in: path))
                    continue
                }
                let projectPath = item["projectPath"]?.string
                if scope != .user, projectPath?.hasPrefix("/") != true {
                    diagnostics.warning(id: "interop.installed_project_invalid", "\(scope.rawValue) install of '\(id)' has no absolute projectPath; ignored",
                                        at: item.location(in: path))
                    continue
                }
                entries.append(InstalledPluginEntry(
                    id: id, scope: scope, projectPath: scope == .user ? nil : projectPath, installPath: installPath,
                    version: item["version"]?.scalarText ?? "unknown", installedAt: item["installedAt"]?.string))
            }
        }
        return Contents(entries: entries, diagnostics: diagnostics.items)
    }

    /// Records `entry`, replacing the install of the same plugin at the same scope and project (its unknown
    /// keys are kept); other installs of the plugin stay as they are, byte for byte where the edit allows.
    /// A missing file is created (`{"version": 2, "plugins": {…}}`).
    public static func record(_ entry: InstalledPluginEntry, in path: String) throws(SettingsError) {
        try edit(path) { document throws(SettingsError) in
            var items: [JSONValue] = []
            var replaced = false
            for item in document["plugins"]?[entry.id]?.array ?? [] {
                if !replaced, matches(item, entry.id, entry.scope, entry.projectPath) {
                    items.append(value(of: entry, keeping: item))
                    replaced = true
                } else {
                    items.append(item.json)
                }
            }
            if !replaced { items.append(value(of: entry, keeping: nil)) }
            var edits: [SettingsFile.Edit] = []
            if document["version"] == nil { edits.append((keyPath: ["version"], value: .int(formatVersion))) }
            edits.append((keyPath: ["plugins", entry.id], value: .array(items)))
            return edits
        }
    }

    /// Removes the install of `id` at `scope` (and `projectPath`); the plugin's key goes when it was the last.
    /// Removing an install the file does not hold (or from a missing file) changes nothing.
    public static func remove(id: String, scope: Scope, projectPath: String?, in path: String) throws(SettingsError) {
        try edit(path) { document throws(SettingsError) in
            guard let items = document["plugins"]?[id]?.array else { return [] }
            let kept = items.filter { !matches($0, id, scope, projectPath) }
            if kept.count == items.count { return [] }
            return [(keyPath: ["plugins", id], value: kept.isEmpty ? nil : .array(kept.map(\.json)))]
        }
    }

    // MARK: - Helpers

    private static func edit(_ path: String, _ edits: (Node) throws(SettingsError) -> [SettingsFile.Edit]) throws(SettingsError) {
        do {
            try SettingsFile.update(path) { document in
                if document.byteRange != 0..<0 { try check(document, path) }
                return try edits(document)
            }
        } catch let error as SettingsError {
            throw error
        } catch {
            throw SettingsError(.io, file: path, message: "\(error)")
        }
    }

    /// The top level must be an object with `version` 2 (or no members yet) and `plugins` an object.
    private static func check(_ document: Node, _ path: String) throws(SettingsError) {
        guard let members = document.members else {
            throw SettingsError(.notAnObject, file: path, line: document.line, column: document.column,
                                message: "the top level is \(document.kindDescription), expected an object")
        }
        if members.isEmpty { return }
        guard let version = document["version"] else {
            throw SettingsError(.unsupportedVersion, file: path, line: document.line, column: document.column,
                                message: "no \"version\"; this kernel reads version \(formatVersion) only and leaves the file untouched")
        }
        guard version.int == formatVersion else {
            throw SettingsError(.unsupportedVersion, file: path, line: version.line, column: version.column,
                                message: "version \(version.scalarText ?? version.kindDescription) is not supported "
                                    + "(this kernel reads version \(formatVersion)); the file is left untouched")
        }
        if let plugins = document["plugins"], plugins.members == nil {
            throw SettingsError(.notAnObject, file: path, line: plugins.line, column: plugins.column,
                                message: "'plugins' is \(plugins.kindDescription), expected an object")
        }
    }

    private static func matches(_ item: Node, _ id: String, _ scope: Scope, _ projectPath: String?) -> Bool {
        guard item["scope"]?.string == scope.rawValue else { return false }
        return scope == .user || item["projectPath"]?.string == projectPath
    }

    /// The entry's JSON in the reference host's key order; unknown keys of the entry it replaces are kept.
    private static func value(of entry: InstalledPluginEntry, keeping old: Node?) -> JSONValue {
        var members: [(String, JSONValue)] = [("scope", .string(entry.scope.rawValue))]
        if entry.scope != .user, let project = entry.projectPath { members.append(("projectPath", .string(project))) }
        members.append(("installPath", .string(entry.installPath)))
        members.append(("version", .string(entry.version)))
        if let at = entry.installedAt { members.append(("installedAt", .string(at))) }
        let known: Set<String> = ["scope", "projectPath", "installPath", "version", "installedAt"]
        for member in old?.members ?? [] where !known.contains(member.key) {
            members.append((member.key, member.value.json))
        }
        return .object(members)
    }
}
