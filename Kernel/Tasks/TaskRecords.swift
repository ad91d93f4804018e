import Foundation
public import KernelCore
internal import GRDB

/// The state of a run.
public enum RunState: String, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled, skipped

    /// Whether the run is over.
    public var isFinal: Bool { self != .queued && self != .running }
}

/// One run of a blueprint, as the history keeps it.
public struct TaskRun: Sendable, Equatable {
    public var id: String
    public var blueprint: String
    /// The trigger's index in the blueprint (nil for a manual run).
    public var triggerIndex: Int?
    /// schedule, at, every, webhook, event, api or manual.
    public var triggerKind: String
    /// The scheduled slot, for timed triggers.
    public var slot: Date?
    /// A one-off test run: consumes no slot and no max-runs count, never retried.
    public var test: Bool
    public var attempt: Int
    public var retryOf: String?
    /// The parameters, as JSON text.
    public var parameters: String
    public var state: RunState
    /// Why it was skipped, failed or cancelled.
    public var reason: String?
    public var scheduledAt: Date
    /// A retry waits until then.
    public var notBefore: Date
    public var queuedAt: Date
    /// When the agent process started (nil if it never did).
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int?
    public var signal: Int?
    public var pid: Int?
    public var logPath: String?
    public var workDir: String?
    public var cancelRequested: Bool

    /// Seconds from start to finish.
    public var duration: Double? {
        guard let s = startedAt, let f = finishedAt else { return nil }
        return f.timeIntervalSince(s)
    }

    /// The row as `--json` prints it.
    public var json: JSONValue {
        func date(_ d: Date?) -> JSONValue { d.map { .string(TaskFormat.date($0)) } ?? .null }
        let params: JSONValue = (try? JSONReader.parse(parameters)).map { JSONValue(node: $0.root) } ?? .raw(parameters)
        return .object([
            ("id", .string(id)), ("blueprint", .string(blueprint)),
            ("trigger", triggerIndex.map { .int($0) } ?? .null), ("triggerKind", .string(triggerKind)),
            ("slot", date(slot)), ("test", .bool(test)), ("attempt", .int(attempt)), ("retryOf", .optional(retryOf)),
            ("state", .string(state.rawValue)), ("reason", .optional(reason)),
            ("scheduledAt", date(scheduledAt)), ("queuedAt", date(queuedAt)), ("startedAt", date(startedAt)),
            ("finishedAt", date(finishedAt)), ("durationMs", duration.map { .int(Int(($0 * 1000).rounded())) } ?? .null),
            ("exitCode", exitCode.map { .int($0) } ?? .null), ("signal", signal.map { .int($0) } ?? .null),
            ("pid", pid.map { .int($0) } ?? .null), ("logPath", .optional(logPath)), ("workDir", .optional(workDir)),
            ("parameters", params),
        ])
    }

    static let columns = """
        id, blueprint, trigger_index, trigger_kind, slot, test, attempt, retry_of, parameters, state, reason, scheduled_at, \
        not_before, queued_at, started_at, finished_at, exit_code, signal, pid, log_path, work_dir, cancel_requested
        """

    /// A row of `SELECT \(columns)`, read by position (by name, GRDB lower-cases every column name per lookup).
    init(row: Row) {
        func date(_ v: Int64?) -> Date? { v.map { Date(timeIntervalSince1970: Double($0) / 1000) } }
        id = row[0]
        blueprint = row[1]
        triggerIndex = row[2]
        triggerKind = row[3]
        slot = date(row[4])
        test = (row[5] as Int) != 0
        attempt = row[6]
        retryOf = row[7]
        parameters = row[8]
        state = RunState(rawValue: row[9]) ?? .failed
        reason = row[10]
        scheduledAt = date(row[11])!
        notBefore = date(row[12])!
        queuedAt = date(row[13])!
        startedAt = date(row[14])
        finishedAt = date(row[15])
        exitCode = row[16]
        signal = row[17]
        pid = row[18]
        logPath = row[19]
        workDir = row[20]
        cancelRequested = (row[21] as Int) != 0
    }
}

/// A blueprint's stored state: pause, auto-disable, counters.
public struct BlueprintState: Sendable, Equatable {
    public var paused: Bool = false
    public var pausedReason: String?
    /// Set when max runs or the expiry was reached.
    public var disabledReason: String?
    /// Runs queued by triggers (test runs excluded).
    public var runCount: Int = 0
    public var consecutiveFailures: Int = 0
}

/// A trigger's stored state.
public struct TriggerState: Sendable, Equatable {
    public var index: Int
    public var kind: String
    public var paused: Bool
    /// The next slot and the time it fires (the slot plus its jitter).
    public var nextSlot: Date?
    public var nextFire: Date?
    public var lastSlot: Date?
}

enum TaskFormat {
    static func date(_ d: Date) -> String { Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(d) }
}

extension Date {
    var ms: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

/// Why the tasks engine could not do what was asked.
public struct TaskError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// No blueprint or run of that name or id.
        public static let notFound = Code("not_found")
        /// The blueprint cannot run: invalid, inactive, paused, disabled.
        public static let unavailable = Code("unavailable")
        /// Parameters that are not a JSON object, or too large.
        public static let parameters = Code("parameters")
        /// The store failed.
        public static let store = Code("store")
        /// The group commit that would write it was closed (the server is shutting down).
        public static let closed = Code("closed")
        public static let io = Code("io")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { message }

    static func wrap(_ error: any Error) -> TaskError {
        if let e = error as? TaskError { return e }
        return TaskError(.store, "\(error)")
    }
}
