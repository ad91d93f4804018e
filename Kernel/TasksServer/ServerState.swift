import Foundation
import KernelCore
import KernelTasks
import Logging

/// Where the server's log lines go (stderr by default): plain `time level message key=value…` or, with
/// `--json-logs`, one JSON object per line. Tokens, secrets, bodies and query strings are never logged.
public final class ServerLog: @unchecked Sendable {
    let json: Bool
    let write: @Sendable (String) -> Void
    let lock = NSLock()

    public init(json: Bool, write: @escaping @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }) {
        self.json = json
        self.write = write
    }

    public func log(_ level: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        let ts = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
        let line: String
        if json {
            line = JSONValue.object([("ts", .string(ts)), ("level", .string(level)), ("msg", .string(message))] + fields).serialized(pretty: false) + "\n"
        } else {
            let extra = fields.map { " \($0.0)=\($0.1.plain)" }.joined()
            line = "\(ts) \(level) \(message)\(extra)\n"
        }
        lock.withLock { write(line) }
    }
}

extension JSONValue {
    var plain: String {
        if case .string(let s) = self { return s }
        return serialized(pretty: false)
    }
}

/// swift-log's handler for Hummingbird's own messages: warnings and errors into the server's log.
struct ServerLogHandler: LogHandler {
    let sink: ServerLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.log(event.level.rawValue, "\(event.message)")
    }
}

/// The engine the handlers use, rebuilt from the blueprint files when they change (an API edit marks it stale;
/// otherwise at most every `maxAge` seconds), with the lookups the trigger routes need.
final class EngineBox: @unchecked Sendable {
    struct Snapshot: Sendable {
        var engine: TaskEngine
        var built: Date
        /// Webhook path → (blueprint, trigger index, trigger).
        var hooks: [String: (String, Int, TaskTrigger)]
        /// Invoke key → (blueprint, trigger index).
        var invokeKeys: [String: (blueprint: String, trigger: Int)]
        var keysByTrigger: [String: String]
    }

    let make: @Sendable () throws -> TaskEngine
    let maxAge: Double
    let lock = NSLock()
    var current: Snapshot?
    var stale = true
    var rebuilding = false

    init(maxAge: Double, make: @escaping @Sendable () throws -> TaskEngine) {
        self.make = make
        self.maxAge = maxAge
    }

    /// The current snapshot; rebuilt first when stale (by one caller; the others keep the previous one).
    func snapshot() throws -> Snapshot {
        let (snap, mustBuild): (Snapshot?, Bool) = lock.withLock {
            let old = current
            let due = stale || old.map { Date().timeIntervalSince($0.built) > maxAge } ?? true
            if due && (!rebuilding || old == nil) { rebuilding = true; return (old, true) }
            return (old, false)
        }
        if !mustBuild, let snap { return snap }
        do {
            let s = try build()
            lock.withLock { current = s; stale = false; rebuilding = false }
            return s
        } catch {
            lock.withLock { rebuilding = false }
            if let snap { return snap }
            throw error
        }
    }

    var engine: TaskEngine { get throws { try snapshot().engine } }

    /// After a blueprint file changed: the next request rebuilds.
    func invalidate() { lock.withLock { stale = true } }

    func build() throws -> Snapshot {
        let engine = try make()
        try engine.sync()
        var hooks: [String: (String, Int, TaskTrigger)] = [:]
        for e in engine.catalog.entries where e.state == .active {
            for (i, t) in (e.blueprint?.triggers ?? []).enumerated() where t.kind == .webhook {
                if let p = t.path { hooks[p] = (e.name, i, t) }
            }
        }
        let keys = try engine.invokeKeys()
        var byTrigger: [String: String] = [:]
        for (k, v) in keys { byTrigger["\(v.blueprint)#\(v.trigger)"] = k }
        return Snapshot(engine: engine, built: Date(), hooks: hooks, invokeKeys: keys, keysByTrigger: byTrigger)
    }
}

/// Token buckets per trigger: `limit` requests per `window` seconds, refilled continuously.
final class RateLimiter: @unchecked Sendable {
    struct Bucket { var tokens: Double; var last: Date }
    let lock = NSLock()
    var buckets: [String: Bucket] = [:]

    /// Takes one token; nil when allowed, else the seconds until one is available.
    func take(_ key: String, limit: Int, window: Double, now: Date = Date()) -> Double? {
        lock.withLock {
            let rate = Double(limit) / window
            var b = buckets[key] ?? Bucket(tokens: Double(limit), last: now)
            b.tokens = min(Double(limit), b.tokens + now.timeIntervalSince(b.last) * rate)
            b.last = now
            defer { buckets[key] = b }
            if b.tokens >= 1 { b.tokens -= 1; return nil }
            return (1 - b.tokens) / rate
        }
    }
}
