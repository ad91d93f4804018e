import Foundation

/// The first reason a session's connection broke (the server exited, wrote something that is not JSON-RPC, sent
/// a message over the size cap, an HTTP exchange failed), set once by whichever thread sees it first; a request in
/// flight waits on it beside its reply, so a broken server fails the request at once instead of hanging it.
final class Tripwire: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: MCPFailure?
    private var waiters: [UUID: CheckedContinuation<MCPFailure?, Never>] = [:]

    /// Records `failure` unless a failure is already recorded; wakes every waiter.
    func trip(_ failure: MCPFailure) {
        lock.lock()
        guard reason == nil else { lock.unlock(); return }
        reason = failure
        let woken = waiters
        waiters = [:]
        lock.unlock()
        for w in woken.values { w.resume(returning: failure) }
    }

    var failure: MCPFailure? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    /// Waits until tripped (returns the failure) or until the calling task is cancelled (returns nil).
    func wait() async -> MCPFailure? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<MCPFailure?, Never>) in
                lock.lock()
                if let reason {
                    lock.unlock()
                    c.resume(returning: reason)
                } else if Task.isCancelled {
                    lock.unlock()
                    c.resume(returning: nil)
                } else {
                    waiters[id] = c
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let w = waiters.removeValue(forKey: id)
            lock.unlock()
            w?.resume(returning: nil)
        }
    }
}

/// A byte buffer that keeps the first and the last `limit / 2` bytes of what was written to it (a server's
/// stderr), counting the rest.
final class BoundedCapture: @unchecked Sendable {
    private let lock = NSLock()
    private let half: Int
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var total = 0

    init(limit: Int) { half = max(1, limit / 2) }

    func append(_ bytes: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        total += bytes.count
        var rest = bytes[...]
        if head.count < half {
            let n = min(half - head.count, rest.count)
            head.append(contentsOf: rest.prefix(n))
            rest = rest.dropFirst(n)
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest)
        if tail.count > 2 * half { tail.removeFirst(tail.count - half) }
    }

    /// Everything written, or its head and tail around a line saying how much was left out.
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        let kept = tail.suffix(half)
        let omitted = total - head.count - kept.count
        if omitted <= 0 { return String(decoding: head + kept, as: UTF8.self) }
        return String(decoding: head, as: UTF8.self) + "\n[… \(omitted) bytes of stderr left out …]\n"
            + String(decoding: kept, as: UTF8.self)
    }

    /// How many bytes were written in all.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}
