#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
public import KernelCore
public import MCP

/// Limits of one session.
public struct MCPSessionOptions: Sendable {
    /// Seconds from start (or connect) to the answer to `initialize`.
    public var initializeTimeout: Double = 30
    /// Seconds for each later request (a list, a call).
    public var requestTimeout: Double = 60
    /// Seconds between SIGTERM and SIGKILL of a stdio server's process group when the session closes.
    public var grace: Double = 1
    /// Bytes of a stdio server's stderr kept (its head and its tail).
    public var stderrLimit = 64 << 10
    /// The largest message accepted (a line on stdout, an HTTP response).
    public var maxMessageBytes = 16 << 20
    /// The environment `${VAR}` placeholders and stdio servers start from (default: this process's).
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}
}

/// A server of the registry as the kernel connects to it: names, the expanded definition, where it runs.
public struct MCPServerTarget: Sendable {
    /// The registry name (`server`, or `plugin:server` for plugin servers).
    public var name: String
    /// The server's own name, as configured.
    public var serverName: String
    /// The plugin that contributes it, nil for settings and `.mcp.json` servers.
    public var pluginName: String?
    public var server: ExpandedMCPServer
    /// The variables the kernel sets for plugin processes (`QODER_PLUGIN_ROOT`, `QODER_PLUGIN_DATA`, the project).
    public var context: RenderContext
    /// The registry state: only an active server is started.
    public var state: ComponentState
    public var projectDir: String

    /// - Parameters:
    ///   - environment: what `${VAR}` expands from (the same the listing used).
    public init(entry: RegistryEntry<MCPServerDefinition>, projectDir: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        name = entry.name
        serverName = entry.item.name
        pluginName = entry.provenance.pluginName
        context = entry.provenance.renderContext(projectDir: projectDir)
        server = ExpandedMCPServer(entry.item, context: context, environment: environment)
        state = entry.state
        self.projectDir = projectDir
    }

    /// The name an agent sees for `tool`: `mcp__<server>__<tool>`; for a plugin's server
    /// `mcp__plugin_<plugin>_<server>__<tool>`. Characters other than ASCII letters, digits, `_` and `-` become `_`.
    public func toolName(_ tool: String) -> String {
        MCPNames.tool(server: serverName, plugin: pluginName, tool: tool)
    }

    /// Why the kernel will not start or connect to this server now, nil when it will.
    public var refusal: MCPFailure? {
        if case .active = state {} else {
            return MCPFailure(.inactive, "MCP server \"\(name)\" is \(state.name): \(state.reason ?? "not active")")
        }
        // The registry already marks these inactive; checked here too, so that a target built from any entry
        // never starts a project server the user has not approved, or a disabled one.
        if let reason = server.server.inactiveReason ?? server.server.disabledReason {
            return MCPFailure(.inactive, "MCP server \"\(name)\" is inactive: \(reason)")
        }
        switch server.server.transport {
        case .stdio, .http: return nil
        case .sse: return MCPFailure(.unsupported, "MCP server \"\(name)\" uses the legacy sse transport (HTTP+SSE, replaced by streamable HTTP in protocol 2025-03-26), which the kernel's client does not speak; most servers also serve streamable HTTP (\"type\": \"http\")")
        case .ws: return MCPFailure(.unsupported, "MCP server \"\(name)\" uses the ws transport, which the kernel's client (and the MCP specification's transports) do not include")
        }
    }
}

/// Tool names as an agent sees them.
public enum MCPNames {
    /// `mcp__<server>__<tool>`, with `plugin_<plugin>_` before the server for a plugin's server.
    public static func tool(server: String, plugin: String?, tool: String) -> String {
        let serverPart = plugin.map { "plugin_\(normalize($0))_\(normalize(server))" } ?? normalize(server)
        return "mcp__\(serverPart)__\(normalize(tool))"
    }

    /// Characters other than ASCII letters, digits, `_` and `-` replaced by `_`.
    public static func normalize(_ name: String) -> String {
        String(name.unicodeScalars.map { s in
            (s.isASCII && (CharacterSet.alphanumerics.contains(s) || s == "_" || s == "-")) ? Character(s) : "_"
        })
    }
}

