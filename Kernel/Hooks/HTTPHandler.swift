import Foundation
import KernelCore

extension HookEngine {
    /// `http` handlers: POST the event JSON; the response body is the handler's output.
    func runHTTP(_ h: Prepared, handler: HookHandler, index: Int, input: [UInt8]) async -> HandlerRecord {
        var r = baseRecord(h, index: index)
        r.skipped = "http handlers are not available in this build"
        return r
    }
}
