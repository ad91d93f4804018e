import ArgumentParser
import KernelCore
import KernelHost

/// The work of the commands that start or connect to MCP servers (`mcp probe|call|serve`, `mcp list --probe`),
/// done where the MCP Swift SDK is linked: the `kernel-mcp` executable sets ``service`` and runs this same
/// command tree; `kernel`, which does not link the SDK (it pulls in FoundationNetworking, ~13 ms of start-up on
/// every command), execs `kernel-mcp` with its own arguments for these commands.
public enum MCPLiveEntry {
    nonisolated(unsafe) public static var service: (any MCPLiveService)?
    public static let executableName = "kernel-mcp"

    /// The service, or this process replaced by `kernel-mcp`.
    static func resolve(_ global: GlobalOptions) throws -> any MCPLiveService {
        if let service { return service }
        try Sibling.exec(executableName, holds: "the MCP client and server", global: global)
    }
}

/// One server's outcome, rendered: `mcp probe`'s and `mcp call`'s output, `mcp list --probe`'s cell.
public struct MCPLiveResult: Sendable {
    public var ok: Bool
    public var json: JSONValue
    public var text: String
    /// `mcp list --probe`'s PROBE column.
    public var cell: String

    public init(ok: Bool, json: JSONValue, text: String, cell: String = "") {
        self.ok = ok
        self.json = json
        self.text = text
        self.cell = cell
    }
}

/// What `kernel-mcp` provides. `timeout` bounds initialize and each request, in seconds.
public protocol MCPLiveService: Sendable {
    /// `mcp probe <name>`: the server named `name` in `composition`, probed. Throws when no server has the name.
    func probe(_ name: String, host: PluginHost, composition: PluginHost.Composition, timeout: Double) async throws(KernelError) -> MCPLiveResult
    /// `mcp call <name> <tool> [--args JSON]`: a failure to reach the server, or bad arguments, is thrown;
    /// a tool's own error is a result that is not ok.
    func call(_ name: String, tool: String, arguments: String?, host: PluginHost, composition: PluginHost.Composition,
              timeout: Double) async throws(KernelError) -> MCPLiveResult
    /// `mcp list --probe`: every active server probed at once, parallel to `host.expandedMCPServers(composition)`
    /// (nil where the server is not active).
    func probeAll(host: PluginHost, composition: PluginHost.Composition, timeout: Double) -> [MCPLiveResult?]
    /// `mcp serve`: the registry over MCP on stdio until stdin closes.
    func serve(host: PluginHost, pluginDirs: [String], poll: Double) async throws
}

/// Options of the commands that start or connect to servers.
struct MCPLiveOptions: ParsableArguments {
    @Option(help: "Seconds to wait for initialize and for each request (default 30).")
    var timeout: Double = 30

    func validated() throws -> Double {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        return timeout
    }
}

extension KernelCommand.MCP {
    /// `kernel mcp probe <name> [--json] [--timeout S]`
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "probe", abstract: "Start (or connect to) one MCP server, initialize it and list its tools, prompts and resources.",
            discussion: "Exit status 1 when the server cannot be started, fails or is not active (the reason is printed).")
        @OptionGroup var options: InspectOptions
        @OptionGroup var live: MCPLiveOptions
        @Argument(help: "The server: its name, or plugin:server.") var name: String

        func run() async throws {
            let global = options.global
            let timeout = try live.validated()
            let service = try MCPLiveEntry.resolve(global)
            let (host, c) = try options.compose(needs: .mcp)
            let result: MCPLiveResult
            do { result = try await service.probe(name, host: host, composition: c, timeout: timeout) } catch { throw global.fail(error) }
            Output.out(global.json ? result.json.serialized() : result.text)
            if !result.ok { throw ExitCode(1) }
        }
    }

    /// `kernel mcp call <name> <tool> [--args JSON] [--json]`
    struct Call: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "call", abstract: "Call one tool of an MCP server and print its result.",
            discussion: """
                The tool is the server's name for it or the name an agent sees (mcp__server__tool). Exit status 1 \
                when the server fails or the tool reports an error (isError).
                """)
        @OptionGroup var options: InspectOptions
        @OptionGroup var live: MCPLiveOptions
        @Option(name: .customLong("args"), help: "The tool's arguments, a JSON object (default {}).") var arguments: String?
        @Argument(help: "The server: its name, or plugin:server.") var name: String
        @Argument(help: "The tool.") var tool: String

        func run() async throws {
            let global = options.global
            let timeout = try live.validated()
            let service = try MCPLiveEntry.resolve(global)
            let (host, c) = try options.compose(needs: .mcp)
            let result: MCPLiveResult
            do {
                result = try await service.call(name, tool: tool, arguments: arguments, host: host, composition: c, timeout: timeout)
            } catch { throw global.fail(error) }
            Output.out(global.json ? result.json.serialized() : result.text)
            if !result.ok { throw ExitCode(1) }
        }
    }

    /// `kernel mcp serve`
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Serve the composed registry over MCP on stdio: commands and skills as prompts, skills and agents as resources.",
            discussion: "Sends notifications/prompts/list_changed when plugins are installed, removed, enabled or disabled while it runs.")
        @OptionGroup var options: InspectOptions
        @Option(help: "Seconds between checks of the settings and installed-plugins files (default 1).") var poll: Double = 1

        func run() async throws {
            guard poll > 0, poll.isFinite else { throw ValidationError("--poll must be a positive number of seconds") }
            let global = options.global
            let service = try MCPLiveEntry.resolve(global)
            let host = try global.host()
            do { try await service.serve(host: host, pluginDirs: options.pluginDirs, poll: poll) } catch let error as KernelError {
                throw global.fail(error)
            }
        }
    }
}
