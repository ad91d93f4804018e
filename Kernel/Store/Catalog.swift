import Foundation
internal import KernelCore
internal import GRDB

/// One marketplace the kernel has read: where it came from, where its copy is, and what identified the
/// manifest the catalog was built from (so an unchanged manifest is not re-indexed).
public struct MarketplaceRecord: Sendable, Equatable {
    public var name: String
    /// The source object as `known_marketplaces.json` records it, as JSON text.
    public var source: String
    /// The folder (or, for a `file`/`url` source, the folder holding the copied `marketplace.json`).
    public var installLocation: String
    /// The marketplace root relative sources resolve against (`installLocation` unless the source is a file).
    public var root: String
    /// `metadata.pluginRoot` of the manifest (normalised, relative to `root`); empty when none.
    public var pluginRoot: String
    /// SHA-256 of the manifest bytes the catalog was built from.
    public var manifestSHA256: String
    /// The `ETag` of the last response, for a `url` source.
    public var etag: String?
    /// The checked-out commit, for a git source.
    public var revision: String?
    /// `renames` of the manifest (old name → new name), as JSON text; nil when it has none.
    public var renames: String?
    public var updatedAt: Date

    public init(name: String, source: String, installLocation: String, root: String, pluginRoot: String = "", manifestSHA256: String,
                etag: String? = nil, revision: String? = nil, renames: String? = nil, updatedAt: Date) {
        self.name = name
        self.source = source
        self.installLocation = installLocation
        self.root = root
        self.pluginRoot = pluginRoot
        self.manifestSHA256 = manifestSHA256
        self.etag = etag
        self.revision = revision
        self.renames = renames
        self.updatedAt = updatedAt
    }
}

/// One plugin a marketplace lists, as the catalog holds it.
public struct CatalogEntry: Sendable, Equatable {
    public var marketplace: String
    public var name: String
    public var description: String?
    public var version: String?
    public var category: String?
    public var tags: [String]
    public var keywords: [String]
    public var author: String?
    /// The entry's `source` as written (a string or an object), as JSON text.
    public var source: String
    /// The whole entry as written, as JSON text (what install reads: `strict`, manifest fields).
    public var entry: String

    /// `name@marketplace`.
    public var id: String { name + "@" + marketplace }

    public init(marketplace: String, name: String, description: String?, version: String?, category: String?,
                tags: [String], keywords: [String], author: String?, source: String, entry: String) {
        self.marketplace = marketplace
        self.name = name
        self.description = description
        self.version = version
        self.category = category
        self.tags = tags
        self.keywords = keywords
        self.author = author
        self.source = source
        self.entry = entry
    }
}

/// Why a search result matched: its name, else its keywords (and tags), else its description.
public enum CatalogMatch: String, Sendable {
    case name, keywords, description
}

/// A marketplace's entries as its catalog is to hold them, in manifest order: each one's name and a digest of
/// its content, and the entry itself, built only for the entries the catalog does not already hold under that
/// name and digest (so an update that changed one entry of 20,000 builds one).
public struct CatalogRows {
    public var keys: [(name: String, digest: String)]
    /// The entry at a position of `keys` (whose `name` is that key's name).
    public var entry: (Int) -> CatalogEntry

    public init(keys: [(name: String, digest: String)], entry: @escaping (Int) -> CatalogEntry) {
        self.keys = keys
        self.entry = entry
    }

    /// Entries already built; each one's digest is that of every field.
    public init(_ entries: [CatalogEntry]) {
        keys = entries.map { ($0.name, $0.digest) }
        entry = { entries[$0] }
    }
}

extension CatalogEntry {
    /// SHA-256 of every field (the digest ``CatalogRows/init(_:)`` gives an entry).
    public var digest: String {
        let fields: [JSONValue] = [.optional(description), .optional(version), .optional(category), .strings(tags),
                                   .strings(keywords), .optional(author), .string(source), .string(entry)]
        return SHA256.hash(Array(JSONValue.array(fields).serialized(pretty: false).utf8)).hex
    }
}

