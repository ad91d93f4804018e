import Foundation
public import KernelCore
public import KernelStore
public import KernelHooks
import KernelProcess
internal import GRDB

/// The tasks engine: keeps blueprints' triggers and runs in the kernel store, claims due slots, queues runs from
/// any trigger, starts them through the runner and records what happened.
///
/// Every state change is one immediate SQLite transaction, so several engines (a `tasks scheduler`, a `tasks tick`
/// from cron, an HTTP server) can share one store: a (trigger, slot) is claimed once, in the same transaction
/// that queues its run, and a queued run is started by one of them.
public final class TaskEngine: Sendable {
    /// What the engine needs besides the store.
    public struct Configuration: Sendable {
        /// The agent command template (settings `tasks.runner`): `{prompt}`, `{cwd}`, `{model}`, `{agent}`,
        /// `{name}`, `{runId}` are substituted per argument.
        public var runner: [String] = TaskSettings.defaultRunner
        /// Runs at once across all blueprints; more queue.
        public var concurrency: Int = 4
        /// Runs kept per blueprint, and their age limit (seconds); older rows and logs are deleted.
        public var retentionRuns: Int = 1000
        public var retentionAge: Double = 30 * 86_400
        /// Bytes of output per log file before it is rotated (one rotation kept: at most twice this per run).
        public var logLimit: Int = 10 << 20
        /// Seconds between SIGTERM and SIGKILL when a run times out or is cancelled.
        public var killGrace: Double = 5
        /// A slot processed later than this after its fire time counts as missed.
        public var lateTolerance: Double = 90
        /// Where run logs and repo checkouts go.
        public var logsDir: String
        public var workDir: String
        /// The project folder (relative `workingDirectory` values are read from it).
        public var projectDir: String
        /// The environment `${VAR}` references are resolved from, and the runs inherit.
        public var environment: [String: String] = ProcessInfo.processInfo.environment

        public init(logsDir: String, workDir: String, projectDir: String) {
            self.logsDir = logsDir; self.workDir = workDir; self.projectDir = projectDir
        }
    }

    public let store: KernelStore
    public let catalog: BlueprintCatalog
    public let configuration: Configuration
    public let clock: any TaskClock
    /// Fires TaskCreated / TaskCompleted; nil fires nothing.
    public let hooks: HookEngine?
    let active: [String: BlueprintEntry]
    let identity = ProcessIdentity.current

    var db: any DatabaseWriter { store.database }

    public init(store: KernelStore, catalog: BlueprintCatalog, configuration: Configuration,
                clock: any TaskClock = SystemClock(), hooks: HookEngine? = nil) {
        self.store = store
        self.catalog = catalog
        self.configuration = configuration
        self.clock = clock
        self.hooks = hooks
        self.active = catalog.active
    }

