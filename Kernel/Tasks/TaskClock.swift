import Foundation

/// Where the engine reads the time: the system clock, or a clock tests set (no test waits for real minutes).
public protocol TaskClock: Sendable {
    func now() -> Date
}

/// The system's wall clock.
public struct SystemClock: TaskClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to.
public final class ManualClock: TaskClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func set(_ date: Date) { lock.withLock { current = date } }

    public func advance(by seconds: Double) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A process's identity that survives pid reuse: the pid and its start time from `/proc/<pid>/stat`.
enum ProcessIdentity {
    static var current: String { "\(getpid()):\(startTime(getpid()) ?? "0")" }

    static func startTime(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, starttime field 22 → index 19 here.
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether the process `identity` names is still running (a zombie counts as ended).
    static func isAlive(_ identity: String) -> Bool {
        let parts = identity.split(separator: ":")
        guard parts.count == 2, let pid = Int32(parts[0]) else { return false }
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return false }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return false }
        if fields[0] == "Z" || fields[0] == "X" { return false }
        return String(fields[19]) == String(parts[1])
    }
}
