import Foundation
import KernelCore
import KernelTasks
import Logging

/// Where the server's log lines go (stderr by default): plain `time level message key=value…` or, with
/// `--json-logs`, one JSON object per line. Tokens, secrets, bodies and query strings are never logged.
///
/// The default sink is buffered (``LogBuffer``) for the access log: its lines reach stderr within
/// ``LogBuffer/interval`` seconds or once 16 KiB are waiting; every other line is written at once (with what
/// waited before it), and ``flush()`` writes the rest (the server calls it when it stops). The timestamp's date and time
/// of day are formatted once per second (``Timestamp``).
public final class ServerLog: @unchecked Sendable {
    let json: Bool
    let write: @Sendable (String) -> Void
    let buffer: LogBuffer?
    let lock = NSLock()
    let clock = Timestamp()

    /// Lines into `write`, one call per line, as they are logged.
    public init(json: Bool, write: @escaping @Sendable (String) -> Void) {
        self.json = json
        self.write = write
        self.buffer = nil
    }

    /// Lines into `fd` (stderr by default), the access log's buffered.
    public convenience init(json: Bool, fd: Int32 = STDERR_FILENO) {
        self.init(json: json, buffer: LogBuffer(fd: fd))
    }

    init(json: Bool, buffer: LogBuffer) {
        self.json = json
        self.buffer = buffer
        self.write = { line in buffer.append(line, urgent: true) }
    }

    /// - Parameter deferred: the line may wait in the buffer (the access log's); others are written at once.
    public func log(_ level: String, _ message: String, _ fields: [(String, JSONValue)] = [], deferred: Bool = false) {
        lock.withLock {
            let ts = clock.now()
            let line: String
            if json {
                line = JSONValue.object([("ts", .string(ts)), ("level", .string(level)), ("msg", .string(message))] + fields).serialized(pretty: false) + "\n"
            } else {
                var l = "\(ts) \(level) \(message)"
                for f in fields { l += " \(f.0)=\(f.1.plain)" }
                line = l + "\n"
            }
            if let buffer { buffer.append(line, urgent: !deferred) } else { write(line) }
        }
    }

    /// Writes what the buffer holds.
    public func flush() { buffer?.flush() }
}

/// A log file descriptor's buffer: lines are appended under a lock and written by one `write(2)` per flush —
/// when 16 KiB wait, when an urgent line comes, or from a timer every ``interval`` seconds.
final class LogBuffer: @unchecked Sendable {
    static let interval = 0.1
    static let limit = 16 << 10
    let fd: Int32
    let lock = NSLock()
    var bytes: [UInt8] = []
    var timerArmed = false

    init(fd: Int32) {
        self.fd = fd
        bytes.reserveCapacity(Self.limit * 2)
    }

    func append(_ line: String, urgent: Bool) {
        let out: [UInt8]? = lock.withLock {
            bytes.append(contentsOf: line.utf8)
            if urgent || bytes.count >= Self.limit { return take() }
            if !timerArmed {
                timerArmed = true
                DispatchQueue.global().asyncAfter(deadline: .now() + Self.interval) { [self] in flush() }
            }
            return nil
        }
        if let out { FileSystem.writeAll(fd, out) }
    }

    func flush() {
        let out = lock.withLock { take() }
        FileSystem.writeAll(fd, out)
    }

    /// The waiting bytes (the buffer keeps its capacity); call under the lock.
    private func take() -> [UInt8] {
        timerArmed = false
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }
}

/// The log's timestamps (`UTCTimestamp`), from the real-time clock.
struct Timestamp {
    func now() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return UTCTimestamp.text(secondsSince1970: Int64(t.tv_sec), milliseconds: t.tv_nsec / 1_000_000) ?? "\(t.tv_sec)"
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
