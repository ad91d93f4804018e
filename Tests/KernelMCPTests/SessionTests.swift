import Foundation
import KernelCore
import KernelMCP
import KernelTestSupport
import MCP
import Testing

@Suite("MCPSession: real servers over stdio and streamable HTTP")
struct SessionTests {
    @Test("the hello-world plugin's server: initialize, tools, a call, plugin-prefixed tool names")
    func helloWorld() async throws {
        let t = try target("{\"command\": \"python3\", \"args\": [\"${QODER_PLUGIN_ROOT}/bin/hello-mcp\"], \"env\": {\"HELLO_GREETING\": \"Hi\"}}",
                           name: "hello", plugin: "hello-world")
        let session = try await MCPSession.open(t, options: .patient)
        #expect(session.serverInfo.name == "hello")
        #expect(session.protocolVersion == Version.latest)
        let tools = try await session.tools()
        #expect(tools.map(\.name) == ["greet"])
        #expect(t.toolName("greet") == "mcp__plugin_hello-world_hello__greet")
        let result = try await session.callTool("greet", arguments: ["name": "Ada"])
        #expect(result.content == [.text(text: "Hi, Ada!", annotations: nil, _meta: nil)])
        await session.close()
    }

    @Test("a settings server's tool names are mcp__<server>__<tool>; other characters become _")
    func names() throws {
        let t = try target("{\"command\": \"true\"}", name: "my.docs")
        #expect(t.toolName("search") == "mcp__my_docs__search")
        #expect(MCPNames.tool(server: "gh", plugin: nil, tool: "create issue") == "mcp__gh__create_issue")
    }

