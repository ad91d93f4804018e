import Dispatch
import Glibc
import KernelCore

/// A process group's time limit: when `timeout` seconds pass, SIGTERM to the group, then SIGKILL to it `grace`
/// seconds later. The sequence runs on Dispatch timers, not a Task: a host whose cooperative pool is busy (or
/// blocked) still has its children killed on time. Used by hook handlers (``CommandRunner``) and task runs.
package final class GroupDeadline: @unchecked Sendable {
    let expired = AtomicFlag()
    let killed = DispatchSemaphore(value: 0)
    let timer: DispatchWorkItem

    /// Starts the clock for the group led by `pgid`.
    package init(group pgid: pid_t, timeout: Double, grace: Double) {
        let expired = self.expired, killed = self.killed
        timer = DispatchWorkItem {
            expired.set()
            killpg(pgid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                killpg(pgid, SIGKILL)
                killed.signal()
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
    }

    /// Once the group's output has ended: stops the clock; if the limit was reached, returns (true) only after
    /// the SIGKILL was sent (waiting off the cooperative pool).
    @discardableResult
    package func finish() async -> Bool {
        timer.cancel()
        guard expired.isSet else { return false }
        let killed = self.killed
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { killed.wait(); c.resume() }
        }
        return true
    }
}