extension KernelStore {
    static func registerCatalogMigrations(_ migrator: inout DatabaseMigrator) {
        // Known marketplaces and every entry of each, with a full-text index over name, keywords and description.
        migrator.registerMigration("v4-marketplace-catalog") { db in
            try db.execute(sql: """
                CREATE TABLE marketplace (
                    name TEXT NOT NULL PRIMARY KEY CHECK (length(name) > 0 AND instr(name, '@') = 0),
                    source TEXT NOT NULL CHECK (json_valid(source)),
                    install_location TEXT NOT NULL CHECK (substr(install_location, 1, 1) = '/'),
                    root TEXT NOT NULL CHECK (substr(root, 1, 1) = '/'),
                    plugin_root TEXT NOT NULL,
                    manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
                    etag TEXT,
                    revision TEXT,
                    renames TEXT CHECK (renames IS NULL OR json_valid(renames)),
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE catalog_entry (
                    id INTEGER PRIMARY KEY,
                    marketplace TEXT NOT NULL REFERENCES marketplace (name) ON DELETE CASCADE,
                    name TEXT NOT NULL CHECK (length(name) > 0),
                    position INTEGER NOT NULL,
                    description TEXT,
                    version TEXT,
                    category TEXT,
                    tags TEXT NOT NULL CHECK (json_valid(tags)),
                    keywords TEXT NOT NULL CHECK (json_valid(keywords)),
                    author TEXT,
                    source TEXT NOT NULL CHECK (json_valid(source)),
                    entry TEXT NOT NULL CHECK (json_valid(entry)),
                    UNIQUE (marketplace, name)
                );
                CREATE INDEX catalog_entry_name ON catalog_entry (name);
                CREATE VIRTUAL TABLE catalog_fts USING fts5(
                    name, keywords, description, content = 'catalog_entry', content_rowid = 'id',
                    tokenize = "unicode61 tokenchars '-_'");
                CREATE TRIGGER catalog_entry_ai AFTER INSERT ON catalog_entry BEGIN
                    INSERT INTO catalog_fts (rowid, name, keywords, description)
                    VALUES (new.id, new.name,
                            (SELECT group_concat(value, ' ') FROM (SELECT value FROM json_each(new.keywords)
                                                                    UNION ALL SELECT value FROM json_each(new.tags))),
                            new.description);
                END;
                CREATE TRIGGER catalog_entry_ad AFTER DELETE ON catalog_entry BEGIN
                    INSERT INTO catalog_fts (catalog_fts, rowid, name, keywords, description)
                    VALUES ('delete', old.id, old.name,
                            (SELECT group_concat(value, ' ') FROM (SELECT value FROM json_each(old.keywords)
                                                                    UNION ALL SELECT value FROM json_each(old.tags))),
                            old.description);
                END;
                """)
        }
        // What identifies each entry's content, so an update rewrites only the rows whose entry changed. Rows
        // stored before it have none: the next update with a changed manifest rewrites them once.
        migrator.registerMigration("v5-catalog-entry-digest") { db in
            try db.execute(sql: "ALTER TABLE catalog_entry ADD COLUMN digest TEXT")
        }
    }

    /// Records a marketplace; with `entries`, brings its catalog in line with them in the same transaction
    /// (nil keeps the catalog as it is: the manifest did not change). See
    /// ``saveMarketplace(_:catalog:)``; each entry's digest here is that of all its fields.
    public func saveMarketplace(_ record: MarketplaceRecord, entries: [CatalogEntry]?) throws(StoreError) {
        try saveMarketplace(record, catalog: entries.map(CatalogRows.init))
    }

