import ArgumentParser
import Dispatch
import Foundation
import KernelCore
import KernelHost
import KernelMCP
import MCP

/// Options of the commands that start or connect to servers.
struct MCPLiveOptions: ParsableArguments {
    @Option(help: "Seconds to wait for initialize and for each request (default 30).")
    var timeout: Double = 30

    func session() throws -> MCPSessionOptions {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        var o = MCPSessionOptions()
        o.initializeTimeout = timeout
        o.requestTimeout = timeout
        return o
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
            let sessionOptions = try live.session()
            let (host, c) = try options.compose(needs: .mcp)
            let target = try global.run { () throws(KernelError) in try host.mcpTarget(named: name, in: c) }
            let result = await MCPProbe.probe(target, options: sessionOptions)
            if global.json {
                Output.out(result.json.serialized())
            } else {
                Output.out(MCPText.probe(result))
            }
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
            let sessionOptions = try live.session()
            let args = try global.run { () throws(KernelError) in try MCPText.arguments(arguments) }
            let (host, c) = try options.compose(needs: .mcp)
            let target = try global.run { () throws(KernelError) in try host.mcpTarget(named: name, in: c) }
            let toolName = MCPText.serverToolName(tool, target: target)
            let outcome: Result<CallTool.Result, MCPFailure>
            do {
                let session = try await MCPSession.open(target, options: sessionOptions)
                do {
                    outcome = .success(try await session.callTool(toolName, arguments: args))
                } catch {
                    outcome = .failure(error)
                }
                await session.close()
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let r):
                if global.json {
                    Output.out(JSONValue.object([("name", .string(target.name)), ("tool", .string(toolName)),
                                                 ("agentName", .string(target.toolName(toolName))), ("isError", .bool(r.isError == true)),
                                                 ("result", MCPJSON.encode(r))]).serialized())
                } else {
                    Output.out(MCPText.content(r))
                }
                if r.isError == true { throw ExitCode(1) }
            case .failure(let f):
                throw global.fail(MCPText.error(f, target: target))
            }
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
            let host = try global.host()
            let server = try global.run { () throws(KernelError) in try RegistryServer(host: host, pluginDirs: options.pluginDirs) }
            try await server.serve(transport: StdioTransport(), pollInterval: poll)
        }
    }

    /// `kernel mcp list --probe`: every active server probed at once.
    static func probeAll(_ targets: [MCPServerTarget], options: MCPSessionOptions) -> [MCPProbeResult] {
        // `mcp list` stays synchronous (no concurrency runtime at start-up); with --probe it waits here.
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var results: [MCPProbeResult] = []
        Task.detached {
            results = await MCPProbe.probeAll(targets, options: options)
            done.signal()
        }
        done.wait()
        return results
    }
}

