import Foundation
import KernelNet
import Testing
import KernelTestSupport

@Suite("HTTPClient against a loopback server")
struct HTTPClientTests {
    @Test func getReturnsStatusBodyAndHeaders() async throws {
        let server = try LoopbackServer(routes: [
            "/hello": { _ in .text("hello, kernel", headers: [("X-Kernel", "yes"), ("X-Empty", "")]) },
        ])
        let response = try await HTTPClient.send(HTTPRequest(url: server.url("/hello?x=1")))
        #expect(response.status == 200)
        #expect(response.isSuccess)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello, kernel")
        #expect(response.header("x-kernel") == "yes")
        #expect(response.header("X-Empty") == "")
        #expect(response.header("content-type") == "text/plain; charset=utf-8")
        #expect(response.header("Content-Length") == "13")
        #expect(response.header("X-Missing") == nil)
        #expect(response.effectiveURL == server.url("/hello?x=1"))
        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/hello")
        #expect(request.query == "x=1")
        #expect(request.header("User-Agent") == "kernel")
    }

    @Test func postSendsBodyAndHeadersIntact() async throws {
        let server = try LoopbackServer(routes: [
            "/echo": { request in .init(status: 201, headers: [("Content-Type", "application/json")], body: request.body) },
        ])
        // Larger than curl's 1 KiB "Expect: 100-continue" threshold, with non-ASCII text and escapes.
        let json = #"{"name":"héllo \"kernel\"","lines":"a\nb","pad":""# + String(repeating: "z", count: 4000) + #""}"#
        let request = HTTPRequest(
            method: "POST", url: server.url("/echo"),
            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Token", "abc 123")],
            body: Array(json.utf8))
        let response = try await HTTPClient.send(request)
        #expect(response.status == 201)
        #expect(response.body == Array(json.utf8))
        let received = try #require(server.requests.first)
        #expect(received.method == "POST")
        #expect(received.path == "/echo")
        #expect(received.body == Array(json.utf8))
        #expect(received.header("Content-Type") == "application/json")
        #expect(received.header("X-Token") == "abc 123")
        #expect(received.header("Expect") == nil)
    }

    @Test func emptyPostSendsZeroLength() async throws {
        let server = try LoopbackServer(routes: ["/empty": { _ in .text("ok") }])
        let response = try await HTTPClient.send(HTTPRequest(method: "POST", url: server.url("/empty")))
        #expect(response.status == 200)
        let received = try #require(server.requests.first)
        #expect(received.method == "POST")
        #expect(received.header("Content-Length") == "0")
        #expect(received.body.isEmpty)
    }

    @Test func headAndCustomMethods() async throws {
        let server = try LoopbackServer(routes: [
            "/item": { request in .text("method=\(request.method) body=\(String(decoding: request.body, as: UTF8.self))") },
        ])
        let head = try await HTTPClient.send(HTTPRequest(method: "HEAD", url: server.url("/item")))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") != nil)
        let put = try await HTTPClient.send(HTTPRequest(method: "PUT", url: server.url("/item"), body: Array("v2".utf8)))
        #expect(String(decoding: put.body, as: UTF8.self) == "method=PUT body=v2")
        let delete = try await HTTPClient.send(HTTPRequest(method: "DELETE", url: server.url("/item")))
        #expect(String(decoding: delete.body, as: UTF8.self) == "method=DELETE body=")
        #expect(server.requests.map(\.method) == ["HEAD", "PUT", "DELETE"])
    }