    func write<T>(_ body: (Database) throws -> T) throws(TaskError) -> T {
        do {
            return try db.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw TaskError.wrap(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(TaskError) -> T {
        do { return try db.read(body) } catch { throw TaskError.wrap(error) }
    }

    // MARK: - Sync

    /// What ``sync()`` changed.
    public struct SyncReport: Sendable {
        public var added = 0
        public var rescheduled = 0
        public var removed = 0
    }

    /// Brings the trigger rows in line with the catalog: new and edited triggers get their next fire computed
    /// from now (no burst for slots before the edit), triggers of blueprints no longer present are removed.
    /// Pause state survives edits.
    @discardableResult
    public func sync() throws(TaskError) -> SyncReport {
        let now = clock.now()
        return try write { db in
            var report = SyncReport()
            var existing: [String: [Int: (key: String, paused: Bool)]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT blueprint, trigger_index, schedule_key, paused FROM task_trigger") {
                existing[row["blueprint"], default: [:]][row["trigger_index"]] = (row["schedule_key"], (row["paused"] as Int) != 0)
            }
            var states: [String: BlueprintState] = [:]
            for (name, s) in try Self.allStates(db) { states[name] = s }
            for (name, entry) in active {
                let b = entry.blueprint!
                let state = states[name]
                let blocked = state.map { $0.paused || $0.disabledReason != nil } ?? false
                for (i, t) in b.triggers.enumerated() {
                    let key = b.scheduleKey(i)
                    if let old = existing[name]?[i] {
                        existing[name]?[i] = nil
                        if old.key == key { continue }
                        report.rescheduled += 1
                        let next = (blocked || old.paused || !t.enabled) ? nil : t.nextSlot(after: now)
                        try db.execute(sql: "UPDATE task_trigger SET kind = ?, schedule_key = ?, next_slot = ?, next_fire = ? WHERE blueprint = ? AND trigger_index = ?",
                                       arguments: [t.kind.rawValue, key, next?.ms, next.map { fire(t, name, i, $0).ms }, name, i])
                    } else {
                        report.added += 1
                        let next = (blocked || !t.enabled) ? nil : t.nextSlot(after: now)
                        try db.execute(sql: "INSERT INTO task_trigger (blueprint, trigger_index, kind, schedule_key, next_slot, next_fire) VALUES (?, ?, ?, ?, ?, ?)",
                                       arguments: [name, i, t.kind.rawValue, key, next?.ms, next.map { fire(t, name, i, $0).ms }])
                    }
                }
            }
            for (name, rows) in existing {
                for (i, _) in rows {
                    try db.execute(sql: "DELETE FROM task_trigger WHERE blueprint = ? AND trigger_index = ?", arguments: [name, i])
                    report.removed += 1
                }
            }
            return report
        }
    }

    /// The time a slot fires: the slot plus its deterministic jitter.
    func fire(_ t: TaskTrigger, _ name: String, _ index: Int, _ slot: Date) -> Date {
        slot.addingTimeInterval(t.jitterOffset(slot: slot, key: "\(name)#\(index)"))
    }

    // MARK: - Tick

    /// What one ``tick()`` did.
    public struct TickReport: Sendable {
        /// Runs queued by due slots.
        public var queued: [TaskRun] = []
        /// Slots recorded as skipped (missed, overlap, max runs, expiry).
        public var skipped: [TaskRun] = []
    }

    /// Processes every slot due now: claims each (trigger, slot) and, in the same transaction, queues its run or
    /// records it as skipped, per the missed-run and overlap policies, max runs and expiry; then stores each
    /// trigger's next fire. Nothing due costs one indexed read.
    public func tick() throws(TaskError) -> TickReport {
        let now = clock.now()
        let due = try read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM task_trigger WHERE next_fire IS NOT NULL AND next_fire <= ? LIMIT 1",
                              arguments: [now.ms]) ?? false
        }
        guard due else { return TickReport() }
        var signals: [Int] = []
        let report = try write { db in
            var report = TickReport()
            let rows = try Row.fetchAll(db, sql: """
                SELECT blueprint, trigger_index, next_slot FROM task_trigger
                WHERE next_fire IS NOT NULL AND next_fire <= ? ORDER BY next_fire
                """, arguments: [now.ms])
            for row in rows {
                let name: String = row["blueprint"]
                let index: Int = row["trigger_index"]
                let first = Date(ms: row["next_slot"])
                guard let entry = active[name], let b = entry.blueprint, index < b.triggers.count else {
                    try setNext(db, name, index, nil, nil)
                    continue
                }
                let t = b.triggers[index]
                let state = try Self.state(db, name)
                if state.paused || state.disabledReason != nil || !t.enabled {
                    try setNext(db, name, index, nil, nil)
                    continue
                }
                // Every slot from the stored one up to now (capped), then the policy picks which run.
                var slots = [first]
                var cursor = first
                var capped = false
                while let n = t.nextSlot(after: cursor), fire(t, name, index, n) <= now {
                    if slots.count >= 1000 { capped = true; break }
                    slots.append(n)
                    cursor = n
                }
                let policy = t.missed ?? b.missed
                let tolerance = self.configuration.lateTolerance
                let late = { (s: Date) in now.timeIntervalSince(self.fire(t, name, index, s)) > tolerance }
                var chosen = Set<Date>()
                switch policy {
                case .skip: for s in slots where !late(s) { chosen.insert(s) }
                case .latest: chosen.insert(slots.last!)
                case .all:
                    let window = slots.filter { now.timeIntervalSince($0) <= b.catchUpWindow || !late($0) }
                    for s in window.suffix(b.catchUpLimit) { chosen.insert(s) }
                    if let last = slots.last { chosen.insert(last) }
                }
                for s in slots {
                    let runID = UUID().uuidString.lowercased()
                    try db.execute(sql: "INSERT OR IGNORE INTO task_fire (blueprint, trigger_index, slot, run_id, claimed_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [name, index, s.ms, runID, now.ms])
                    guard db.changesCount == 1 else { continue }  // another scheduler had it
                    var run = NewRun(id: runID, blueprint: name, triggerIndex: index, kind: t.kind.rawValue, slot: s,
                                     scheduledAt: fire(t, name, index, s), now: now)
                    if chosen.contains(s) {
                        let r = try queue(db, &run, b, now: now, signals: &signals)
                        if r.state == .skipped { report.skipped.append(r) } else { report.queued.append(r) }
                    } else {
                        let more = capped && s == slots.last ? " (and more slots before it; at most 1000 are recorded)" : ""
                        run.state = .skipped
                        run.reason = "missed: the scheduler was not running at \(TaskFormat.date(run.scheduledAt)) (missed: \(policy.rawValue))\(more)"
                        report.skipped.append(try insert(db, run))
                    }
                }
                // The next fire, from now: never a burst of slots that already passed.
                let next = try Self.state(db, name).disabledReason == nil ? t.nextSlot(after: max(now, slots.last!)) : nil
                try setNext(db, name, index, next, next.map { fire(t, name, index, $0) }, last: slots.last)
            }
            return report
        }
        for pid in signals { Self.terminate(group: pid, grace: configuration.killGrace) }
        return report
    }

    func setNext(_ db: Database, _ name: String, _ index: Int, _ slot: Date?, _ fire: Date?, last: Date? = nil) throws {
        try db.execute(sql: "UPDATE task_trigger SET next_slot = ?, next_fire = ?, last_slot = coalesce(?, last_slot) WHERE blueprint = ? AND trigger_index = ?",
                       arguments: [slot?.ms, fire?.ms, last?.ms, name, index])
    }

    struct NewRun {
        var id: String
        var blueprint: String
        var triggerIndex: Int?
        var kind: String
        var slot: Date?
        var test = false
        var attempt = 1
        var retryOf: String?
        var parameters = "{}"
        var state: RunState = .queued
        var reason: String?
        var scheduledAt: Date
        var notBefore: Date
        var now: Date

        init(id: String, blueprint: String, triggerIndex: Int?, kind: String, slot: Date?, scheduledAt: Date, now: Date) {
            self.id = id; self.blueprint = blueprint; self.triggerIndex = triggerIndex; self.kind = kind
            self.slot = slot; self.scheduledAt = scheduledAt; self.notBefore = now; self.now = now
        }
    }

    func insert(_ db: Database, _ r: NewRun) throws -> TaskRun {
        let finished: Int64? = r.state.isFinal ? r.now.ms : nil
        try db.cachedStatement(sql: """
            INSERT INTO task_run (id, blueprint, trigger_index, trigger_kind, slot, test, attempt, retry_of, parameters, state,
                                  reason, scheduled_at, not_before, queued_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [r.id, r.blueprint, r.triggerIndex, r.kind, r.slot?.ms, r.test ? 1 : 0, r.attempt, r.retryOf,
                             r.parameters, r.state.rawValue, r.reason, r.scheduledAt.ms, r.notBefore.ms, r.now.ms, finished])
        return try Self.run(db, r.id)!
    }

    /// Queues a triggered run, or records it as skipped: expiry, max runs, then the overlap policy. Test runs pass
    /// none of these checks and count for nothing.
    func queue(_ db: Database, _ r: inout NewRun, _ b: TaskBlueprint, now: Date, signals: inout [Int]) throws -> TaskRun {
        if r.test { return try insert(db, r) }
        var state = try Self.state(db, r.blueprint)
        if let expires = b.expires, now >= expires {
            try disable(db, r.blueprint, "expired at \(TaskFormat.date(expires))")
            r.state = .skipped; r.reason = "the blueprint expired at \(TaskFormat.date(expires))"
            return try insert(db, r)
        }
        if let max = b.maxRuns, state.runCount >= max {
            try disable(db, r.blueprint, "reached maxRuns (\(max))")
            r.state = .skipped; r.reason = "the blueprint reached maxRuns (\(max))"
            return try insert(db, r)
        }
        // Counted only for the policies that need them (an `allow` blueprint with many queued runs stays cheap).
        let running = b.overlap == .skip ? try Int.fetchOne(db, sql: "SELECT count(*) FROM task_run WHERE blueprint = ? AND \(Self.active) AND state = 'running'", arguments: [r.blueprint]) ?? 0 : 0
        let waiting = b.overlap == .skip || b.overlap == .bufferOne ? try Int.fetchOne(db, sql: "SELECT count(*) FROM task_run WHERE blueprint = ? AND \(Self.active) AND state = 'queued'", arguments: [r.blueprint]) ?? 0 : 0
        switch b.overlap {
        case .allow: break
        case .skip:
            if running + waiting > 0 {
                r.state = .skipped; r.reason = "overlap: a previous run is still \(running > 0 ? "running" : "queued") (overlap: skip)"
                return try insert(db, r)
            }
        case .bufferOne:
            if waiting > 0 {
                r.state = .skipped; r.reason = "overlap: one run is already waiting (overlap: buffer-one)"
                return try insert(db, r)
            }
        case .replace:
            try db.execute(sql: "UPDATE task_run SET state = 'cancelled', reason = ?, finished_at = ? WHERE blueprint = ? AND \(Self.active) AND state = 'queued'",
                           arguments: ["replaced by run \(r.id) (overlap: replace)", now.ms, r.blueprint])
            for row in try Row.fetchAll(db, sql: "SELECT id, pid FROM task_run WHERE blueprint = ? AND \(Self.active) AND state = 'running'", arguments: [r.blueprint]) {
                try db.execute(sql: "UPDATE task_run SET cancel_requested = 1, reason = coalesce(reason, ?) WHERE id = ?",
                               arguments: ["replaced by run \(r.id) (overlap: replace)", row["id"] as String])
                if let pid: Int = row["pid"] { signals.append(pid) }
            }
        }
        state.runCount += 1
        try db.cachedStatement(sql: """
            INSERT INTO task_state (blueprint, run_count, updated_at) VALUES (?, 1, ?)
            ON CONFLICT (blueprint) DO UPDATE SET run_count = run_count + 1, updated_at = excluded.updated_at
            """).execute(arguments: [r.blueprint, now.ms])
        let run = try insert(db, r)
        if let max = b.maxRuns, state.runCount >= max { try disable(db, r.blueprint, "reached maxRuns (\(max))") }
        return run
    }

    /// The partial index `task_run_active`'s condition, repeated verbatim in queries so SQLite uses it.
    static let active = "state IN ('queued', 'running')"

    func disable(_ db: Database, _ name: String, _ reason: String) throws {
        try db.execute(sql: """
            INSERT INTO task_state (blueprint, disabled_reason, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (blueprint) DO UPDATE SET disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at
            """, arguments: [name, reason, clock.now().ms])
        try db.execute(sql: "UPDATE task_trigger SET next_slot = NULL, next_fire = NULL WHERE blueprint = ?", arguments: [name])
    }

    // MARK: - Enqueue (webhook, event, API, manual)

    /// The largest parameters object accepted, as JSON text, and its most top-level keys.
    public static let maxParameterBytes = 65_535
    public static let maxParameterKeys = 64

    /// Queues a run of `name` from a trigger that is not timed (webhook, event, API) or by hand (`test`: a one-off
    /// test run that consumes no slot or max-runs count and runs even when the blueprint is paused).
    ///
    /// - Parameters:
    ///   - trigger: the index of the firing trigger in the blueprint, nil for a manual run.
    ///   - parameters: a JSON object: the template's parameters (a webhook's body, an event's fields).
    /// - Returns: the queued run, or the skipped one (overlap, max runs, expiry) with its reason.
    /// - Throws: ``TaskError`` `.notFound`, `.unavailable` (inactive, paused, disabled, trigger paused),
    ///   `.parameters` (not an object, too large).
    public func enqueue(_ name: String, trigger: Int? = nil, parameters: JSONValue = .object([]), test: Bool = false) throws(TaskError) -> TaskRun {
        try enqueue(name, trigger: trigger, parameters: parameters, test: test, delivery: nil).run
    }

    /// A webhook delivery: where it came from (`github`, `hook:<path>`) and its id (`X-GitHub-Delivery`).
    public struct Delivery: Sendable {
        public var source: String
        public var id: String
        public init(source: String, id: String) { self.source = source; self.id = id }
    }

    /// ``enqueue(_:trigger:parameters:test:)`` for a webhook delivery: the delivery is recorded in the transaction
    /// that queues (or skips) its run, so a second delivery of the same id returns that run with `duplicate`
    /// set and queues nothing, while a delivery that failed before a run was queued (paused, a store error)
    /// leaves no record and its redelivery runs.
    public func enqueue(_ name: String, trigger: Int? = nil, parameters: JSONValue = .object([]), test: Bool = false,
                        delivery: Delivery?) throws(TaskError) -> (run: TaskRun, duplicate: Bool) {
        let request = try prepare(name, trigger: trigger, parameters: parameters, test: test, delivery: delivery)
        return finish(try write { db in try perform(db, request) })
    }

    /// ``enqueue(_:trigger:parameters:test:delivery:)`` through a group commit: the run is written in the
    /// batcher's next transaction together with the other requests waiting then, and this returns once that
    /// transaction has committed (never before). A request refused on its own (paused, disabled) fails alone; a
    /// failed commit fails every request of the batch, and none of them has a row.
    public func enqueue(_ name: String, trigger: Int? = nil, parameters: JSONValue = .object([]), test: Bool = false,
                        delivery: Delivery? = nil, through batcher: EnqueueBatcher) async throws(TaskError) -> (run: TaskRun, duplicate: Bool) {
        let request = try prepare(name, trigger: trigger, parameters: parameters, test: test, delivery: delivery)
        return finish(try await batcher.submit { db in try self.perform(db, request) })
    }

    /// An enqueue request checked against the catalog (no store access yet).
    struct EnqueueRequest: Sendable {
        var name: String
        var blueprint: TaskBlueprint
        var trigger: Int?
        var kind: String
        var parameters: String
        var test: Bool
        var delivery: Delivery?
        var now: Date
    }

    /// What ``perform(_:_:)`` wrote: the run, whether the delivery was seen before, process groups to signal
    /// once the transaction has committed (overlap `replace`).
    struct EnqueueOutcome: Sendable {
        var run: TaskRun
        var duplicate: Bool
        var signals: [Int]
    }

    func prepare(_ name: String, trigger: Int?, parameters: JSONValue, test: Bool, delivery: Delivery?) throws(TaskError) -> EnqueueRequest {
        guard let entry = catalog.resolve(name) else { throw TaskError(.notFound, "no task blueprint named '\(name)'") }
        guard entry.state == .active, let b = entry.blueprint else {
            throw TaskError(.unavailable, "task '\(entry.name)' cannot run: \(entry.state.reason ?? "invalid")")
        }
        guard case .object(let members) = parameters else { throw TaskError(.parameters, "parameters must be a JSON object") }
        let text = parameters.serialized(pretty: false)
        if text.utf8.count > Self.maxParameterBytes || members.count > Self.maxParameterKeys {
            throw TaskError(.parameters, "parameters are limited to \(Self.maxParameterKeys) top-level keys and \(Self.maxParameterBytes) bytes of JSON (got \(members.count) keys, \(text.utf8.count) bytes)")
        }
        var kind = "manual"
        if let trigger {
            guard trigger >= 0, trigger < b.triggers.count else {
                throw TaskError(.notFound, "task '\(entry.name)' has no trigger \(trigger + 1)")
            }
            kind = b.triggers[trigger].kind.rawValue
        }
        return EnqueueRequest(name: entry.name, blueprint: b, trigger: trigger, kind: kind, parameters: text, test: test,
                              delivery: delivery, now: clock.now())
    }

    /// The writes of one enqueue, inside the caller's transaction. A delivery id already recorded (by an earlier
    /// transaction or earlier in this one) returns its run as a duplicate and writes nothing.
    func perform(_ db: Database, _ q: EnqueueRequest) throws -> EnqueueOutcome {
        if let delivery = q.delivery, let seen = try String.fetchOne(db.cachedStatement(sql: "SELECT run_id FROM task_delivery WHERE source = ? AND delivery_id = ?"),
                                                                    arguments: [delivery.source, delivery.id]) {
            if let r = try Self.run(db, seen) { return EnqueueOutcome(run: r, duplicate: true, signals: []) }
        }
        if !q.test {
            let state = try Self.state(db, q.name)
            if state.paused { throw TaskError(.unavailable, "task '\(q.name)' is paused\(state.pausedReason.map { ": \($0)" } ?? "")") }
            if let trigger = q.trigger {
                let paused = try Bool.fetchOne(db.cachedStatement(sql: "SELECT paused FROM task_trigger WHERE blueprint = ? AND trigger_index = ?"),
                                               arguments: [q.name, trigger]) ?? false
                if paused || !q.blueprint.triggers[trigger].enabled { throw TaskError(.unavailable, "trigger \(trigger + 1) of task '\(q.name)' is paused") }
            }
            if let reason = state.disabledReason { throw TaskError(.unavailable, "task '\(q.name)' is disabled: \(reason)") }
        }
        var r = NewRun(id: UUID().uuidString.lowercased(), blueprint: q.name, triggerIndex: q.trigger, kind: q.kind,
                       slot: nil, scheduledAt: q.now, now: q.now)
        r.test = q.test
        r.parameters = q.parameters
        var signals: [Int] = []
        let run = try queue(db, &r, q.blueprint, now: q.now, signals: &signals)
        if let delivery = q.delivery {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO task_delivery (source, delivery_id, run_id, received_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [delivery.source, delivery.id, run.id, q.now.ms])
        }
        return EnqueueOutcome(run: run, duplicate: false, signals: signals)
    }

    /// After the commit: the replaced runs' process groups are signalled.
    func finish(_ o: EnqueueOutcome) -> (run: TaskRun, duplicate: Bool) {
        for pid in o.signals { Self.terminate(group: pid, grace: configuration.killGrace) }
        return (o.run, o.duplicate)
    }

    // MARK: - Pause, resume

    /// Pauses a blueprint (all its triggers) or one trigger (0-based `trigger`). State is in the store, so any
    /// blueprint — a plugin's too — can be paused.
    public func pause(_ name: String, trigger: Int? = nil, reason: String = "paused by the user") throws(TaskError) {
        let entry = try named(name)
        try write { db in
            if let trigger {
                try checkTrigger(entry, trigger)
                try db.execute(sql: "UPDATE task_trigger SET paused = 1, next_slot = NULL, next_fire = NULL WHERE blueprint = ? AND trigger_index = ?",
                               arguments: [entry.name, trigger])
            } else {
                try db.execute(sql: """
                    INSERT INTO task_state (blueprint, paused, paused_reason, updated_at) VALUES (?, 1, ?, ?)
                    ON CONFLICT (blueprint) DO UPDATE SET paused = 1, paused_reason = excluded.paused_reason, updated_at = excluded.updated_at
                    """, arguments: [entry.name, reason, clock.now().ms])
                try db.execute(sql: "UPDATE task_trigger SET next_slot = NULL, next_fire = NULL WHERE blueprint = ?", arguments: [entry.name])
            }
        }
    }

    /// Resumes a blueprint (clearing its pause, its failure count and an auto-disable) or one trigger; next fires
    /// are computed from now, so the slots that passed while paused do not run.
    public func resume(_ name: String, trigger: Int? = nil) throws(TaskError) {
        let entry = try named(name)
        guard let b = entry.blueprint else { throw TaskError(.unavailable, "task '\(entry.name)' is invalid") }
        let now = clock.now()
        try write { db in
            if let trigger {
                try checkTrigger(entry, trigger)
                try db.execute(sql: "UPDATE task_trigger SET paused = 0 WHERE blueprint = ? AND trigger_index = ?", arguments: [entry.name, trigger])
            } else {
                try db.execute(sql: """
                    INSERT INTO task_state (blueprint, updated_at) VALUES (?, ?)
                    ON CONFLICT (blueprint) DO UPDATE SET paused = 0, paused_reason = NULL, disabled_reason = NULL,
                        consecutive_failures = 0, updated_at = excluded.updated_at
                    """, arguments: [entry.name, now.ms])
            }
            let state = try Self.state(db, entry.name)
            guard !state.paused else { return }
            for (i, t) in b.triggers.enumerated() where trigger == nil || trigger == i {
                let paused = try Bool.fetchOne(db, sql: "SELECT paused FROM task_trigger WHERE blueprint = ? AND trigger_index = ?",
                                               arguments: [entry.name, i]) ?? false
                let next = paused || !t.enabled ? nil : t.nextSlot(after: now)
                try setNext(db, entry.name, i, next, next.map { fire(t, entry.name, i, $0) })
            }
        }
    }

    func named(_ name: String) throws(TaskError) -> BlueprintEntry {
        guard let e = catalog.resolve(name) else {
            let names = catalog.entries.map(\.name)
            throw TaskError(.notFound, "no task blueprint named '\(name)'\(didYouMean(name, in: names))")
        }
        return e
    }

    func checkTrigger(_ e: BlueprintEntry, _ i: Int) throws {
        let count = e.blueprint?.triggers.count ?? 0
        guard i >= 0, i < count else { throw TaskError(.notFound, "task '\(e.name)' has \(count) trigger\(count == 1 ? "" : "s"); there is no trigger \(i + 1)") }
    }

    // MARK: - Reading

    /// A blueprint's stored state.
    public func state(of name: String) throws(TaskError) -> BlueprintState { try read { try Self.state($0, name) } }

    /// A blueprint's trigger rows.
    public func triggers(of name: String) throws(TaskError) -> [TriggerState] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM task_trigger WHERE blueprint = ? ORDER BY trigger_index", arguments: [name]).map { row in
                TriggerState(index: row["trigger_index"], kind: row["kind"], paused: (row["paused"] as Int) != 0,
                             nextSlot: (row["next_slot"] as Int64?).map { Date(ms: $0) },
                             nextFire: (row["next_fire"] as Int64?).map { Date(ms: $0) },
                             lastSlot: (row["last_slot"] as Int64?).map { Date(ms: $0) })
            }
        }
    }

    /// Runs, newest first: of one blueprint or all, at most `limit`, optionally only in `states`.
    public func runs(blueprint: String? = nil, states: [RunState]? = nil, limit: Int = 50) throws(TaskError) -> [TaskRun] {
        try read { db in
            var sql = "SELECT \(TaskRun.columns) FROM task_run"
            var clauses: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let blueprint { clauses.append("blueprint = ?"); args.append(blueprint) }
            if let states { clauses.append("state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ",")))") }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY queued_at DESC, rowid DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(TaskRun.init(row:))
        }
    }

    /// One run by id (or a unique prefix of it).
    public func run(_ id: String) throws(TaskError) -> TaskRun {
        let rows = try read { db in
            if let exact = try Self.run(db, id) { return [exact] }
            return try Row.fetchAll(db, sql: "SELECT \(TaskRun.columns) FROM task_run WHERE id >= ? AND id < ? LIMIT 2",
                                    arguments: [id, id + "\u{10FFFF}"]).map(TaskRun.init(row:))
        }
        if let exact = rows.first(where: { $0.id == id }) { return exact }
        if rows.count == 1, id.count >= 4 { return rows[0] }
        throw TaskError(.notFound, rows.isEmpty ? "no run with id '\(id)'" : "run id '\(id)' is ambiguous")
    }

    static func run(_ db: Database, _ id: String) throws -> TaskRun? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(TaskRun.columns) FROM task_run WHERE id = ?"), arguments: [id]).map(TaskRun.init(row:))
    }

    static func state(_ db: Database, _ name: String) throws -> BlueprintState {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM task_state WHERE blueprint = ?"), arguments: [name]) else { return BlueprintState() }
        return stateRow(row)
    }

    static func stateRow(_ row: Row) -> BlueprintState {
        BlueprintState(paused: (row["paused"] as Int) != 0, pausedReason: row["paused_reason"], disabledReason: row["disabled_reason"],
                       runCount: row["run_count"], consecutiveFailures: row["consecutive_failures"])
    }

    static func allStates(_ db: Database) throws -> [(String, BlueprintState)] {
        try Row.fetchAll(db, sql: "SELECT * FROM task_state").map { ($0["blueprint"], stateRow($0)) }
    }

    // MARK: - Cancel

    /// Cancels a queued run, or asks a running one to stop: its process group gets SIGTERM, then SIGKILL after
    /// the grace period; the supervising process records it as cancelled. A finished run is returned unchanged.
    public func cancel(_ id: String) throws(TaskError) -> TaskRun {
        let run = try self.run(id)
        guard !run.state.isFinal else { return run }
        let now = clock.now()
        let pid: Int? = try write { db in
            try db.execute(sql: "UPDATE task_run SET state = 'cancelled', reason = 'cancelled by the user', finished_at = ? WHERE id = ? AND state = 'queued'",
                           arguments: [now.ms, run.id])
            if db.changesCount == 1 { return nil }
            try db.execute(sql: "UPDATE task_run SET cancel_requested = 1, reason = coalesce(reason, 'cancelled by the user') WHERE id = ? AND state = 'running'",
                           arguments: [run.id])
            return try Int.fetchOne(db, sql: "SELECT pid FROM task_run WHERE id = ? AND state = 'running'", arguments: [run.id])
        }
        if let pid { Self.terminate(group: pid, grace: configuration.killGrace) }
        return try self.run(run.id)
    }

    /// SIGTERM to a process group now, SIGKILL `grace` seconds later: the hook handlers' ``GroupDeadline`` with
    /// no time left (Dispatch timers, off the caller's thread and the cooperative pool).
    static func terminate(group pid: Int, grace: Double) {
        let g = pid_t(pid)
        guard g > 1 else { return }
        _ = GroupDeadline(group: g, timeout: 0, grace: grace)
    }

    // MARK: - Recovery and retention

    /// Finds runs whose supervising process died (kill -9, a crash): a claimed queued run is released so it
    /// starts once; a running one is failed with the reason and its process group killed.
    @discardableResult
    public func recover() throws(TaskError) -> Int {
        let candidates = try read { db in
            try Row.fetchAll(db, sql: "SELECT id, state, supervisor, pid FROM task_run WHERE state IN ('queued', 'running') AND supervisor IS NOT NULL")
        }
        var count = 0
        let now = clock.now()
        for row in candidates {
            let sup: String = row["supervisor"]
            if sup == identity || ProcessIdentity.isAlive(sup) { continue }
            let id: String = row["id"]
            if (row["state"] as String) == "running" {
                if let pid: Int = row["pid"] { killpg(pid_t(pid), SIGKILL) }
                try write { db in
                    try db.execute(sql: """
                        UPDATE task_run SET state = 'failed', finished_at = ?, reason = ? WHERE id = ? AND state = 'running' AND supervisor = ?
                        """, arguments: [now.ms, "the kernel process supervising the run (pid \(sup.split(separator: ":")[0])) ended before the run did", id, sup])
                }
            } else {
                try write { db in
                    try db.execute(sql: "UPDATE task_run SET supervisor = NULL WHERE id = ? AND state = 'queued' AND supervisor = ?", arguments: [id, sup])
                }
            }
            count += 1
        }
        return count
    }

    /// Deletes finished runs beyond the retention limits (per blueprint: the newest `retentionRuns`, none older
    /// than `retentionAge`), with their logs and checkouts, and fire records older than every kept run.
    @discardableResult
    public func prune() throws(TaskError) -> Int {
        let cutoff = clock.now().addingTimeInterval(-configuration.retentionAge).ms
        let keep = configuration.retentionRuns
        let doomed = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, log_path, work_dir FROM (
                    SELECT id, log_path, work_dir, state, queued_at,
                           row_number() OVER (PARTITION BY blueprint ORDER BY queued_at DESC, rowid DESC) AS n
                    FROM task_run)
                WHERE state NOT IN ('queued', 'running') AND (n > ? OR queued_at < ?)
                """, arguments: [keep, cutoff])
        }
        guard !doomed.isEmpty else { return 0 }
        try write { db in
            for chunk in stride(from: 0, to: doomed.count, by: 500) {
                let ids = doomed[chunk..<min(chunk + 500, doomed.count)].map { $0["id"] as String }
                try db.execute(sql: "DELETE FROM task_run WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
            }
            try db.execute(sql: "DELETE FROM task_fire WHERE claimed_at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM task_delivery WHERE received_at < ?", arguments: [cutoff])
        }
        for row in doomed {
            if let log: String = row["log_path"] { unlink(log); unlink(log + ".1") }
            if let dir: String = row["work_dir"], dir.hasPrefix(configuration.workDir + "/") { try? FileManager.default.removeItem(atPath: dir) }
        }
        return doomed.count
    }
}
