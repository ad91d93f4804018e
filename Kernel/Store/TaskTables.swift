package import GRDB

/// The tables of the tasks subsystem (`KernelTasks`): per-blueprint and per-trigger state, the fire claims and
/// the run history. Only the schema lives here; the engine reads and writes them through ``KernelStore/database``.
extension KernelStore {
    static func registerTaskMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-tasks") { db in
            try db.execute(sql: """
                -- One row per blueprint name ever seen: pause state (so a plugin's blueprint can be paused),
                -- auto-disable reason (max runs, expiry), counters.
                CREATE TABLE task_state (
                    blueprint TEXT NOT NULL PRIMARY KEY CHECK (length(blueprint) > 0),
                    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
                    paused_reason TEXT,
                    disabled_reason TEXT,
                    run_count INTEGER NOT NULL DEFAULT 0 CHECK (run_count >= 0),
                    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
                    updated_at INTEGER NOT NULL
                );
                -- One row per trigger of a present blueprint. next_fire (UTC ms, jitter included) is NULL when the
                -- trigger is not timed, paused, disabled or has no further slot; the tick reads it through the index.
                CREATE TABLE task_trigger (
                    blueprint TEXT NOT NULL,
                    trigger_index INTEGER NOT NULL CHECK (trigger_index >= 0 AND trigger_index < 5),
                    kind TEXT NOT NULL CHECK (kind IN ('schedule', 'at', 'every', 'webhook', 'event', 'api')),
                    schedule_key TEXT NOT NULL,
                    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
                    next_slot INTEGER,
                    next_fire INTEGER CHECK ((next_fire IS NULL) = (next_slot IS NULL)),
                    last_slot INTEGER,
                    PRIMARY KEY (blueprint, trigger_index)
                );
                CREATE INDEX task_trigger_due ON task_trigger (next_fire) WHERE next_fire IS NOT NULL;
                -- A claimed (trigger, slot): inserted in the transaction that queues (or skips) its run, so a slot
                -- is processed once whatever crashes and however many schedulers share the store.
                CREATE TABLE task_fire (
                    blueprint TEXT NOT NULL,
                    trigger_index INTEGER NOT NULL,
                    slot INTEGER NOT NULL,
                    run_id TEXT NOT NULL,
                    claimed_at INTEGER NOT NULL,
                    PRIMARY KEY (blueprint, trigger_index, slot)
                );
                -- The run history. A run is 'running' only once its process started (started_at set).
                CREATE TABLE task_run (
                    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) > 0),
                    blueprint TEXT NOT NULL CHECK (length(blueprint) > 0),
                    trigger_index INTEGER,
                    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'at', 'every', 'webhook', 'event', 'api', 'manual')),
                    slot INTEGER,
                    test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1)),
                    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
                    retry_of TEXT,
                    parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
                    reason TEXT,
                    scheduled_at INTEGER NOT NULL,
                    not_before INTEGER NOT NULL,
                    queued_at INTEGER NOT NULL,
                    started_at INTEGER CHECK (started_at IS NULL OR state <> 'queued'),
                    finished_at INTEGER,
                    exit_code INTEGER,
                    signal INTEGER,
                    pid INTEGER,
                    supervisor TEXT,
                    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
                    log_path TEXT,
                    work_dir TEXT,
                    CHECK (state <> 'running' OR started_at IS NOT NULL)
                );
                CREATE INDEX task_run_blueprint ON task_run (blueprint, queued_at);
                CREATE INDEX task_run_queued ON task_run (queued_at);
                -- Small partial indexes for the overlap and concurrency checks and the queue (queries repeat
                -- their WHERE terms verbatim so SQLite can use them).
                CREATE INDEX task_run_active ON task_run (blueprint, state) WHERE state IN ('queued', 'running');
                CREATE INDEX task_run_ready ON task_run (not_before) WHERE state = 'queued';
                """)
        }
        migrator.registerMigration("v4-tasks-server") { db in
            try db.execute(sql: """
                -- API tokens of the tasks server: only the SHA-256 of the token is kept. `id` is the random part
                -- shown as the token's prefix (kt-<id>_…), looked up first; the hash is then compared in constant time.
                CREATE TABLE task_token (
                    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) >= 8),
                    hash TEXT NOT NULL CHECK (length(hash) = 64),
                    name TEXT NOT NULL DEFAULT '',
                    scopes TEXT NOT NULL CHECK (json_valid(scopes)),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    last_used_at INTEGER,
                    revoked_at INTEGER
                );
                -- The invoke key of each api trigger (POST /v1/automation/invoke/<key>), made when first seen.
                CREATE TABLE task_invoke_key (
                    key TEXT NOT NULL PRIMARY KEY,
                    blueprint TEXT NOT NULL,
                    trigger_index INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (blueprint, trigger_index)
                );
                -- Webhook deliveries that queued a run (X-GitHub-Delivery and the like): inserted in the
                -- transaction that queues the run, so a delivery that failed before that can be redelivered.
                CREATE TABLE task_delivery (
                    source TEXT NOT NULL,
                    delivery_id TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (source, delivery_id)
                );
                CREATE INDEX task_delivery_age ON task_delivery (received_at);
                """)
        }
    }
}

extension KernelStore {
    /// The database, for subsystems of this package that keep their own tables here (the tasks engine).
    package var database: any DatabaseWriter { writer }
}