    @Test func headerFloodIsTooLarge() async throws {
        let filler = String(repeating: "h", count: 8000)
        let server = try LoopbackServer(routes: [
            "/headers": { _ in .init(headers: (0..<64).map { ("X-Filler-\($0)", filler) }) },
        ])
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/headers")))
        }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("headers") == true)
    }

    @Test func serverErrorIsAResponse() async throws {
        let server = try LoopbackServer(routes: ["/fail": { _ in .text("boom", status: 500) }])
        let response = try await HTTPClient.send(HTTPRequest(url: server.url("/fail")))
        #expect(response.status == 500)
        #expect(!response.isSuccess)
        #expect(String(decoding: response.body, as: UTF8.self) == "boom")

        let missing = try await HTTPClient.send(HTTPRequest(url: server.url("/nowhere")))
        #expect(missing.status == 404)
    }

    @Test func sendBlockingWorks() throws {
        let server = try LoopbackServer(routes: ["/hello": { _ in .text("blocking") }])
        let response = try HTTPClient.sendBlocking(HTTPRequest(url: server.url("/hello")))
        #expect(response.status == 200)
        #expect(response.body == Array("blocking".utf8))
    }

    @Test func connectionRefused() async throws {
        let port = try LoopbackServer.unusedPort()
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(port)/", connectTimeout: 5))
        }
        #expect(error?.code == .connection)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test func slowServerTimesOut() async throws {
        // The route answers only once the test opens the gate, after the client returned: the client cannot
        // have waited for the answer.
        let gate = DispatchSemaphore(value: 0)
        let server = try LoopbackServer(routes: ["/slow": { _ in _ = gate.wait(timeout: .now() + 120); return .text("late") }])
        defer { gate.signal() }
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/slow"), timeout: 0.3))
        }
        #expect(error?.code == .timeout)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        // As above: the answer comes only after the test opens the gate, so a finished task was aborted.
        let gate = DispatchSemaphore(value: 0)
        let server = try LoopbackServer(routes: ["/slow": { _ in _ = gate.wait(timeout: .now() + 120); return .text("late") }])
        defer { gate.signal() }
        let task = Task {
            await Result { () async throws(HTTPError) -> HTTPResponse in
                try await HTTPClient.send(HTTPRequest(url: server.url("/slow"), timeout: 60))
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.value
        guard case .failure(let error) = result else {
            Issue.record("expected a cancelled transfer, got \(result)")
            return
        }
        #expect(error.code == .cancelled)
    }

    @Test func redirectIsFollowed() async throws {
        let server = try LoopbackServer(routes: [
            "/old": { _ in .redirect(to: "/new") },
            "/new": { _ in .text("moved here", headers: [("X-Final", "1")]) },
        ])
        let response = try await HTTPClient.send(HTTPRequest(url: server.url("/old")))
        #expect(response.status == 200)
        #expect(response.body == Array("moved here".utf8))
        #expect(response.effectiveURL == server.url("/new"))
        #expect(response.header("X-Final") == "1")
        #expect(response.header("Location") == nil)
        #expect(server.requests.map(\.path) == ["/old", "/new"])
    }

    @Test func zeroMaxRedirectsReturnsTheRedirect() async throws {
        let server = try LoopbackServer(routes: ["/old": { _ in .redirect(to: "/new") }])
        let response = try await HTTPClient.send(HTTPRequest(url: server.url("/old"), maxRedirects: 0))
        #expect(response.status == 302)
        #expect(response.header("Location") == "/new")
        #expect(server.requests.count == 1)
    }

    @Test func redirectLoopFails() async throws {
        let server = try LoopbackServer(routes: ["/loop": { _ in .redirect(to: "/loop") }])
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/loop"), maxRedirects: 3))
        }
        #expect(error?.code == .tooManyRedirects)
        #expect(server.requests.count == 4)
    }

    @Test func redirectToFileIsRefused() async throws {
        let server = try LoopbackServer(routes: ["/escape": { _ in .redirect(to: "file:///etc/hostname") }])
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/escape")))
        }
        #expect(error?.code == .protocolNotAllowed)
    }

    @Test(arguments: [true, false])
    func bodyOverTheLimitIsAnError(sendsContentLength: Bool) async throws {
        let server = try LoopbackServer(routes: [
            "/huge": { _ in .huge(2 << 20, sendsContentLength: sendsContentLength) },
        ])
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/huge"), maxResponseBytes: 64 * 1024))
        }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("65536") == true)
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() async throws {
        let server = try LoopbackServer(routes: ["/exact": { _ in .huge(100_000, sendsContentLength: false) }])
        let response = try await HTTPClient.send(HTTPRequest(url: server.url("/exact"), maxResponseBytes: 100_000))
        #expect(response.body.count == 100_000)
    }

    @Test(arguments: ["ftp://127.0.0.1/file", "gopher://127.0.0.1/", "FTP://127.0.0.1/file", "dict://127.0.0.1/"])
    func otherProtocolsAreRefused(url: String) async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: url))
        }
        #expect(error?.code == .protocolNotAllowed)
    }

    @Test func allowedProtocolsCanOnlyNarrow() async throws {
        let server = try LoopbackServer(routes: ["/hello": { _ in .text("hi") }])
        let httpsOnly = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: server.url("/hello"), allowedProtocols: ["https"]))
        }
        #expect(httpsOnly?.code == .protocolNotAllowed)
        let widened = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: "ftp://127.0.0.1/", allowedProtocols: ["ftp", "http"]))
        }
        #expect(widened?.code == .protocolNotAllowed)
    }

    @Test func fileURLReadsAFile() async throws {
        let path = NSTemporaryDirectory() + "kernel-net-tests-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let contents = Array(#"{"plugins":[]}"#.utf8)
        try Data(contents).write(to: URL(fileURLWithPath: path))
        let response = try await HTTPClient.send(HTTPRequest(url: "file://" + path))
        #expect(response.status == 200)
        #expect(response.body == contents)

        let missing = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: "file://" + path + ".missing"))
        }
        #expect(missing?.code == .other)
    }

    @Test(arguments: ["not a url", "127.0.0.1/hello", "://nothing", "1http://x/"])
    func urlWithoutSchemeIsBad(url: String) async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: url))
        }
        #expect(error?.code == .badURL)
    }

    @Test func invalidRequestsAreRefusedBeforeSending() async throws {
        let server = try LoopbackServer(routes: ["/hello": { _ in .text("hi") }])
        let injected = HTTPRequest(url: server.url("/hello"), headers: [HTTPHeader("X-A", "1\r\nX-B: 2")])
        let badMethod = HTTPRequest(method: "GET /x", url: server.url("/hello"))
        let badTimeout = HTTPRequest(url: server.url("/hello"), timeout: -1)
        for request in [injected, badMethod, badTimeout] {
            let error = await #expect(throws: HTTPError.self) { try await HTTPClient.send(request) }
            #expect(error?.code == .invalidRequest)
        }
        #expect(server.requests.isEmpty)
    }

    @Test func twentyConcurrentRequestsAllSucceed() async throws {
        let server = try LoopbackServer(routes: [
            "/n": { request in .slow(0.05, .text("n=" + request.query)) },
        ])
        let results = await withTaskGroup(of: (Int, Result<HTTPResponse, HTTPError>).self) { group in
            for i in 0..<20 {
                group.addTask {
                    let result = await Result { () async throws(HTTPError) -> HTTPResponse in
                        try await HTTPClient.send(HTTPRequest(url: server.url("/n?\(i)")))
                    }
                    return (i, result)
                }
            }
            var all: [(Int, Result<HTTPResponse, HTTPError>)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 20)
        for (i, result) in results {
            let response = try result.get()
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "n=\(i)")
        }
        #expect(server.requests.count == 20)
    }
}

extension Result where Failure == HTTPError {
    /// Catches the typed error of an async body.
    init(_ body: () async throws(HTTPError) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
