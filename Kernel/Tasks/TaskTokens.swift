import Foundation
public import KernelCore
public import KernelStore
internal import GRDB

/// What a token may do: `manage` (every management endpoint, and invoking any task) or `invoke:<task>` (only
/// the API trigger of that blueprint).
public enum TokenScope: Sendable, Equatable, CustomStringConvertible {
    case manage
    case invoke(String)

    public init?(_ text: String) {
        if text == "manage" { self = .manage; return }
        if text.hasPrefix("invoke:"), text.count > 7 { self = .invoke(String(text.dropFirst(7))); return }
        return nil
    }

    public var description: String {
        switch self {
        case .manage: "manage"
        case .invoke(let task): "invoke:\(task)"
        }
    }
}

/// A stored token, without its secret.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var scopes: [TokenScope]
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    /// The part of the token that is safe to show: `kt-<id>`.
    public var prefix: String { TaskTokens.prefix + id }

    /// Whether the token grants `scope`: `manage` grants everything.
    public func allows(_ scope: TokenScope) -> Bool {
        scopes.contains(.manage) || scopes.contains(scope)
    }

    public var json: JSONValue {
        func date(_ d: Date?) -> JSONValue { d.map { .string(TaskFormat.date($0)) } ?? .null }
        return .object([
            ("prefix", .string(prefix)), ("name", .string(name)), ("scopes", .strings(scopes.map(\.description))),
            ("createdAt", date(createdAt)), ("expiresAt", date(expiresAt)), ("lastUsedAt", date(lastUsedAt)),
            ("revokedAt", date(revokedAt)),
        ])
    }
}

/// The tasks server's API tokens. A token is `kt-<id>_<secret>`: `id` is 12 random base-32 characters (60 bits,
/// the prefix `token list` shows), `secret` 52 (260 bits). Only the SHA-256 of the whole token is stored; a
/// presented token is found by its id and its hash compared in constant time.
public struct TaskTokens: Sendable {
    public static let prefix = "kt-"
    public let store: KernelStore
    let clock: any TaskClock
    /// Where ``verify(_:for:)`` reads: a read-only connection of its own, or the store's.
    let reader: any DatabaseReader

    /// - Parameter readConnection: ``verify(_:for:)`` reads through a read-only connection of its own (a server's
    ///   handlers: in WAL a reader does not wait for the group commit's transactions on the store's one
    ///   connection). An in-memory store, or a file that cannot be opened again, reads through the store's.
    public init(store: KernelStore, clock: any TaskClock = SystemClock(), readConnection: Bool = false) {
        self.store = store
        self.clock = clock
        var reader: (any DatabaseReader)? = nil
        if readConnection, let path = store.path {
            var config = Configuration()
            config.label = "KernelStore.tokens"
            config.readonly = true
            config.busyMode = .timeout(KernelStore.busyTimeout)
            reader = try? DatabaseQueue(path: path, configuration: config)
        }
        self.reader = reader ?? store.database
    }

    var db: any DatabaseWriter { store.database }