    /// Records a marketplace; with `catalog`, makes its catalog exactly `catalog`'s entries, in their order,
    /// in the same transaction (nil keeps the catalog as it is). Only what differs is written: an entry held
    /// under the same name and digest keeps its row (its position updated when it moved) and its full-text
    /// index; a changed entry's row is replaced, a new one inserted, one no longer listed deleted. Either the
    /// whole new catalog is stored or, on any failure, the old one stays as it was.
    public func saveMarketplace(_ record: MarketplaceRecord, catalog: CatalogRows?) throws(StoreError) {
        try storeErrors {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO marketplace (name, source, install_location, root, plugin_root, manifest_sha256, etag,
                                             revision, renames, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET
                        source = excluded.source, install_location = excluded.install_location, root = excluded.root,
                        plugin_root = excluded.plugin_root,
                        manifest_sha256 = excluded.manifest_sha256, etag = excluded.etag, revision = excluded.revision,
                        renames = excluded.renames, updated_at = excluded.updated_at
                    """, arguments: [record.name, record.source, record.installLocation, record.root,
                                     record.pluginRoot, record.manifestSHA256, record.etag, record.revision, record.renames,
                                     record.updatedAt.unixMilliseconds])
                guard let catalog else { return }
                try Self.syncEntries(db, marketplace: record.name, to: catalog)
            }
        }
    }

    /// The diff of a marketplace's stored rows against `catalog`, applied with statements prepared once.
    private static func syncEntries(_ db: Database, marketplace: String, to catalog: CatalogRows) throws {
        struct Stored { var id: Int64; var position: Int; var digest: String? }
        var stored: [String: Stored] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, name, position, digest FROM catalog_entry WHERE marketplace = ?",
                                       arguments: [marketplace])
        while let row = try rows.next() {
            stored[row[1]] = Stored(id: row[0], position: row[2], digest: row[3])
        }
        let delete = try db.makeStatement(sql: "DELETE FROM catalog_entry WHERE id = ?")
        var listed = Set<String>(minimumCapacity: catalog.keys.count)
        for key in catalog.keys { listed.insert(key.name) }
        for (name, row) in stored where !listed.contains(name) {
            try delete.execute(arguments: [row.id])
        }
        var move: Statement?
        var insert: Statement?
        for (position, key) in catalog.keys.enumerated() {
            if let row = stored[key.name] {
                if row.digest == key.digest {
                    if row.position != position {
                        move = try move ?? db.makeStatement(sql: "UPDATE catalog_entry SET position = ? WHERE id = ?")
                        try move!.execute(arguments: [position, row.id])
                    }
                    continue
                }
                try delete.execute(arguments: [row.id])
            }
            let e = catalog.entry(position)
            insert = try insert ?? db.makeStatement(sql: """
                INSERT INTO catalog_entry (marketplace, name, position, description, version, category, tags,
                                           keywords, author, source, entry, digest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try insert!.execute(arguments: [marketplace, key.name, position, e.description, e.version, e.category,
                                            jsonArray(e.tags), jsonArray(e.keywords), e.author, e.source, e.entry,
                                            key.digest])
        }
    }

    /// Forgets a marketplace and its catalog. Forgetting one the store does not hold changes nothing.
    public func deleteMarketplace(_ name: String) throws(StoreError) {
        try storeErrors {
            try writer.write { db in try db.execute(sql: "DELETE FROM marketplace WHERE name = ?", arguments: [name]) }
        }
    }

    /// Every marketplace the store holds, by name.
    public func marketplaceRecords() throws(StoreError) -> [MarketplaceRecord] {
        try storeErrors {
            try reading { db in
                try Row.fetchAll(db, sql: "SELECT * FROM marketplace ORDER BY name").map(Self.marketplace(from:))
            }
        }
    }

    /// The catalog: every entry of `marketplace` (all marketplaces when nil), in marketplace then manifest order.
    public func catalogEntries(marketplace: String? = nil) throws(StoreError) -> [CatalogEntry] {
        try storeErrors {
            try reading { db in
                if let marketplace {
                    return try Row.fetchAll(db, sql: "SELECT * FROM catalog_entry WHERE marketplace = ? ORDER BY position",
                                            arguments: [marketplace]).map(Self.entry(from:))
                }
                return try Row.fetchAll(db, sql: "SELECT * FROM catalog_entry ORDER BY marketplace, position")
                    .map(Self.entry(from:))
            }
        }
    }

    /// The entries called `name`, in every marketplace.
    public func catalogEntries(named name: String) throws(StoreError) -> [CatalogEntry] {
        try storeErrors {
            try reading { db in
                try Row.fetchAll(db, sql: "SELECT * FROM catalog_entry WHERE name = ? ORDER BY marketplace", arguments: [name])
                    .map(Self.entry(from:))
            }
        }
    }

    /// Full-text search of the catalog. Each word of `query` must match (a prefix of) a word of the name, the
    /// keywords or the description; results whose name matches come first, then those matched by keywords,
    /// then by description only; within a group by FTS5's bm25 rank (name weighted 10, keywords 5, description 1).
    /// A query with no word characters matches nothing (not an error).
    public func searchCatalog(_ query: String, limit: Int = 50) throws(StoreError) -> [(entry: CatalogEntry, match: CatalogMatch)] {
        let words = query.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "") + "\"*" }
        guard !words.isEmpty else { return [] }
        let all = words.joined(separator: " ")
        let name = "{name} : (" + all + ")"
        let keywords = "{keywords} : (" + all + ")"
        return try storeErrors {
            try reading { db in
                let rows = try Row.fetchAll(db, sql: """
                    WITH hits AS (
                        SELECT rowid AS id, bm25(catalog_fts, 10.0, 5.0, 1.0) AS rank FROM catalog_fts WHERE catalog_fts MATCH ?
                    ),
                    names AS (SELECT rowid AS id FROM catalog_fts WHERE catalog_fts MATCH ?),
                    keys AS (SELECT rowid AS id FROM catalog_fts WHERE catalog_fts MATCH ?)
                    SELECT e.*,
                        CASE WHEN hits.id IN (SELECT id FROM names) THEN 0
                             WHEN hits.id IN (SELECT id FROM keys) THEN 1 ELSE 2 END AS tier
                    FROM hits JOIN catalog_entry e ON e.id = hits.id
                    ORDER BY tier, hits.rank, e.name, e.marketplace
                    LIMIT ?
                    """, arguments: [all, name, keywords, limit])
                return rows.map { row in
                    let tier: Int = row["tier"]
                    return (Self.entry(from: row), tier == 0 ? CatalogMatch.name : tier == 1 ? .keywords : .description)
                }
            }
        }
    }

    // MARK: - Rows

    static func jsonArray(_ items: [String]) -> String {
        JSONValue.strings(items).serialized(pretty: false)
    }

    static func stringArray(_ text: String) -> [String] {
        if text == "[]" { return [] }
        return (try? JSONReader.parse(Array(text.utf8)).root.array)?.compactMap(\.string) ?? []
    }

    static func marketplace(from row: Row) -> MarketplaceRecord {
        MarketplaceRecord(name: row["name"], source: row["source"], installLocation: row["install_location"],
                          root: row["root"], pluginRoot: row["plugin_root"], manifestSHA256: row["manifest_sha256"], etag: row["etag"],
                          revision: row["revision"], renames: row["renames"],
                          updatedAt: Date(unixMilliseconds: row["updated_at"]))
    }

    static func entry(from row: Row) -> CatalogEntry {
        CatalogEntry(marketplace: row["marketplace"], name: row["name"], description: row["description"],
                     version: row["version"], category: row["category"], tags: stringArray(row["tags"]),
                     keywords: stringArray(row["keywords"]), author: row["author"], source: row["source"],
                     entry: row["entry"])
    }
}
