import Dispatch

/// `map` over the machine's cores for independent, I/O-and-parse-bound work (reading plugin folders).
enum ParallelMap {
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        if items.count < 2 { return items.map(transform) }
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        // Each index is written by exactly one iteration; the buffer is read only after all have finished.
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            out[i] = transform(items[i])
        }
        return results.map { $0! }
    }
}
