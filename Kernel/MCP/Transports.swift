#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import KernelNet
import Logging
import MCP

/// The SDK's `Transport` over a server process the kernel started (``ServerProcess``): one JSON-RPC message per
/// line, read by a thread of its own with blocking reads (no polling: the SDK's `StdioTransport` sleeps 10 ms
/// whenever its non-blocking descriptor has nothing, which would be most of a call's cost). A line that is not a
/// JSON object or array, or longer than the cap, trips the session's tripwire with what was written.
actor ChildStdioTransport: Transport {
    nonisolated let logger = Logger(label: "kernel.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let process: ServerProcess
    private let maxMessageBytes: Int
    private let stream: AsyncThrowingStream<Data, any Swift.Error>
    private let continuation: AsyncThrowingStream<Data, any Swift.Error>.Continuation
    private let readerDone = DispatchSemaphore(value: 0)
    private var started = false

    init(process: ServerProcess, maxMessageBytes: Int) {
        self.process = process
        self.maxMessageBytes = maxMessageBytes
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !started else { return }
        started = true
        let fd = process.socket
        let cap = maxMessageBytes
        let out = continuation
        let tripwire = process.tripwire
        let done = readerDone
        let reader = Thread {
            Self.readLines(fd: fd, cap: cap, tripwire: tripwire) { out.yield($0) }
            // End of stdout: the process has usually exited (its reaper reports how); one that closed stdout and
            // runs on is reported so after half a second.
            for _ in 0..<50 where tripwire.failure == nil { usleep(10_000) }
            tripwire.trip(MCPFailure(.exited, "the server closed its stdout"))
            // Finished with an error, not normally: the SDK client's receive loop starts over on a normal end.
            out.finish(throwing: tripwire.failure!)
            done.signal()
        }
        reader.name = "kernel-mcp-stdout"
        reader.start()
    }

    /// Reads `fd` to its end, handing each non-empty line to `yield`; stops at the first line that is not JSON.
    static func readLines(fd: Int32, cap: Int, tripwire: Tripwire, yield: (Data) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = pending.count
            pending.append(contentsOf: buffer[0..<n])
            var lineStart = 0
            while let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending[lineStart..<nl]
                while let last = line.last, last == 13 || last == 32 || last == 9 { line = line.dropLast() }
                while let first = line.first, first == 32 || first == 9 { line = line.dropFirst() }
                lineStart = nl + 1
                start = lineStart
                guard let first = line.first else { continue }
                guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
                    let excerpt = String(decoding: line.prefix(200), as: UTF8.self)
                    tripwire.trip(MCPFailure(.invalidOutput, "the server wrote a line that is not JSON-RPC on stdout: \"\(excerpt)\""
                                             + (line.count > 200 ? " (\(line.count) bytes)" : "")))
                    return
                }
                if line.count > cap {
                    tripwire.trip(MCPFailure(.tooLarge, "the server sent a message of \(line.count) bytes, over the cap of \(cap) bytes"))
                    return
                }
                yield(Data(line))
            }
            pending.removeFirst(lineStart)
            if pending.count > cap {
                tripwire.trip(MCPFailure(.tooLarge, "the server sent a message over the cap of \(cap) bytes (\(pending.count) bytes and no end of line yet)"))
                return
            }
        }
    }

    func disconnect() async {
        continuation.finish(throwing: MCPFailure(.closed, "the session was closed"))
    }

    func send(_ data: Data) async throws {
        try process.write(Array(data) + [10])
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Swift.Error> { stream }

    /// Waits for the reading thread to finish (after the process was terminated).
    nonisolated func waitForReader() {
        readerDone.wait()
    }
}

