import Foundation
import KernelCore

/// Makes HTTP(S) and `file://` transfers through libcurl, within the request's size, time, redirect and
/// protocol limits.
public enum HTTPClient {
    /// Sends `request` and returns the whole response, without blocking the cooperative thread pool: the transfer
    /// runs on a thread of its own.
    ///
    /// Cancelling the calling task aborts the transfer (within about a second) with
    /// ``HTTPError/Code-swift.struct/cancelled``.
    /// - Parameter request: what to send, and the limits to keep.
    /// - Returns: the last response after redirects, whatever its status: a 4xx or 5xx is not an error.
    /// - Throws: ``HTTPError`` when no response could be had within the limits.
    public static func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        // Set when the task waiting for the transfer is cancelled; the progress callback reads it.
        let cancellation = AtomicFlag()
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Result { () throws(HTTPError) in
                        try CurlTransfer.perform(request, cancellation: cancellation)
                    })
                }
                thread.name = "kernel-http"
                thread.start()
            }
        } onCancel: {
            cancellation.set()
        }
        return try result.get()
    }

    /// Sends `request` on the calling thread, blocking it until the transfer ends. Do not call it from async code.
    /// - Parameter request: what to send, and the limits to keep.
    /// - Returns: the last response after redirects, whatever its status: a 4xx or 5xx is not an error.
    /// - Throws: ``HTTPError`` when no response could be had within the limits.
    public static func sendBlocking(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        try CurlTransfer.perform(request, cancellation: AtomicFlag())
    }
}