    @Test("a well-behaved fixture: tools, prompts and resources listed; a JSON-RPC error is an rpc failure, the session lives on")
    func fixture() async throws {
        let dir = try TemporaryDirectory()
        let session = try await MCPSession.open(try target(brokenServer("ok", pidfile: dir.url("pids"))), options: .patient)
        #expect(try await session.tools().map(\.name) == ["echo", "add"])
        #expect(try await session.prompts().map(\.name) == ["review"])
        #expect(try await session.resources().map(\.uri) == ["file:///readme"])
        var unknown: MCPFailure?
        do throws(MCPFailure) { _ = try await session.callTool("nope") } catch { unknown = error }
        #expect(unknown?.kind == .rpc)
        #expect(unknown?.message.contains("unknown tool: nope") == true)
        let sum = try await session.callTool("add", arguments: ["a": 2, "b": 3])
        #expect(sum.content == [.text(text: "5", annotations: nil, _meta: nil)])
        await session.close()
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a server that exits at once: exited, its status and its stderr")
    func exitsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        let error = try #require(await openFailure(try target(brokenServer("exit", pidfile: dir.url("pids")))))
        #expect(error.kind == .exited)
        #expect(error.exitStatus == 3)
        #expect(error.message == "the server exited with status 3")
        #expect(error.stderr == "fatal: missing API key\n")
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a server that never answers (and ignores SIGTERM, with a child): timeout, then its whole group killed and reaped")
    func sleepsForever() async throws {
        let dir = try TemporaryDirectory()
        var options = MCPSessionOptions()
        options.initializeTimeout = 3
        options.grace = 0.3
        let error = try #require(await openFailure(try target(brokenServer("sleep", pidfile: dir.url("pids"))), options))
        #expect(error.kind == .timeout)
        #expect(error.message == "no answer to initialize within 3 s")
        #expect(Procs.pids(dir.url("pids")).count == 2)
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a server that writes a line that is not JSON-RPC: invalid_output with the line")
    func garbage() async throws {
        let dir = try TemporaryDirectory()
        let error = try #require(await openFailure(try target(brokenServer("garbage", pidfile: dir.url("pids")))))
        #expect(error.kind == .invalidOutput)
        #expect(error.message == "the server wrote a line that is not JSON-RPC on stdout: \"Server starting on port 8080...\"")
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a server answering with a protocol version the kernel does not speak")
    func wrongVersion() async throws {
        let dir = try TemporaryDirectory()
        let error = try #require(await openFailure(try target(brokenServer("version", pidfile: dir.url("pids")))))
        #expect(error.kind == .protocolVersion)
        #expect(error.message.hasPrefix("the server answered initialize with protocol version \"1999-01-01\"; the kernel speaks 2025-11-25"))
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("10 MB of stderr: kept bounded (head and tail), the exit reported")
    func stderrFlood() async throws {
        let dir = try TemporaryDirectory()
        var options = MCPSessionOptions.patient
        options.stderrLimit = 4096
        let error = try #require(await openFailure(try target(brokenServer("flood", pidfile: dir.url("pids"))), options))
        #expect(error.kind == .exited)
        #expect(error.exitStatus == 2)
        let stderr = try #require(error.stderr)
        #expect(stderr.utf8.count < 4096 + 100)
        #expect(stderr.contains("[… \(10 * 1024 * 1024 - 4096) bytes of stderr left out …]"))
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a 20 MB line on stdout: too_large at the cap, not read into memory")
    func hugeLine() async throws {
        let dir = try TemporaryDirectory()
        var options = MCPSessionOptions.patient
        options.maxMessageBytes = 1 << 20
        options.grace = 0.3
        let error = try #require(await openFailure(try target(brokenServer("hugeline", pidfile: dir.url("pids"))), options))
        #expect(error.kind == .tooLarge)
        #expect(error.message.hasPrefix("the server sent a message over the cap of 1048576 bytes"))
        try await Procs.expectGone(dir.url("pids"))
    }

    @Test("a command that does not exist: spawn, nothing started")
    func missingCommand() async throws {
        let error = try #require(await openFailure(try target("{\"command\": \"kernel-no-such-server\"}")))
        #expect(error.kind == .spawn)
        #expect(error.message == "cannot start MCP server \"t\": command \"kernel-no-such-server\" not found on PATH")
    }

    @Test("an inactive, an sse and a placeholder server are refused before anything starts")
    func refused() async throws {
        var t = try target("{\"command\": \"true\"}")
        t.state = .inactive(reason: "project not trusted")
        await #expect(throws: MCPFailure(.inactive, "MCP server \"t\" is inactive: project not trusted")) { _ = try await MCPSession.open(t) }
        let sse = try target("{\"type\": \"sse\", \"url\": \"http://127.0.0.1:1/sse\"}")
        #expect(sse.refusal?.kind == .unsupported)
        let placeholder = try target("{\"type\": \"http\", \"url\": \"\"}")
        #expect(placeholder.refusal?.kind == .inactive)
    }
}

@Suite("MCPSession against the official Python SDK (PyPI mcp)")
struct PythonSDKTests {
    @Test("stdio: server info, tools with their schemas, prompts, resources, a structured call", .enabled(if: Paths.sdkAvailable))
    func stdio() async throws {
        let python = try #require(Paths.sdkPython, "CI must have the Python MCP SDK (.ci/install-deps creates .venv-test)")
        let t = try target("{\"command\": \"\(python)\", \"args\": [\"\(Paths.fixtures)/python_sdk_server.py\", \"stdio\"]}", name: "py")
        let session = try await MCPSession.open(t, options: .patient)
        #expect(session.serverInfo.name == "pyfixture")
        #expect(session.serverInfo.version == "3.1.0")
        #expect(session.capabilities.tools != nil)
        #expect(try await session.tools().map(\.name).sorted() == ["multiply", "shout"])
        #expect(try await session.prompts().map(\.name) == ["summarize"])
        #expect(try await session.resources().map(\.uri) == ["config://app"])
        let r = try await session.callTool("multiply", arguments: ["a": 6, "b": 7])
        #expect(r.isError != true)
        #expect(r.content == [.text(text: "42", annotations: nil, _meta: nil)])
        await session.close()
    }

    @Test("streamable HTTP on loopback, through the kernel's HTTP client", .enabled(if: Paths.sdkAvailable))
    func streamableHTTP() async throws {
        let python = try #require(Paths.sdkPython, "CI must have the Python MCP SDK (.ci/install-deps creates .venv-test)")
        let port = try LoopbackServer.unusedPort()
        let server = try await offPool { try HTTPServerProcess(python: python, port: port) }
        defer { server.stop() }
        let t = try target("{\"type\": \"streamable-http\", \"url\": \"http://127.0.0.1:\(port)/mcp\"}", name: "pyhttp")
        // A liveness bound, not a speed check: uvicorn answered within 2 s alone, but once took over 30 s while
        // the whole suite ran on 2 cores.
        var options = MCPSessionOptions()
        options.initializeTimeout = 120
        let session = try await MCPSession.open(t, options: options)
        #expect(session.serverInfo.name == "pyfixture")
        #expect(try await session.tools().map(\.name).sorted() == ["multiply", "shout"])
        let r = try await session.callTool("shout", arguments: ["text": "hi"])
        #expect(r.content == [.text(text: "HI", annotations: nil, _meta: nil)])
        await session.close()
    }

    @Test("an HTTP server that is not there: http, with the reason")
    func nothingListening() async throws {
        let port = try LoopbackServer.unusedPort()
        let error = try #require(await openFailure(try target("{\"type\": \"http\", \"url\": \"http://127.0.0.1:\(port)/mcp\"}")))
        #expect(error.kind == .http)
        #expect(error.message.hasPrefix("HTTP request to http://127.0.0.1:\(port)/mcp failed"))
    }

    @Test("an HTTP endpoint answering HTML: invalid_output; a 500: http with the status")
    func httpGarbage() async throws {
        let server = try LoopbackServer(routes: [
            "/html": { _ in .text("<html>hi</html>", headers: [("Content-Type", "text/html")]) },
            "/500": { _ in .text("boom", status: 500) },
        ])
        defer { server.stop() }
        let error = try #require(await openFailure(try target("{\"type\": \"http\", \"url\": \"\(server.url("/html"))\"}")))
        #expect(error.kind == .invalidOutput)
        #expect(error.message.contains("<html>hi</html>"))
        let status = try #require(await openFailure(try target("{\"type\": \"http\", \"url\": \"\(server.url("/500"))\"}")))
        #expect(status.kind == .http)
        #expect(status.message == "HTTP 500 from \(server.url("/500")): boom")
    }
}

/// The Python SDK's streamable-HTTP server in a child process, up once its port accepts connections (the
/// initializer waits for that: an async test creates it through `offPool`).
final class HTTPServerProcess: @unchecked Sendable {
    let process = Process()

    init(python: String, port: UInt16) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Paths.fixtures + "/python_sdk_server.py", "http", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Python and uvicorn take a while to start on a loaded machine: up to a minute.
        for _ in 0..<3000 {
            if Self.accepts(port) { return }
            if !process.isRunning { break }
            usleep(20_000)
        }
        stop()
        throw CocoaError(.fileReadUnknown)
    }

    static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// SIGKILL: uvicorn's graceful shutdown on SIGTERM waits for open connections.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
