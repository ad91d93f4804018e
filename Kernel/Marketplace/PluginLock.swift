import Foundation
public import KernelCore

/// Why a plugin is in the project's set: the project declares it, or another plugin of the set needs it.
public enum LockReason: Sendable, Equatable {
    /// Named `true` in the project's `enabledPlugins`.
    case declared
    /// Installed because the plugins `requiredBy` (ids, sorted) depend on it.
    case dependency(requiredBy: [String])

    /// `declared` or `dependency`.
    public var name: String {
        switch self {
        case .declared: "declared"
        case .dependency: "dependency"
        }
    }
}

/// One plugin of `.qoder/plugins.lock`.
public struct LockEntry: Sendable, Equatable {
    /// `name@marketplace`.
    public var id: String
    /// The version installed (the cache folder's name).
    public var version: String
    public var scope: Scope
    public var reason: LockReason
    /// Where the content comes from: `{"marketplace", "entry" (the entry's source as listed), "commit"?
    /// (the git commit of the plugin's repository, or of the marketplace's for a relative entry), "sha256"? (an
    /// archive's), "integrity"? / "resolvedVersion"? (npm)}`.
    public var source: JSONValue
    /// ``TreeHash`` of the installed tree.
    public var sha256: String

    public init(id: String, version: String, scope: Scope, reason: LockReason, source: JSONValue, sha256: String) {
        self.id = id
        self.version = version
        self.scope = scope
        self.reason = reason
        self.source = source
        self.sha256 = sha256
    }

    /// The plugin's name (before the last `@`).
    public var name: String { String(id[..<(id.lastIndex(of: "@") ?? id.endIndex)]) }
    /// The marketplace (after the last `@`).
    public var marketplace: String { id.lastIndex(of: "@").map { String(id[id.index(after: $0)...]) } ?? "" }

    /// The commit recorded in `source`, if any.
    public var commit: String? { Self.member(source, "commit") }

    static func member(_ value: JSONValue, _ key: String) -> String? {
        guard case .object(let members) = value, let found = members.first(where: { $0.0 == key }),
              case .string(let s) = found.1 else { return nil }
        return s
    }

    /// The entry in the file: `id`, `version`, `scope`, `reason`, `requiredBy` (dependencies only), `source`,
    /// `sha256`, in that order.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(id)), ("version", .string(version)), ("scope", .string(scope.rawValue)),
                                              ("reason", .string(reason.name))]
        if case .dependency(let by) = reason { members.append(("requiredBy", .strings(by.sorted()))) }
        members += [("source", source), ("sha256", .string(sha256))]
        return .object(members)
    }
}

/// `.qoder/plugins.lock`: the exact plugins a project's set resolved to, committed beside `.qoder/settings.json`.
///
/// The file is JSON, `{"lockfileVersion": 1, "plugins": [entries sorted by id]}`, written with a 2-space
/// indent and a final newline; the same lock always serializes to the same bytes, and a change to one entry
/// changes only that entry's lines. It is replaced atomically (temporary file, fsync, rename).
public struct PluginLock: Sendable, Equatable {
    public static let version = 1
    public var entries: [LockEntry]

    public init(entries: [LockEntry]) {
        self.entries = entries.sorted { $0.id < $1.id }
    }

    /// `<project>/.qoder/plugins.lock`.
    public static func path(project: String) -> String { FileSystem.join(project, ".qoder/plugins.lock") }

    public func entry(_ id: String) -> LockEntry? { entries.first { $0.id == id } }

    /// Sets (or adds) an entry, keeping the order.
    public mutating func set(_ entry: LockEntry) {
        entries.removeAll { $0.id == entry.id }
        entries.append(entry)
        entries.sort { $0.id < $1.id }
    }

    public var bytes: [UInt8] {
        let doc = JSONValue.object([("lockfileVersion", .int(Self.version)), ("plugins", .array(entries.map(\.json)))])
        return doc.serializedBytes(indent: 0) + [0x0A]
    }

    /// Reads a lock file; nil when it does not exist. A file that does not parse or has a malformed entry is
    /// an error naming its line and column (nothing is guessed).
    public static func read(_ path: String) throws(KernelError) -> PluginLock? {
        guard FileSystem.exists(path) else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path, limit: 16 << 20) } catch {
            throw KernelError(.io, "cannot read \(path): \(error)", underlying: error)
        }
        return try parse(bytes, file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(KernelError) -> PluginLock {
        let root: Node
        do { root = try JSONReader.parse(bytes).root } catch {
            throw invalid(file, error.line, error.column, error.message)
        }
        guard root.members != nil else { throw invalid(file, root.line, root.column, "expected an object") }
        guard let v = root["lockfileVersion"], v.int == version else {
            let at = root["lockfileVersion"] ?? root
            throw invalid(file, at.line, at.column, "lockfileVersion must be \(version)")
        }
        guard let list = root["plugins"]?.array else {
            let at = root["plugins"] ?? root
            throw invalid(file, at.line, at.column, "plugins must be an array")
        }
        var entries: [LockEntry] = []
        for node in list {
            func text(_ key: String) throws(KernelError) -> String {
                guard let s = node[key]?.string, !s.isEmpty else {
                    let at = node[key] ?? node
                    throw invalid(file, at.line, at.column, "a lock entry needs a string '\(key)'")
                }
                return s
            }
            let id = try text("id")
            guard id.contains("@") else { throw invalid(file, node.line, node.column, "'\(id)' is not name@marketplace") }
            let scopeText = try text("scope")
            guard let scope = Scope(rawValue: scopeText) else {
                throw invalid(file, node["scope"]!.line, node["scope"]!.column, "unknown scope '\(scopeText)'")
            }
            let reason: LockReason
            switch try text("reason") {
            case "declared": reason = .declared
            case "dependency":
                reason = .dependency(requiredBy: (node["requiredBy"]?.array ?? []).compactMap(\.string).sorted())
            case let other:
                throw invalid(file, node["reason"]!.line, node["reason"]!.column, "unknown reason '\(other)' (declared or dependency)")
            }
            guard let source = node["source"], source.members != nil else {
                let at = node["source"] ?? node
                throw invalid(file, at.line, at.column, "a lock entry needs a 'source' object")
            }
            let sha = try text("sha256")
            guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
                throw invalid(file, node["sha256"]!.line, node["sha256"]!.column, "sha256 must be 64 hex digits")
            }
            if entries.contains(where: { $0.id == id }) {
                throw invalid(file, node.line, node.column, "'\(id)' is locked twice")
            }
            entries.append(LockEntry(id: id, version: try text("version"), scope: scope, reason: reason, source: source.json, sha256: sha))
        }
        return PluginLock(entries: entries)
    }

    /// Writes the lock atomically (temporary file beside it, fsync, rename).
    public func write(to path: String) throws(KernelError) {
        do { try SettingsFile.replaceContents(bytes, at: path) } catch { throw KernelError(settings: error) }
    }

    static func invalid(_ file: String, _ line: Int, _ column: Int, _ message: String) -> KernelError {
        KernelError(.invalidInput, "\(file):\(line):\(column): \(message)",
                    diagnostics: [Diagnostic(id: "lock.invalid", .error, message, at: SourceLocation(file: file, line: line, column: column))])
    }
}
