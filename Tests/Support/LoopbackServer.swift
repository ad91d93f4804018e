// A tiny HTTP/1.1 server on 127.0.0.1 for tests: one connection per request (`Connection: close`), routes as
// closures, every request recorded. Shared by the test targets through KernelTestSupport.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback HTTP/1.1 server on a port the kernel picks. Stops when released (or on ``stop()``).
public final class LoopbackServer: Sendable {
    /// A request as the server received it.
    public struct Request: Sendable {
        public var method: String
        /// The path without the query.
        public var path: String
        /// The query, without the `?`; empty when there is none.
        public var query: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// The first header field named `name`, compared case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// What a route answers.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// Seconds to wait before answering (the wait ends early when the client hangs up).
        public var delay: Double
        /// Whether to send `Content-Length`; without it the body ends when the connection closes.
        public var sendsContentLength: Bool

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = [], delay: Double = 0,
             sendsContentLength: Bool = true) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.sendsContentLength = sendsContentLength
        }

        /// A `text/plain` response.
        public static func text(_ text: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
        }

        /// A redirect to `location` (absolute, or a path on this server).
        public static func redirect(to location: String, status: Int = 302) -> Response {
            Response(status: status, headers: [("Location", location)])
        }

        /// `count` bytes of `byte`.
        public static func huge(_ count: Int, byte: UInt8 = UInt8(ascii: "x"), sendsContentLength: Bool = true) -> Response {
            Response(body: [UInt8](repeating: byte, count: count), sendsContentLength: sendsContentLength)
        }

        /// Answers `response` after `seconds`.
        public static func slow(_ seconds: Double, _ response: Response = .text("slow")) -> Response {
            var response = response
            response.delay = seconds
            return response
        }
    }

    public typealias Route = @Sendable (Request) -> Response

    public enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        public var description: String {
            switch self {
            case let .system(call, code): "\(call) failed: \(String(cString: strerror(code)))"
            }
        }
    }

    /// The port on 127.0.0.1.
    public let port: UInt16
    private let core: Core

    /// Starts listening. A request for a path without a route gets a 404.
    /// - Parameter routes: path (without the query) → what to answer.
    public init(routes: [String: Route]) throws {
        ignoreSIGPIPEInTests
        let (listener, port) = try Self.bindLoopback()
        guard listen(listener, 128) == 0 else {
            let code = errno
            close(listener)
            throw Failure.system("listen", code)
        }
        self.port = port
        core = Core(listener: listener, routes: routes)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "loopback-accept"
        thread.start()
    }

    deinit { core.stop() }

    /// Stops accepting connections; the listening socket closes shortly after. Requests under way finish.
    public func stop() { core.stop() }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The URL of `path` (which starts with `/`) on this server.
    public func url(_ path: String) -> String { baseURL + path }

    /// Every request received so far, in the order they were read.
    public var requests: [Request] { core.recorded.withLock { $0 } }

    /// A loopback port nothing listens on (bound, then closed), for "connection refused".
    ///
    /// The socket stays bound (never listening) for the rest of the test process: a connection to it is refused,
    /// and no other test's server can be given the same port in the meantime (closing it would free the port for
    /// reuse and make "refused" depend on timing).
    public static func unusedPort() throws -> UInt16 {
        let (socket, port) = try bindLoopback()
        heldSockets.withLock { $0.append(socket) }
        return port
    }

    private static let heldSockets = Mutex<[Int32]>([])

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
    private static func bindLoopback() throws -> (Int32, UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure.system("bind", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw Failure.system("getsockname", code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}

extension LoopbackServer {
    /// The state the accepting and connection threads share (so releasing the server can stop them).
    private final class Core: Sendable {
        let listener: Int32
        let routes: [String: Route]
        let recorded = Mutex<[Request]>([])
        let stopped = Atomic<Bool>(false)

        init(listener: Int32, routes: [String: Route]) {
            self.listener = listener
            self.routes = routes
        }

        func stop() { stopped.store(true, ordering: .relaxed) }

        func acceptLoop() {
            defer { close(listener) }
            while !stopped.load(ordering: .relaxed) {
                var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 50) > 0 else { continue }
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { continue }
                let thread = Thread { [self] in serve(connection) }
                thread.name = "loopback-connection"
                thread.start()
            }
        }

        private func serve(_ fd: Int32) {
            defer { close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard let request = readRequest(fd) else { return }
            recorded.withLock { $0.append(request) }
            let response = routes[request.path]?(request) ?? .text("no route for \(request.path)", status: 404)
            if response.delay > 0 {
                // Wait, but stop as soon as the client hangs up (it becomes readable at end of file).
                var client = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&client, 1, Int32(response.delay * 1000)) != 0 { return }
            }
            var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
            for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
            if response.sendsContentLength { head += "Content-Length: \(response.body.count)\r\n" }
            head += "Connection: close\r\n\r\n"
            guard write(fd, Array(head.utf8)) else { return }
            if request.method != "HEAD" { _ = write(fd, response.body) }
        }

        /// Reads the request line, the header fields and a `Content-Length` body; `nil` on a malformed request.
        private func readRequest(_ fd: Int32) -> Request? {
            var buffer: [UInt8] = []
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            while headEnd == nil {
                guard buffer.count < 1 << 20, let chunk = read(fd) else { return nil }
                buffer += chunk
                headEnd = buffer.firstRange(of: separator)?.lowerBound
            }
            guard let headEnd else { return nil }
            let lines = String(decoding: buffer[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            guard requestLine.count == 3 else { return nil }
            let target = String(requestLine[1])
            let (path, query) = target.firstIndex(of: "?").map {
                (String(target[..<$0]), String(target[target.index(after: $0)...]))
            } ?? (target, "")
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]),
                                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            var request = Request(method: String(requestLine[0]), path: path, query: query, headers: headers, body: [])
            let length = request.header("Content-Length").flatMap { Int($0) } ?? 0
            var body = Array(buffer[(headEnd + separator.count)...])
            while body.count < length {
                guard let chunk = read(fd) else { return nil }
                body += chunk
            }
            request.body = Array(body.prefix(length))
            return request
        }

        private func read(_ fd: Int32) -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            return Array(chunk.prefix(count))
        }

        /// Writes all of `bytes`; `false` when the client went away (no SIGPIPE).
        private func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
            #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
            #else
            let flags: Int32 = 0
            #endif
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, flags) }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }

        private static func reason(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 201: "Created"
            case 204: "No Content"
            case 301: "Moved Permanently"
            case 302: "Found"
            case 303: "See Other"
            case 307: "Temporary Redirect"
            case 308: "Permanent Redirect"
            case 400: "Bad Request"
            case 404: "Not Found"
            case 500: "Internal Server Error"
            case 503: "Service Unavailable"
            default: "Status"
            }
        }
    }
}