/// A connection to one MCP server of the registry, through the official Swift SDK's `Client`.
///
/// stdio servers are started by the kernel (``ServerProcess``: own process group, stderr captured, reaped);
/// `http` (streamable HTTP) servers are reached through the kernel's libcurl client. `open` returns once the server
/// has answered `initialize` with a protocol version the kernel speaks; every request races the server's failure
/// (exit, garbage, a broken HTTP exchange) and its time limit, so a broken server fails a request at once with
/// the reason. Call ``close()`` when done: it ends the server's process group (SIGTERM, grace, SIGKILL) and waits.
public actor MCPSession {
    public nonisolated let target: MCPServerTarget
    public nonisolated let serverInfo: Server.Info
    public nonisolated let protocolVersion: String
    public nonisolated let capabilities: Server.Capabilities
    public nonisolated let instructions: String?
    /// Seconds from the start of `open` to the answer to `initialize`.
    public nonisolated let initializeSeconds: Double
    private let client: Client
    private let tripwire: Tripwire
    private let process: ServerProcess?
    private let stdio: ChildStdioTransport?
    private let options: MCPSessionOptions
    private var closed = false

    private init(target: MCPServerTarget, result: Initialize.Result, seconds: Double, client: Client, tripwire: Tripwire,
                 process: ServerProcess?, stdio: ChildStdioTransport?, options: MCPSessionOptions) {
        self.target = target
        serverInfo = result.serverInfo
        protocolVersion = result.protocolVersion
        capabilities = result.capabilities
        instructions = result.instructions
        initializeSeconds = seconds
        self.client = client
        self.tripwire = tripwire
        self.process = process
        self.stdio = stdio
        self.options = options
    }

    /// Starts or connects to `target` and initializes the session.
    public static func open(_ target: MCPServerTarget, options: MCPSessionOptions = MCPSessionOptions()) async throws(MCPFailure) -> MCPSession {
        if let refusal = target.refusal { throw refusal }
        let start = ContinuousClock.now
        let tripwire = Tripwire()
        let client = Client(name: "kernel", version: "1.0.0")
        var process: ServerProcess?
        var stdio: ChildStdioTransport?
        let transport: any Transport
        switch target.server.server.transport {
        case .stdio:
            let p = try Self.start(target, options: options, tripwire: tripwire)
            let t = ChildStdioTransport(process: p, maxMessageBytes: options.maxMessageBytes)
            process = p
            stdio = t
            transport = t
        default:
            guard let url = target.server.url else { throw MCPFailure(.inactive, "MCP server \"\(target.name)\" has no url") }
            transport = KernelHTTPTransport(url: url, headers: target.server.headers, timeout: options.requestTimeout,
                                            maxMessageBytes: options.maxMessageBytes, tripwire: tripwire)
        }
        let result: Initialize.Result
        do {
            result = try await race("initialize", timeout: options.initializeTimeout, tripwire: tripwire, client: client) {
                try await client.connect(transport: transport)
            }
        } catch {
            await Self.shutDown(client: client, process: process, stdio: stdio, grace: options.grace, tripwire: tripwire)
            throw Self.withStderr(error, process)
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        guard Version.supported.contains(result.protocolVersion) else {
            await Self.shutDown(client: client, process: process, stdio: stdio, grace: options.grace, tripwire: tripwire)
            throw Self.withStderr(MCPFailure(.protocolVersion, "the server answered initialize with protocol version \"\(result.protocolVersion)\"; "
                                             + "the kernel speaks \(Version.supported.sorted(by: >).joined(separator: ", "))"), process)
        }
        return MCPSession(target: target, result: result, seconds: seconds, client: client, tripwire: tripwire,
                          process: process, stdio: stdio, options: options)
    }

    /// Every tool (all pages).
    public func tools() async throws(MCPFailure) -> [Tool] {
        try await pages("tools/list") { cursor in
            let r = try await self.client.listTools(cursor: cursor)
            return (r.tools, r.nextCursor)
        }
    }

    /// Every prompt (all pages).
    public func prompts() async throws(MCPFailure) -> [Prompt] {
        try await pages("prompts/list") { cursor in
            let r = try await self.client.listPrompts(cursor: cursor)
            return (r.prompts, r.nextCursor)
        }
    }

    /// Every resource (all pages).
    public func resources() async throws(MCPFailure) -> [Resource] {
        try await pages("resources/list") { cursor in
            let r = try await self.client.listResources(cursor: cursor)
            return (r.resources, r.nextCursor)
        }
    }

    /// Calls `tool` (its name as the server has it) with `arguments`. A tool that fails reports it in the
    /// result (`isError`); a JSON-RPC error (unknown tool, invalid arguments) is an `rpc` failure.
    public func callTool(_ tool: String, arguments: [String: Value]? = nil) async throws(MCPFailure) -> CallTool.Result {
        try await request("tools/call \(tool)") {
            try await self.client.send(CallTool.request(.init(name: tool, arguments: arguments))).value
        }
    }

    /// Calls `handler` for each notification `N` the server sends (e.g. `PromptListChangedNotification`).
    public func onNotification<N: MCP.Notification>(_ type: N.Type, _ handler: @escaping @Sendable (Message<N>) async throws -> Void) async {
        await client.onNotification(type, handler: handler)
    }

    /// Gets prompt `name` rendered with `arguments`.
    public func prompt(_ name: String, arguments: [String: String] = [:]) async throws(MCPFailure) -> GetPrompt.Result {
        try await request("prompts/get \(name)") {
            try await self.client.send(GetPrompt.request(.init(name: name, arguments: arguments))).value
        }
    }

    /// Reads resource `uri`.
    public func read(_ uri: String) async throws(MCPFailure) -> [Resource.Content] {
        try await request("resources/read \(uri)") { try await self.client.readResource(uri: uri) }
    }

    /// What a stdio server wrote on stderr so far (head and tail when long); empty for HTTP servers.
    public nonisolated var stderr: String { process?.stderr.text ?? "" }

    /// Ends the session: the server's process group terminated and reaped (stdio), the HTTP session deleted.
    public func close() async {
        guard !closed else { return }
        closed = true
        await Self.shutDown(client: client, process: process, stdio: stdio, grace: options.grace, tripwire: tripwire)
    }

    // MARK: - Internals

    private func pages<T: Sendable>(_ what: String, _ page: @escaping @Sendable (String?) async throws -> ([T], String?)) async throws(MCPFailure) -> [T] {
        var all: [T] = []
        var cursor: String?
        var seen = Set<String>()
        repeat {
            let c = cursor
            let (items, next) = try await request(what) { try await page(c) }
            all += items
            cursor = next
            if let next, !seen.insert(next).inserted { break }  // a server repeating a cursor: stop, not loop
        } while cursor != nil && seen.count < 1000
        return all
    }

    private func request<T: Sendable>(_ what: String, _ op: @escaping @Sendable () async throws -> T) async throws(MCPFailure) -> T {
        if closed { throw MCPFailure(.closed, "the session with \"\(target.name)\" is closed") }
        do {
            return try await Self.race(what, timeout: options.requestTimeout, tripwire: tripwire, client: client, op)
        } catch {
            throw Self.withStderr(error, process)
        }
    }

    /// Runs `op` against the server's failure and the time limit, whichever comes first. When the failure or the
    /// limit wins the session is broken: the client is disconnected (which resumes the request waiting inside it).
    private static func race<T: Sendable>(_ what: String, timeout: Double, tripwire: Tripwire, client: Client,
                                          _ op: @escaping @Sendable () async throws -> T) async throws(MCPFailure) -> T {
        if let failure = tripwire.failure { throw failure }
        let outcome: Result<T, MCPFailure> = await withTaskGroup(of: Result<T, MCPFailure>?.self) { group in
            group.addTask {
                do { return .success(try await op()) } catch { return .failure(translate(error, what: what, tripwire: tripwire)) }
            }
            group.addTask { await tripwire.wait().map { .failure($0) } }
            group.addTask {
                do { try await Task.sleep(for: .milliseconds(Int(timeout * 1000))) } catch { return nil }
                return .failure(MCPFailure(.timeout, "no answer to \(what) within \(Self.seconds(timeout))"))
            }
            var first: Result<T, MCPFailure>?
            while first == nil, let next = await group.next() { first = next }
            if case .failure(let failure) = first, failure.kind != .rpc {
                tripwire.trip(failure)
                await client.disconnect()
            }
            group.cancelAll()
            return first ?? .failure(MCPFailure(.closed, "the session ended"))
        }
        return try outcome.get()
    }

    /// An error from the SDK as a failure: the tripwire's reason when the connection broke under it, a
    /// JSON-RPC error as `rpc`, anything else (an answer that does not decode) as invalid output.
    private static func translate(_ error: any Error, what: String, tripwire: Tripwire) -> MCPFailure {
        if let failure = tripwire.failure { return failure }
        if let failure = error as? MCPFailure { return failure }
        if let e = error as? MCPError {
            switch e {
            case .transportError(let inner):
                return (inner as? MCPFailure) ?? MCPFailure(.closed, "\(what): \(inner)")
            case .connectionClosed: return MCPFailure(.closed, "\(what): the connection closed")
            default: return MCPFailure(.rpc, "\(what): the server answered error \(e.code): \(e.errorDescription ?? String(describing: e))")
            }
        }
        if error is DecodingError {
            return MCPFailure(.invalidOutput, "\(what): the server's answer does not have the shape the protocol requires (\(error))")
        }
        return MCPFailure(.closed, "\(what): \(error)")
    }

    private static func withStderr(_ failure: MCPFailure, _ process: ServerProcess?) -> MCPFailure {
        var f = failure
        if f.stderr == nil, let process { f.stderr = process.stderr.text }
        return f
    }

    private static func shutDown(client: Client, process: ServerProcess?, stdio: ChildStdioTransport?, grace: Double,
                                 tripwire: Tripwire) async {
        tripwire.trip(MCPFailure(.closed, "the session was closed"))
        await client.disconnect()
        guard let process else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            // Blocking waits (the grace period, the reaper, the reading thread) off the cooperative pool.
            Thread.detachNewThread {
                process.terminate(grace: grace)
                stdio?.waitForReader()
                Glibc.close(process.socket)
                c.resume()
            }
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }

    /// Starts a stdio server: its command found on the PATH it gets, its environment the process's with the
    /// kernel's variables and its own `env` over it, its working directory its `cwd` (expanded) or the project.
    private static func start(_ target: MCPServerTarget, options: MCPSessionOptions, tripwire: Tripwire) throws(MCPFailure) -> ServerProcess {
        let s = target.server
        guard let command = s.command, !command.isEmpty else {
            throw MCPFailure(.spawn, "MCP server \"\(target.name)\" has no command")
        }
        var environment = target.context.environment(over: options.environment)
        for (k, v) in s.env { environment[k] = v }
        let cwd = s.server.cwd.map { VariableExpander.expand($0, environment: environment).result } ?? target.projectDir
        guard let executable = Self.resolve(command, path: environment["PATH"], cwd: cwd) else {
            throw MCPFailure(.spawn, "cannot start MCP server \"\(target.name)\": command \"\(command)\" not found"
                             + (command.contains("/") ? "" : " on PATH"))
        }
        return try ServerProcess(executable: executable, arguments: s.args, environment: environment, workingDirectory: cwd,
                                 stderrLimit: options.stderrLimit, tripwire: tripwire)
    }

    /// An executable file for `command`: a path (relative to `cwd`) as is, a bare name searched on `path`.
    static func resolve(_ command: String, path: String?, cwd: String) -> String? {
        if command.contains("/") {
            let full = command.hasPrefix("/") ? command : cwd + "/" + command
            return access(full, X_OK) == 0 ? full : nil
        }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let full = "\(dir)/\(command)"
            var st = stat()
            if access(full, X_OK) == 0, stat(full, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR { return full }
        }
        return nil
    }
}