/// Text for the live commands.
enum MCPText {
    static func probe(_ r: MCPProbeResult) -> String {
        let t = r.target
        var origin = t.pluginName.map { "plugin \($0)" } ?? "settings"
        origin += ", \(t.server.server.transport.rawValue)"
        var lines: [String] = []
        if let info = r.serverInfo {
            let ms = r.initializeSeconds.map { String(format: "%.1f ms", $0 * 1000) } ?? "?"
            lines.append("\(t.name) (\(origin)): \(r.ok ? "ok" : "failed"), initialized in \(ms)")
            lines.append("  server: \(info.name) \(info.version), protocol \(r.protocolVersion ?? "?")")
            var caps: [String] = []
            if r.capabilities?.tools != nil { caps.append("tools") }
            if r.capabilities?.prompts != nil { caps.append("prompts") }
            if r.capabilities?.resources != nil { caps.append("resources") }
            if r.capabilities?.logging != nil { caps.append("logging") }
            lines.append("  capabilities: \(caps.isEmpty ? "none" : caps.joined(separator: ", "))")
            if !r.tools.isEmpty {
                lines.append("  tools (\(r.tools.count)):")
                lines += r.tools.map { "    \(t.toolName($0.name))" + ($0.description.map { "  \(Format.short($0, limit: 70))" } ?? "") }
            }
            if !r.prompts.isEmpty { lines.append("  prompts (\(r.prompts.count)): " + r.prompts.map(\.name).joined(separator: ", ")) }
            if !r.resources.isEmpty { lines.append("  resources (\(r.resources.count)): " + r.resources.map(\.uri).joined(separator: ", ")) }
        } else if r.skipped {
            lines.append("\(t.name) (\(origin)): not started: \(r.failure?.message ?? "")")
            return lines.joined(separator: "\n")
        } else {
            lines.append("\(t.name) (\(origin)): failed")
        }
        if let f = r.failure {
            lines.append("  error (\(f.kind)): \(f.message)")
            if let stderr = f.stderr, !stderr.isEmpty {
                lines.append("  stderr:")
                lines += stderr.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map { "    \($0)" }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `mcp list --probe`'s cell: `ok: 3 tools, 1 prompt (12.3 ms)` or `failed (kind): message`.
    static func probeCell(_ r: MCPProbeResult) -> String {
        if let f = r.failure { return "failed (\(f.kind)): \(Format.short(f.message, limit: 80))" }
        var parts = ["\(r.tools.count) tool\(r.tools.count == 1 ? "" : "s")"]
        if !r.prompts.isEmpty { parts.append("\(r.prompts.count) prompt\(r.prompts.count == 1 ? "" : "s")") }
        if !r.resources.isEmpty { parts.append("\(r.resources.count) resource\(r.resources.count == 1 ? "" : "s")") }
        return "ok: " + parts.joined(separator: ", ") + (r.initializeSeconds.map { String(format: " (%.1f ms)", $0 * 1000) } ?? "")
    }

    /// A failure as the CLI's error (code `mcp_server`; the failure's kind and stderr in the message).
    static func error(_ f: MCPFailure, target: MCPServerTarget) -> KernelError {
        let named = f.message.hasPrefix("MCP server") || f.message.hasPrefix("cannot start MCP server")
        var message = (named ? "" : "MCP server \"\(target.name)\": ") + f.message + " (\(f.kind))"
        if let stderr = f.stderr, !stderr.isEmpty { message += "\nstderr:\n" + stderr }
        return KernelError(f.kind == .inactive ? .unavailable : .mcpServer, message, underlying: f)
    }

    /// `--args`: a JSON object, as the SDK's values.
    static func arguments(_ text: String?) throws(KernelError) -> [String: Value]? {
        guard let text else { return nil }
        let node: Node
        do { node = try JSONReader.parse(text).root } catch {
            throw KernelError(.invalidInput, "--args is not valid JSON: line \(error.line), column \(error.column): \(error.message)")
        }
        guard node.members != nil else { throw KernelError(.invalidInput, "--args must be a JSON object, got \(node.kindDescription)") }
        guard let value = try? JSONDecoder().decode([String: Value].self, from: Data(text.utf8)) else {
            throw KernelError(.invalidInput, "--args cannot be read as tool arguments")
        }
        return value
    }

    /// The server's own tool name for `tool`, which may be given as the agent sees it (`mcp__server__tool`).
    static func serverToolName(_ tool: String, target: MCPServerTarget) -> String {
        let prefix = target.toolName("")
        return tool.hasPrefix(prefix) && tool.count > prefix.count ? String(tool.dropFirst(prefix.count)) : tool
    }

    /// A call's content: text as it is, other items as JSON; structured content after it.
    static func content(_ r: CallTool.Result) -> String {
        var parts: [String] = r.content.map { item in
            if case .text(let text, _, _) = item { return text }
            return MCPJSON.encode(item).serialized()
        }
        if let structured = r.structuredContent, r.content.isEmpty { parts.append(MCPJSON.encode(structured).serialized()) }
        if r.isError == true { parts.insert("(the tool reported an error)", at: 0) }
        return parts.joined(separator: "\n")
    }
}
