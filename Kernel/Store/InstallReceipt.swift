import Foundation
public import KernelCore
internal import GRDB

/// The record of one installed plugin at one scope: what was installed, from where, and what its tree hashed to.
///
/// Dates are stored with millisecond precision.
public struct InstallReceipt: Sendable, Equatable, Hashable {
    /// The plugin id, `name@marketplace` (`name@local` for local installs).
    public var id: String
    /// The plugin's name (no `@`).
    public var name: String
    /// The marketplace it came from, or `local` (no `@`).
    public var marketplace: String
    /// Where it is installed.
    public var scope: Scope
    /// The project folder for `.project` and `.local` installs; `nil` for `.user`.
    public var projectPath: String?
    /// The installed version, as the manifest or marketplace entry gave it.
    public var version: String
    /// The installed tree, e.g. `~/.qoder/plugins/cache/<marketplace>/<name>/<version>`.
    public var installPath: String
    /// A JSON object describing where the plugin came from, e.g. `{"type":"local","path":"/src/hello"}`.
    public var source: String
    /// ``TreeHash/sha256(ofDirectory:)`` of the installed tree: 64 lowercase hex digits.
    public var sha256: String
    /// When the plugin was first installed at this scope.
    public var installedAt: Date
    /// When the receipt last changed (update, reinstall); never before `installedAt`.
    public var updatedAt: Date
    /// True when the plugin was installed only because another one depends on it (`plugins prune` may remove
    /// it once nothing needs it); false when the user installed it.
    public var autoInstalled: Bool = false
    /// What this plugin needs, as resolved when it was installed: a JSON array of `{"id", "range"?}` objects
    /// (`range` the npm-style version range its manifest or marketplace entry gave).
    public var requires: String = "[]"

    /// Creates a receipt; `id` is `name@marketplace`.
    public init(
        name: String, marketplace: String, scope: Scope, projectPath: String? = nil,
        version: String, installPath: String, source: String, sha256: String,
        installedAt: Date, updatedAt: Date? = nil
    ) {
        self.id = "\(name)@\(marketplace)"
        self.name = name
        self.marketplace = marketplace
        self.scope = scope
        self.projectPath = projectPath
        self.version = version
        self.installPath = installPath
        self.source = source
        self.sha256 = sha256
        self.installedAt = installedAt
        self.updatedAt = updatedAt ?? installedAt
    }
}

/// The `install_receipt` row.
struct InstallReceiptRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "install_receipt"

    var id: String
    var name: String
    var marketplace: String
    var scope: String
    var projectPath: String?
    var version: String
    var installPath: String
    var source: String
    var sha256: String
    var installedAt: Int64
    var updatedAt: Int64
    var autoInstalled: Bool
    var requires: String

    enum CodingKeys: String, CodingKey {
        case id, name, marketplace, scope, version, source, sha256
        case projectPath = "project_path"
        case installPath = "install_path"
        case installedAt = "installed_at"
        case updatedAt = "updated_at"
        case autoInstalled = "auto_installed"
        case requires
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let name = Column(CodingKeys.name)
        static let scope = Column(CodingKeys.scope)
        static let projectPath = Column(CodingKeys.projectPath)
    }

    /// The columns in a fixed order, so `init(row:)` reads them by index: a listing fetches every receipt,
    /// and Codable's keyed decoding (a column-name lookup and a type check per field) cost ~15× more.
    static var databaseSelection: [any SQLSelectable] { [
        Column("id"), Column("name"), Column("marketplace"), Column("scope"), Column("project_path"),
        Column("version"), Column("install_path"), Column("source"), Column("sha256"), Column("installed_at"),
        Column("updated_at"), Column("auto_installed"), Column("requires"),
    ] }

    init(row: Row) throws {
        id = row[0]
        name = row[1]
        marketplace = row[2]
        scope = row[3]
        projectPath = row[4]
        version = row[5]
        installPath = row[6]
        source = row[7]
        sha256 = row[8]
        installedAt = row[9]
        updatedAt = row[10]
        autoInstalled = row[11]
        requires = row[12]
    }

    init(_ r: InstallReceipt) {
        id = r.id
        name = r.name
        marketplace = r.marketplace
        scope = r.scope.rawValue
        projectPath = r.projectPath
        version = r.version
        installPath = r.installPath
        source = r.source
        sha256 = r.sha256
        installedAt = r.installedAt.unixMilliseconds
        updatedAt = r.updatedAt.unixMilliseconds
        autoInstalled = r.autoInstalled
        requires = r.requires
    }

    func receipt() throws(StoreError) -> InstallReceipt {
        guard let scope = Scope(rawValue: scope) else {
            throw StoreError(.database, "install receipt '\(id)' has an unknown scope '\(self.scope)'")
        }
        var r = InstallReceipt(
            name: name, marketplace: marketplace, scope: scope, projectPath: projectPath, version: version,
            installPath: installPath, source: source, sha256: sha256,
            installedAt: Date(unixMilliseconds: installedAt), updatedAt: Date(unixMilliseconds: updatedAt))
        r.id = id
        r.autoInstalled = autoInstalled
        r.requires = requires
        return r
    }

    /// Rows matching one (id, scope, project) key; `IS` so a nil project matches the user row's NULL.
    static func matching(id: String, scope: Scope, projectPath: String?) -> QueryInterfaceRequest<Self> {
        filter(Columns.id == id && Columns.scope == scope.rawValue)
            .filter(sql: "project_path IS ?", arguments: [projectPath])
    }
}

