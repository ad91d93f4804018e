import Synchronization

/// A flag set once and read from any thread: cancellation of a transfer, a handler that timed out.
/// The one such flag of the kernel (an `Atomic`, no lock).
package final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    package init() {}

    /// Sets the flag (idempotent).
    package func set() { value.store(true, ordering: .releasing) }

    package var isSet: Bool { value.load(ordering: .acquiring) }
}