    /// Lower-case base 32 (RFC 4648 alphabet), from the system's cryptographic generator (getrandom).
    static func random(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt8(32)))] })
    }

    /// Creates a token; the returned text is the only time the secret exists outside the caller.
    public func create(name: String, scopes: [TokenScope], expires: Date?) throws(TaskError) -> (token: String, record: TokenRecord) {
        guard !scopes.isEmpty else { throw TaskError(.parameters, "a token needs at least one scope (manage, invoke:<task>)") }
        if let expires, expires <= clock.now() { throw TaskError(.parameters, "the expiry \(TaskFormat.date(expires)) is in the past") }
        let id = Self.random(12)
        let token = Self.prefix + id + "_" + Self.random(52)
        let now = clock.now()
        let scopesJSON = JSONValue.strings(scopes.map(\.description)).serialized(pretty: false)
        do {
            try db.write { db in
                try db.execute(sql: "INSERT INTO task_token (id, hash, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, SHA256.hash(Array(token.utf8)).hex, name, scopesJSON, now.ms, expires?.ms])
            }
        } catch { throw TaskError.wrap(error) }
        return (token, TokenRecord(id: id, name: name, scopes: scopes, createdAt: Date(ms: now.ms), expiresAt: expires.map { Date(ms: $0.ms) }))
    }

    /// Every token, newest first (revoked ones too).
    public func list() throws(TaskError) -> [TokenRecord] {
        do {
            return try db.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM task_token ORDER BY created_at DESC, id").map(Self.record)
            }
        } catch { throw TaskError.wrap(error) }
    }

    /// Revokes the token whose prefix (`kt-<id>`, the id alone, or the whole token) is given.
    public func revoke(_ text: String) throws(TaskError) -> TokenRecord {
        let id = Self.id(of: text)
        do {
            let now = clock.now().ms
            let row = try db.write { db -> Row? in
                try db.execute(sql: "UPDATE task_token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", arguments: [now, id])
                return try Row.fetchOne(db, sql: "SELECT * FROM task_token WHERE id = ?", arguments: [id])
            }
            guard let row else { throw TaskError(.notFound, "no token with prefix '\(Self.prefix)\(id)'") }
            return Self.record(row)
        } catch { throw TaskError.wrap(error) }
    }

    static func id(of text: String) -> String {
        var t = Substring(text)
        if t.hasPrefix(prefix) { t = t.dropFirst(prefix.count) }
        if let underscore = t.firstIndex(of: "_") { t = t[..<underscore] }
        return String(t)
    }

    /// Why a presented token was refused.
    public enum Refusal: Error, Sendable, Equatable {
        case malformed, unknown, revoked, expired, scope
        public var message: String {
            switch self {
            case .malformed: "the Authorization header must be 'Bearer kt-…'"
            case .unknown: "unknown token"
            case .revoked: "the token was revoked"
            case .expired: "the token has expired"
            case .scope: "the token does not grant this"
            }
        }
    }

    /// Checks a presented token for `scope`. The last-used time is written at most once a minute per token.
    public func verify(_ token: String, for scope: TokenScope) throws(Refusal) -> TokenRecord {
        guard token.hasPrefix(Self.prefix), token.utf8.count == Self.prefix.utf8.count + 12 + 1 + 52,
              let underscore = token.firstIndex(of: "_") else { throw .malformed }
        let id = String(token[token.index(token.startIndex, offsetBy: Self.prefix.count)..<underscore])
        // One statement: its own read transaction (no BEGIN…COMMIT around it), compiled once per connection.
        guard let row = try? reader.unsafeRead({ db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM task_token WHERE id = ?"), arguments: [id]) })
        else { throw .unknown }
        let stored: String = row["hash"]
        guard Self.constantTimeEqual(Array(stored.utf8), Array(SHA256.hash(Array(token.utf8)).hex.utf8)) else { throw .unknown }
        let record = Self.record(row)
        let now = clock.now()
        if record.revokedAt != nil { throw .revoked }
        if let e = record.expiresAt, e <= now { throw .expired }
        guard record.allows(scope) else { throw .scope }
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            _ = try? db.write { db in
                try db.execute(sql: "UPDATE task_token SET last_used_at = ? WHERE id = ?", arguments: [now.ms, id])
            }
        }
        return record
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func record(_ row: Row) -> TokenRecord {
        let scopesText: String = row["scopes"]
        let scopes = ((try? JSONReader.parse(scopesText))?.root.array ?? []).compactMap { $0.string.flatMap(TokenScope.init) }
        return TokenRecord(id: row["id"], name: row["name"], scopes: scopes, createdAt: Date(ms: row["created_at"]),
                           expiresAt: (row["expires_at"] as Int64?).map { Date(ms: $0) },
                           lastUsedAt: (row["last_used_at"] as Int64?).map { Date(ms: $0) },
                           revokedAt: (row["revoked_at"] as Int64?).map { Date(ms: $0) })
    }
}

extension TaskEngine {
    /// The invoke key of each api trigger of the active blueprints (`POST /v1/automation/invoke/<key>`), made
    /// (random, 24 base-32 characters) the first time a trigger is seen and kept while its blueprint exists.
    public func invokeKeys() throws(TaskError) -> [String: (blueprint: String, trigger: Int)] {
        let wanted = active.values.flatMap { e in
            (e.blueprint?.triggers ?? []).enumerated().filter { $0.element.kind == .api }.map { (e.name, $0.offset) }
        }
        return try write { db in
            var have: [String: (blueprint: String, trigger: Int)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, blueprint, trigger_index FROM task_invoke_key") {
                have[row["key"]] = (row["blueprint"], row["trigger_index"])
            }
            let present = Set(have.values.map { "\($0.blueprint)#\($0.trigger)" })
            for (name, index) in wanted where !present.contains("\(name)#\(index)") {
                let key = TaskTokens.random(24)
                try db.execute(sql: "INSERT INTO task_invoke_key (key, blueprint, trigger_index, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [key, name, index, clock.now().ms])
                have[key] = (name, index)
            }
            return have.filter { entry in wanted.contains { $0.0 == entry.value.blueprint && $0.1 == entry.value.trigger } }
        }
    }
}
