import Foundation
public import KernelCore
public import KernelHost
public import MCP

/// What probing one server found: the session's facts and lists, or the failure (with the server's stderr).
public struct MCPProbeResult: Sendable {
    public var target: MCPServerTarget
    public var serverInfo: Server.Info?
    public var protocolVersion: String?
    public var capabilities: Server.Capabilities?
    public var instructions: String?
    public var initializeSeconds: Double?
    public var tools: [Tool] = []
    public var prompts: [Prompt] = []
    public var resources: [Resource] = []
    public var failure: MCPFailure?
    /// The server was not started: it is not active (shadowed, disabled, untrusted) or needs configuration.
    public var skipped: Bool { failure?.kind == .inactive }
    public var ok: Bool { failure == nil }

    public init(target: MCPServerTarget) { self.target = target }

    /// `mcp probe --json`'s object (and `probe` of each `mcp list --probe --json` row).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(target.name)), ("server", .string(target.serverName)), ("plugin", .optional(target.pluginName)),
            ("transport", .string(target.server.server.transport.rawValue)), ("ok", .bool(ok)),
        ]
        if let serverInfo {
            members += [
                ("serverInfo", MCPJSON.encode(serverInfo)), ("protocolVersion", .optional(protocolVersion)),
                ("capabilities", capabilities.map(MCPJSON.encode) ?? .null), ("instructions", .optional(instructions)),
                ("initializeMs", initializeSeconds.map { .double(($0 * 10_000).rounded() / 10) } ?? .null),
                ("tools", .array(tools.map { t in
                    .object([("name", .string(t.name)), ("agentName", .string(target.toolName(t.name))),
                             ("description", .optional(t.description)), ("inputSchema", MCPJSON.encode(t.inputSchema))])
                })),
                ("prompts", .array(prompts.map { p in
                    .object([("name", .string(p.name)), ("description", .optional(p.description)),
                             ("arguments", .array((p.arguments ?? []).map { a in
                                 .object([("name", .string(a.name)), ("description", .optional(a.description)),
                                          ("required", .bool(a.required ?? false))])
                             }))])
                })),
                ("resources", .array(resources.map { r in
                    .object([("uri", .string(r.uri)), ("name", .string(r.name)), ("description", .optional(r.description)),
                             ("mimeType", .optional(r.mimeType))])
                })),
            ]
        }
        members.append(("error", failure.map(MCPJSON.failure) ?? .null))
        return .object(members)
    }
}

/// JSON for SDK values (their own Codable shapes) and failures.
public enum MCPJSON {
    /// `value` as the SDK encodes it (keys sorted), embedded verbatim.
    public static func encode<T: Encodable>(_ value: T) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return .null }
        return .raw(String(decoding: data, as: UTF8.self))
    }

    public static func failure(_ f: MCPFailure) -> JSONValue {
        .object([("kind", .string(f.kind.rawValue)), ("message", .string(f.message)),
                 ("exitStatus", f.exitStatus.map { .int(Int($0)) } ?? .null), ("signal", f.signal.map { .int(Int($0)) } ?? .null),
                 ("stderr", .optional(f.stderr))])
    }
}

public enum MCPProbe {
    /// Opens a session with `target`, lists what it advertises (tools, prompts, resources), closes it.
    public static func probe(_ target: MCPServerTarget, options: MCPSessionOptions = MCPSessionOptions()) async -> MCPProbeResult {
        var result = MCPProbeResult(target: target)
        let session: MCPSession
        do {
            session = try await MCPSession.open(target, options: options)
        } catch {
            result.failure = error
            return result
        }
        result.serverInfo = session.serverInfo
        result.protocolVersion = session.protocolVersion
        result.capabilities = session.capabilities
        result.instructions = session.instructions
        result.initializeSeconds = session.initializeSeconds
        do {
            if session.capabilities.tools != nil { result.tools = try await session.tools() }
            if session.capabilities.prompts != nil { result.prompts = try await session.prompts() }
            if session.capabilities.resources != nil { result.resources = try await session.resources() }
        } catch {
            result.failure = error
        }
        await session.close()
        return result
    }

    /// Probes every target at once; one broken server does not hold up or stop the others. Results in input order.
    public static func probeAll(_ targets: [MCPServerTarget], options: MCPSessionOptions = MCPSessionOptions()) async -> [MCPProbeResult] {
        await withTaskGroup(of: (Int, MCPProbeResult).self) { group in
            for (i, t) in targets.enumerated() {
                group.addTask { (i, await probe(t, options: options)) }
            }
            var out = [MCPProbeResult?](repeating: nil, count: targets.count)
            for await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
    }
}

extension PluginHost {
    /// The composition's MCP servers as session targets (variables expanded over `environment`), in listing order.
    public func mcpTargets(_ composition: Composition,
                           environment: [String: String] = ProcessInfo.processInfo.environment) -> [MCPServerTarget] {
        composition.registry.mcpServers.map { MCPServerTarget(entry: $0, projectDir: paths.project, environment: environment) }
    }

    /// The server `name` names: a registry name (`server`, `plugin:server`), or a plugin server's bare name when
    /// one plugin has it. The active definition when several scopes define it.
    public func mcpTarget(named name: String, in composition: Composition,
                          environment: [String: String] = ProcessInfo.processInfo.environment) throws(KernelError) -> MCPServerTarget {
        let all = mcpTargets(composition, environment: environment)
        var matches = all.filter { $0.name == name }
        if matches.isEmpty { matches = all.filter { $0.pluginName != nil && $0.serverName == name } }
        let plugins = Set(matches.compactMap(\.pluginName))
        if plugins.count > 1 {
            throw KernelError(.ambiguous, "MCP server \"\(name)\" is contributed by several plugins: "
                              + matches.map(\.name).joined(separator: ", ") + "; use plugin:server")
        }
        if let active = matches.first(where: { $0.state.isActive }) ?? matches.first { return active }
        var message = "No MCP server named \"\(name)\"."
        if let near = closestMatch(name, in: all.map(\.name) + all.compactMap { $0.pluginName == nil ? nil : $0.serverName }) { message += " Did you mean '\(near)'?" }
        throw KernelError(.notFound, message)
    }
}
