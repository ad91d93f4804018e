import Foundation
import Glibc

/// The scheduler loop: recover, sync, tick, start what can start, sleep until the next fire (at most `poll`),
/// re-read the blueprints, again — until ``stop()``. Then it drains: no new run starts, running ones finish
/// (each within its timeout); a second ``stop()`` cancels them.
///
/// `makeEngine` is called before each round, so edited blueprint files take effect; an error keeps the
/// previous engine.
public final class TaskScheduler: @unchecked Sendable {
    private let lock = NSLock()
    private var stops = 0
    private var inFlight = 0
    private var finishedSinceWake = false
    private var engine: TaskEngine?
    public let poll: Double
    let makeEngine: @Sendable () throws -> TaskEngine

    public init(poll: Double = 30, makeEngine: @escaping @Sendable () throws -> TaskEngine) {
        self.poll = poll
        self.makeEngine = makeEngine
    }

    /// Asks the loop to stop (drain); a second call also cancels the running runs.
    public func stop() {
        let (count, e) = lock.withLock { stops += 1; return (stops, engine) }
        if count >= 2, let e {
            for r in (try? e.runs(states: [.running], limit: 10_000)) ?? [] { _ = try? e.cancel(r.id) }
        }
    }

    var stopping: Bool { lock.withLock { stops > 0 } }

    /// Ends the current sleep early: a run was queued from outside the loop (a webhook, the API).
    public func wake() { lock.withLock { finishedSinceWake = true } }

    /// Runs the loop until stopped and drained. Returns the number of runs it started.
    @discardableResult
    public func run() async -> Int {
        var started = 0
        while !stopping {
            guard let e = (try? makeEngine()) ?? lock.withLock({ engine }) else {
                try? await Task.sleep(nanoseconds: UInt64(poll * 1e9))
                continue
            }
            lock.withLock { engine = e }
            _ = try? e.recover()
            _ = try? e.sync()
            _ = try? e.tick()
            while !stopping, let run = try? e.claimNext() {
                started += 1
                lock.withLock { inFlight += 1 }
                Task.detached {
                    _ = await e.execute(run)
                    self.lock.withLock { self.inFlight -= 1; self.finishedSinceWake = true }
                }
            }
            _ = try? e.prune()
            let wake = (try? e.nextWake()) ?? nil
            let delay = max(0.02, min(poll, wake.map { $0.timeIntervalSince(e.clock.now()) } ?? poll))
            let end = Date().addingTimeInterval(delay)
            lock.withLock { finishedSinceWake = false }
            while Date() < end, !stopping, !lock.withLock({ finishedSinceWake }) {
                try? await Task.sleep(nanoseconds: UInt64(min(0.2, max(0.005, end.timeIntervalSinceNow)) * 1e9))
            }
        }
        while lock.withLock({ inFlight }) > 0 { try? await Task.sleep(nanoseconds: 50_000_000) }
        return started
    }

    /// Runs currently supervised by this loop.
    public var running: Int { lock.withLock { inFlight } }
}

/// Starts a detached process (its own session, standard streams on /dev/null) that outlives the caller:
/// `tasks run` hands a queued run to `kernel tasks exec <id>` this way.
public enum DetachedProcess {
    /// - Throws: ``TaskError`` `.io` when the process cannot be started.
    public static func start(_ argv: [String]) throws(TaskError) {
        guard let exe = argv.first else { throw TaskError(.io, "no command") }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80)  // POSIX_SPAWN_SETSID (glibc), not exported to Swift
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [0, 1, 2] as [Int32] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let rc = posix_spawn(&pid, exe, &actions, &attr, cargs, environ)
        if rc != 0 { throw TaskError(.io, "cannot start \(exe): \(String(cString: strerror(rc)))") }
        // Reap it when it ends, so it leaves no zombie while this process lives on.
        let child = pid
        DispatchQueue.global().async { var status: Int32 = 0; waitpid(child, &status, 0) }
    }

    /// This executable's path.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
