import Foundation
internal import GRDB

/// The kernel's SQLite database: install receipts, the component cache, trusted projects.
///
/// One instance per process is enough (it is `Sendable`; its calls are serialized on one connection, in WAL mode,
/// so other processes read while one writes). Several processes may open the same file at once: writes take an
/// immediate transaction and wait up to ``busyTimeout`` for another process's write to finish.
///
/// One connection, not a pool of a writer and readers: every `kernel` command opens the store, and a pool cost
/// each one a second connection, a thread and (GRDB's set-up of an empty WAL) a committed transaction with its
/// fdatasync, even for a read-only listing.
public final class KernelStore: Sendable {
    /// How long a write waits for another connection's write before failing with ``StoreError/Code-swift.struct/busy``.
    public static let busyTimeout: TimeInterval = 15

    /// The database file, or `nil` for an in-memory store.
    public let path: String?

    let writer: any DatabaseWriter

    /// Opens the database at `path`, creating it and its parent folders when missing, and brings its schema up to
    /// date with the named forward-only migrations.
    ///
    /// The database uses WAL journaling, enforces foreign keys, and waits ``busyTimeout`` for locks held by other
    /// processes. Opening a database that is already migrated changes nothing.
    ///
    /// - Parameter path: The database file, e.g. `~/.qoder/plugins/kernel.sqlite` (no tilde expansion here).
    /// - Throws: ``StoreError`` with code `.io` when the folder cannot be created, `.database` when the file
    ///   cannot be opened (not a database, unreadable), `.busy` when another process holds the lock too long.
    public init(path: String) throws(StoreError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.io, "cannot create the database folder: \(error.localizedDescription)", path: folder)
            }
        }
        // Several processes may open a new database at once (20 `kernel` commands started together): switching
        // it to WAL and the first migration can then fail with "database is locked" despite the busy timeout.
        // Retry the whole open with a short randomised pause; a real failure still surfaces.
        var attempt = 0
        var opened: DatabaseQueue?
        while opened == nil {
            do {
                let queue = try storeErrors { try DatabaseQueue(path: path, configuration: Self.fileConfiguration()) }
                try Self.migrate(queue)
                opened = queue
            } catch where error.code == .busy || error.message.contains("locked") {
                attempt += 1
                if attempt >= 40 { throw error }
                usleep(UInt32.random(in: 5_000...40_000))
            }
        }
        self.path = path
        self.writer = opened!
        self.isReadOnly = false
    }

    private init(inMemoryWriter: any DatabaseWriter) {
        self.path = nil
        self.writer = inMemoryWriter
        self.isReadOnly = false
    }

    private init(path: String, readOnly: DatabaseQueue) {
        self.path = path
        self.writer = readOnly
        self.isReadOnly = true
    }

    /// Runs `body` in one deferred transaction: what `writer.read` does, without its `PRAGMA query_only` on and
    /// off around the closure. A flag pragma expires every prepared statement of the connection, so each `read`
    /// made every cached statement prepare again at its next step (33 re-prepares, 2.2 M instructions, in one
    /// `memory show` of ten rule folders). The closures passed here only read.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.unsafeRead { db in
            if db.isInsideTransaction { return try body(db) }
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// True for a store opened with ``openForReading(path:)``: every write fails.
    public let isReadOnly: Bool

    /// Opens an existing database for reading only, when its schema is this kernel's: one read-only
    /// connection, no WAL switch and no migration (reading which migrations were applied is the only check),
    /// for a command that only reads (`plugins search`). Nil when the file is missing, cannot be opened or its
    /// schema is another version: open it with ``init(path:)`` then.
    public static func openForReading(path: String) -> KernelStore? {
        guard access(path, R_OK) == 0 else { return nil }
        var config = configuration()
        config.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: config),
              (try? queue.read({ db in try migrator.hasCompletedMigrations(db) && !migrator.hasBeenSuperseded(db) })) == true
        else { return nil }
        return KernelStore(path: path, readOnly: queue)
    }

    /// A fresh, empty, migrated in-memory database (for tests). Each call returns an independent database.
    ///
    /// - Throws: ``StoreError`` if SQLite cannot allocate or migrate it.
    public static func inMemory() throws(StoreError) -> KernelStore {
        let queue = try storeErrors { try DatabaseQueue(configuration: configuration()) }
        try migrate(queue)
        return KernelStore(inMemoryWriter: queue)
    }

    /// A file's connection: WAL journaling (a property of the file, so it is switched once), `synchronous=NORMAL`
    /// (the usual choice with WAL: a power loss may lose the last commits, never corrupts the file), reads
    /// through a memory map.
    static func fileConfiguration() -> Configuration {
        var config = configuration()
        config.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw DatabaseError(message: "could not switch the database to WAL journaling")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Read the file through a memory map, not a pread per page: a warm listing of 500 plugins read ~600
            // pages of the component cache, and a system call costs microseconds here.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        return config
    }

    static func configuration() -> Configuration {
        var config = Configuration()
        config.label = "KernelStore"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        return config
    }

    /// Runs the migrations. Two processes opening a new database at once may both see a migration as
    /// pending; the loser's transaction then fails (table exists), so re-check before giving up.
    static func migrate(_ writer: any DatabaseWriter) throws(StoreError) {
        let migrator = migrator
        var attempts = 0
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                attempts += 1
                let done = (try? writer.read { try migrator.hasCompletedMigrations($0) }) ?? false
                if done { return }
                if attempts >= 5 { throw StoreError.wrapping(error) }
                usleep(UInt32.random(in: 5_000...40_000))
            }
        }
    }

    /// The schema, as named forward-only migrations. Never edit a shipped migration: add one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        // Which plugin is installed where. The same plugin may be installed at user scope and in several
        // projects; project and local installs name their project, user installs do not.
        migrator.registerMigration("v1-receipts") { db in
            try db.execute(sql: """
                CREATE TABLE install_receipt (
                    id TEXT NOT NULL CHECK (id = name || '@' || marketplace),
                    name TEXT NOT NULL CHECK (length(name) > 0 AND instr(name, '@') = 0),
                    marketplace TEXT NOT NULL CHECK (length(marketplace) > 0 AND instr(marketplace, '@') = 0),
                    scope TEXT NOT NULL CHECK (scope IN ('user', 'project', 'local')),
                    project_path TEXT
                        CHECK ((scope = 'user') = (project_path IS NULL))
                        CHECK (project_path IS NULL OR substr(project_path, 1, 1) = '/'),
                    version TEXT NOT NULL CHECK (length(version) > 0),
                    install_path TEXT NOT NULL CHECK (length(install_path) > 0),
                    source TEXT NOT NULL CHECK (json_valid(source) AND json_type(source) = 'object'),
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
                    installed_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL CHECK (updated_at >= installed_at)
                );
                -- NULLs are distinct in a plain UNIQUE constraint, so key user installs on '' instead.
                CREATE UNIQUE INDEX install_receipt_key ON install_receipt (id, scope, ifnull(project_path, ''));
                CREATE INDEX install_receipt_name ON install_receipt (name);
                """)
        }

        // Parsed component files, valid while the file's identity and stat fields are unchanged.
        migrator.registerMigration("v1-component-cache") { db in
            try db.execute(sql: """
                CREATE TABLE component_cache (
                    path TEXT NOT NULL PRIMARY KEY CHECK (length(path) > 0),
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL CHECK (size >= 0),
                    mtime_ns INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (length(kind) > 0),
                    parser_version INTEGER NOT NULL CHECK (parser_version >= 0),
                    payload BLOB NOT NULL
                );
                """)
        }

        // Project folders the user trusts to run project-scoped code (hooks, native modules, MCP servers).
        migrator.registerMigration("v1-trust") { db in
            try db.execute(sql: """
                CREATE TABLE trusted_project (
                    path TEXT NOT NULL PRIMARY KEY CHECK (substr(path, 1, 1) = '/'),
                    trusted_at INTEGER NOT NULL
                );
                """)
        }

        // Hook handlers marked `once` that ran successfully in a session: they do not run again in it.
        migrator.registerMigration("v2-hook-once") { db in
            try db.execute(sql: """
                CREATE TABLE hook_once (
                    session_id TEXT NOT NULL CHECK (length(session_id) > 0),
                    handler_key TEXT NOT NULL CHECK (length(handler_key) > 0),
                    ran_at INTEGER NOT NULL,
                    PRIMARY KEY (session_id, handler_key)
                );
                """)
        }

        // Results of background (`async`) hook handlers, kept until the next fire of the session takes them.
        migrator.registerMigration("v2-hook-async-results") { db in
            try db.execute(sql: """
                CREATE TABLE hook_async_result (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL,
                    event TEXT NOT NULL CHECK (length(event) > 0),
                    handler_key TEXT NOT NULL,
                    payload TEXT NOT NULL CHECK (json_valid(payload)),
                    finished_at INTEGER NOT NULL
                );
                CREATE INDEX hook_async_result_session ON hook_async_result (session_id, id);
                """)
        }

        // Native modules' scan results (descriptor, contributions, or the refusal / broken verdict), valid while
        // the module file is unchanged and the host's ABI is the one that scanned it.
        migrator.registerMigration("v2-module-scan") { db in
            try db.execute(sql: """
                CREATE TABLE module_scan (
                    path TEXT NOT NULL PRIMARY KEY CHECK (substr(path, 1, 1) = '/'),
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL CHECK (size >= 0),
                    mtime_ns INTEGER NOT NULL,
                    host_abi TEXT NOT NULL CHECK (length(host_abi) > 0),
                    state TEXT NOT NULL CHECK (state IN ('ok', 'refused', 'broken')),
                    result BLOB NOT NULL,
                    scanned_at INTEGER NOT NULL
                );
                """)
        }

        // A cached folder's entry keeps what listings read (`payload`, small) apart from the parsed bundle a
        // composition decodes (`detail`), in the same row: listings never load the bundle's bytes.
        migrator.registerMigration("v3-component-cache-detail") { db in
            try db.execute(sql: "ALTER TABLE component_cache ADD COLUMN detail BLOB")
        }

        registerTaskMigrations(&migrator)
        registerCatalogMigrations(&migrator)
        // What a trusted project could execute when it was trusted: `kernel trust` records it, and a project
        // whose fingerprint changed is not trusted again until the user trusts it (NULL: trusted before
        // fingerprints were recorded).
        migrator.registerMigration("v5-trust-fingerprint") { db in
            try db.execute(sql: "ALTER TABLE trusted_project ADD COLUMN fingerprint TEXT CHECK (fingerprint IS NULL OR json_valid(fingerprint))")
        }

        // Plugin dependencies: whether a receipt's plugin was installed only as another's dependency, and what
        // it needs (a JSON array of {"id", "range"?}).
        migrator.registerMigration("v5-receipt-dependencies") { db in
            try db.execute(sql: """
                ALTER TABLE install_receipt ADD COLUMN auto_installed INTEGER NOT NULL DEFAULT 0
                    CHECK (auto_installed IN (0, 1));
                ALTER TABLE install_receipt ADD COLUMN requires TEXT NOT NULL DEFAULT '[]'
                    CHECK (json_valid(requires) AND json_type(requires) = 'array');
                """)
        }
        registerTreeHashMigrations(&migrator)
        return migrator
    }
}

extension Date {
    /// Milliseconds since 1970, as stored in the database.
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(unixMilliseconds ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}