/// The SDK's `Transport` for streamable HTTP over the kernel's own HTTP client (libcurl: its timeouts, size cap
/// and protocol limits), since the SDK's HTTP transport is URLSession's, which has no response-size cap. Each
/// message is one POST; the reply is `application/json` (one message or a batch) or `text/event-stream` (its
/// `data:` events, read to the end of the response), `202 Accepted` for notifications. The session id
/// (`Mcp-Session-Id`) and the negotiated `MCP-Protocol-Version` are sent back on every later request. The
/// standalone GET stream (server-initiated messages outside a request) is not opened.
actor KernelHTTPTransport: Transport {
    nonisolated let logger = Logger(label: "kernel.mcp.http", factory: { _ in SwiftLogNoOpLogHandler() })
    private let url: String
    private let headers: [HTTPHeader]
    private let timeout: Double
    private let maxMessageBytes: Int
    private let tripwire: Tripwire
    private var sessionID: String?
    private var protocolVersion: String?
    private let stream: AsyncThrowingStream<Data, any Swift.Error>
    private let continuation: AsyncThrowingStream<Data, any Swift.Error>.Continuation

    init(url: String, headers: [(name: String, value: String)], timeout: Double, maxMessageBytes: Int, tripwire: Tripwire) {
        self.url = url
        self.headers = headers.map { HTTPHeader($0.name, $0.value) }
        self.timeout = timeout
        self.maxMessageBytes = maxMessageBytes
        self.tripwire = tripwire
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {}

    func disconnect() async {
        continuation.finish(throwing: MCPFailure(.closed, "the session was closed"))
        if let sessionID {
            // Ends the server's session (best effort: the spec lets a server refuse with 405).
            var request = HTTPRequest(method: "DELETE", url: url, headers: headers + [HTTPHeader("Mcp-Session-Id", sessionID)],
                                      allowedProtocols: ["http", "https"])
            request.timeout = min(timeout, 5)
            _ = try? await HTTPClient.send(request)
        }
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Swift.Error> { stream }

    func send(_ data: Data) async throws {
        var all = headers + [HTTPHeader("Content-Type", "application/json"),
                             HTTPHeader("Accept", "application/json, text/event-stream")]
        if let sessionID { all.append(HTTPHeader("Mcp-Session-Id", sessionID)) }
        if let protocolVersion { all.append(HTTPHeader("MCP-Protocol-Version", protocolVersion)) }
        var request = HTTPRequest(method: "POST", url: url, headers: all, body: Array(data), allowedProtocols: ["http", "https"])
        request.timeout = timeout
        request.maxResponseBytes = maxMessageBytes
        let response: KernelNet.HTTPResponse
        do {
            response = try await HTTPClient.send(request)
        } catch {
            let failure = error.code == .tooLarge
                ? MCPFailure(.tooLarge, "the server's HTTP response is over the cap of \(maxMessageBytes) bytes")
                : error.code == .timeout ? MCPFailure(.timeout, "HTTP request to \(url) timed out: \(error.message)")
                : MCPFailure(.http, "HTTP request to \(url) failed: \(error.message)")
            tripwire.trip(failure)
            throw failure
        }
        if let id = response.header("Mcp-Session-Id") { sessionID = id }
        if response.status == 202 || (response.isSuccess && response.body.isEmpty) { return }
        guard response.isSuccess else {
            let body = String(decoding: response.body.prefix(300), as: UTF8.self)
            let failure = MCPFailure(.http, "HTTP \(response.status) from \(url)" + (body.isEmpty ? "" : ": \(body)"))
            tripwire.trip(failure)
            throw failure
        }
        let type = response.header("Content-Type")?.lowercased() ?? ""
        let messages: [[UInt8]] = type.hasPrefix("text/event-stream") ? Self.events(response.body) : [response.body]
        for m in messages {
            guard let first = m.first(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }),
                  first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
                let failure = MCPFailure(.invalidOutput, "the server's HTTP response is not JSON-RPC (\(type.isEmpty ? "no Content-Type" : type)): \""
                                         + String(decoding: m.prefix(200), as: UTF8.self) + "\"")
                tripwire.trip(failure)
                throw failure
            }
            noteProtocolVersion(m)
            continuation.yield(Data(m))
        }
    }

    /// The negotiated version, from the reply to `initialize`, for the `MCP-Protocol-Version` header.
    private func noteProtocolVersion(_ message: [UInt8]) {
        guard protocolVersion == nil,
              let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any],
              let result = object["result"] as? [String: Any], let version = result["protocolVersion"] as? String
        else { return }
        protocolVersion = version
    }

    /// The `data` of each event of a `text/event-stream` body (multi-line data joined with newlines).
    static func events(_ body: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var data: [UInt8]?
        for raw in body.split(separator: 10, omittingEmptySubsequences: false) {
            let line = raw.last == 13 ? raw.dropLast() : raw[...]
            if line.isEmpty {
                if let d = data { out.append(d) }
                data = nil
            } else if line.starts(with: Array("data:".utf8)) {
                var value = line.dropFirst(5)
                if value.first == 32 { value = value.dropFirst() }
                data = data.map { $0 + [10] + value } ?? Array(value)
            }
        }
        if let d = data { out.append(d) }
        return out
    }
}
