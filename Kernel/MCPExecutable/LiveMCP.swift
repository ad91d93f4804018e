import Dispatch
import Foundation
import KernelCLI
import KernelCore
import KernelHost
import KernelMCP
import MCP

/// The live MCP commands' work over the SDK (``MCPLiveService``, which `kernel-mcp` installs into the CLI).
struct LiveMCP: MCPLiveService {
    static func session(_ timeout: Double) -> MCPSessionOptions {
        var o = MCPSessionOptions()
        o.initializeTimeout = timeout
        o.requestTimeout = timeout
        return o
    }

    static func rendered(_ r: MCPProbeResult) -> MCPLiveResult {
        MCPLiveResult(ok: r.ok, json: r.json, text: MCPText.probe(r), cell: MCPText.probeCell(r))
    }

    func probe(_ name: String, host: PluginHost, composition: PluginHost.Composition, timeout: Double) async throws(KernelError) -> MCPLiveResult {
        let target = try host.mcpTarget(named: name, in: composition)
        return Self.rendered(await MCPProbe.probe(target, options: Self.session(timeout)))
    }

    func call(_ name: String, tool: String, arguments: String?, host: PluginHost, composition: PluginHost.Composition,
              timeout: Double) async throws(KernelError) -> MCPLiveResult {
        let args = try MCPText.arguments(arguments)
        let target = try host.mcpTarget(named: name, in: composition)
        let toolName = MCPText.serverToolName(tool, target: target)
        let outcome: Result<CallTool.Result, MCPFailure>
        do {
            let session = try await MCPSession.open(target, options: Self.session(timeout))
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
            let json = JSONValue.object([("name", .string(target.name)), ("tool", .string(toolName)),
                                         ("agentName", .string(target.toolName(toolName))), ("isError", .bool(r.isError == true)),
                                         ("result", MCPJSON.encode(r))])
            return MCPLiveResult(ok: r.isError != true, json: json, text: MCPText.content(r))
        case .failure(let f):
            throw MCPText.error(f, target: target)
        }
    }

    func probeAll(host: PluginHost, composition: PluginHost.Composition, timeout: Double) -> [MCPLiveResult?] {
        let targets = host.mcpTargets(composition)
        let active = targets.indices.filter { targets[$0].refusal?.kind != .inactive }
        let options = Self.session(timeout)
        // `mcp list` stays synchronous (no concurrency runtime at its start); with --probe it waits here.
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var results: [MCPProbeResult] = []
        let chosen = active.map { targets[$0] }
        Task.detached {
            results = await MCPProbe.probeAll(chosen, options: options)
            done.signal()
        }
        done.wait()
        var out = [MCPLiveResult?](repeating: nil, count: targets.count)
        for (i, r) in zip(active, results) { out[i] = Self.rendered(r) }
        return out
    }

    func serve(host: PluginHost, pluginDirs: [String], poll: Double) async throws {
        let server = try RegistryServer(host: host, pluginDirs: pluginDirs)
        try await server.serve(transport: StdioTransport(), pollInterval: poll)
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
