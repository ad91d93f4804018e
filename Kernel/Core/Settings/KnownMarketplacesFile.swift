/// One marketplace as `~/.qoder/plugins/known_marketplaces.json` records it (the Qoder CLI's format):
/// `{"<name>": {"source": {"source": "directory"|"github"|"git"|"url"|…, …}, "installLocation", "lastUpdated",
/// "autoUpdate"}}`.
public struct KnownMarketplace: Sendable, Equatable {
    public var name: String
    /// The `source` object as written (`{"source": "directory", "path": "/src/mkt"}`).
    public var source: JSONValue
    public var installLocation: String
    /// ISO-8601 with milliseconds, kept as text.
    public var lastUpdated: String?
    public var autoUpdate: Bool

    public init(name: String, source: JSONValue, installLocation: String, lastUpdated: String?, autoUpdate: Bool = true) {
        self.name = name
        self.source = source
        self.installLocation = installLocation
        self.lastUpdated = lastUpdated
        self.autoUpdate = autoUpdate
    }

    /// The entry's JSON in the reference host's key order.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("source", source), ("installLocation", .string(installLocation))]
        if let lastUpdated { members.append(("lastUpdated", .string(lastUpdated))) }
        members.append(("autoUpdate", .bool(autoUpdate)))
        return .object(members)
    }
}

/// Reads and edits `known_marketplaces.json` with the discipline of settings edits (`SettingsFile`). A file
/// that does not parse, or whose top level is not an object, is reported and never written.
public enum KnownMarketplacesFile {
    /// What the file holds: the entries it could read, and what it skipped.
    public struct Contents: Sendable {
        public var marketplaces: [KnownMarketplace]
        public var diagnostics: [Diagnostic]
    }

    /// Reads the file; a missing file reads as no marketplaces.
    public static func read(_ path: String) throws(SettingsError) -> Contents {
        let document = try SettingsFile.read(path)
        guard let members = document.members else {
            throw SettingsError(.notAnObject, file: path, line: document.line, column: document.column,
                                message: "the top level is \(document.kindDescription), expected an object")
        }
        var result: [KnownMarketplace] = []
        var diagnostics = Diagnostics()
        for member in members {
            let entry = member.value
            guard let source = entry["source"], source.members != nil, let location = entry["installLocation"]?.string else {
                diagnostics.warning(id: "interop.marketplace_entry_invalid", "marketplace '\(member.key)' needs a source object and an installLocation; ignored",
                                    at: entry.location(in: path))
                continue
            }
            result.append(KnownMarketplace(name: member.key, source: source.json, installLocation: location,
                                           lastUpdated: entry["lastUpdated"]?.string,
                                           autoUpdate: entry["autoUpdate"]?.bool ?? true))
        }
        return Contents(marketplaces: result, diagnostics: diagnostics.items)
    }

    /// Adds or replaces one marketplace (the file is created when missing).
    public static func record(_ marketplace: KnownMarketplace, in path: String) throws(SettingsError) {
        try SettingsFile.update(path, keyPath: [marketplace.name], value: marketplace.json)
    }

    /// Removes one marketplace; removing one the file does not hold changes nothing.
    public static func remove(_ name: String, in path: String) throws(SettingsError) {
        try SettingsFile.update(path, keyPath: [name], value: nil)
    }
}