extension KernelStore {
    /// Inserts a receipt, or replaces the one with the same (id, scope, project path).
    ///
    /// - Throws: ``StoreError`` with code `.constraintViolation` when the receipt breaks an invariant: an id that
    ///   is not `name@marketplace`, a project path missing for a project/local install or present for a user
    ///   install, a relative project path, a `source` that is not a JSON object, a `sha256` that is not 64
    ///   lowercase hex digits, `updatedAt` before `installedAt`.
    public func upsertReceipt(_ receipt: InstallReceipt) throws(StoreError) {
        let record = InstallReceiptRecord(receipt)
        try storeErrors {
            try writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO install_receipt
                            (id, name, marketplace, scope, project_path, version, install_path, source, sha256,
                             installed_at, updated_at, auto_installed, requires)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id, scope, ifnull(project_path, '')) DO UPDATE SET
                            name = excluded.name, marketplace = excluded.marketplace, version = excluded.version,
                            install_path = excluded.install_path, source = excluded.source,
                            sha256 = excluded.sha256, installed_at = excluded.installed_at,
                            updated_at = excluded.updated_at, auto_installed = excluded.auto_installed,
                            requires = excluded.requires
                        """,
                    arguments: [
                        record.id, record.name, record.marketplace, record.scope, record.projectPath,
                        record.version, record.installPath, record.source, record.sha256,
                        record.installedAt, record.updatedAt, record.autoInstalled, record.requires,
                    ])
            }
        }
    }

    /// Every receipt, ordered by id, then scope (user, project, local), then project path.
    public func receipts() throws(StoreError) -> [InstallReceipt] {
        try fetchReceipts(where: "", [])
    }

    /// The receipts of every plugin called `name`, from any marketplace, at any scope. Empty when none.
    public func receipts(named name: String) throws(StoreError) -> [InstallReceipt] {
        try fetchReceipts(where: "WHERE name = ?", [name])
    }

    /// The receipt of plugin `id` at `scope` (in `projectPath` for project and local scope), or `nil`.
    public func receipt(id: String, scope: Scope, projectPath: String? = nil) throws(StoreError)
        -> InstallReceipt?
    {
        try fetchReceipts(where: "WHERE id = ? AND scope = ? AND project_path IS ?", [id, scope.rawValue, projectPath]).first
    }

    /// Deletes the receipt of plugin `id` at `scope` (in `projectPath`).
    ///
    /// - Returns: Whether a receipt was deleted; deleting a missing receipt is not an error.
    @discardableResult
    public func deleteReceipt(id: String, scope: Scope, projectPath: String? = nil) throws(StoreError)
        -> Bool
    {
        try storeErrors {
            try writer.write { db in
                try InstallReceiptRecord.matching(id: id, scope: scope, projectPath: projectPath).deleteAll(db) > 0
            }
        }
    }

    /// Receipts in listing order. SQL written out, not the query interface: a listing fetches every receipt, and
    /// building the query (with the table's schema read to expand the selection) cost a quarter of the fetch.
    private func fetchReceipts(where condition: String, _ arguments: StatementArguments) throws(StoreError)
        -> [InstallReceipt]
    {
        let sql = """
            SELECT id, name, marketplace, scope, project_path, version, install_path, source, sha256, installed_at,
                   updated_at, auto_installed, requires
            FROM install_receipt \(condition)
            ORDER BY id, CASE scope WHEN 'user' THEN 0 WHEN 'project' THEN 1 ELSE 2 END, project_path
            """
        let records = try storeErrors { try reading { db in try InstallReceiptRecord.fetchAll(db, sql: sql, arguments: arguments) } }
        var result: [InstallReceipt] = []
        result.reserveCapacity(records.count)
        for record in records { result.append(try record.receipt()) }
        return result
    }
}
