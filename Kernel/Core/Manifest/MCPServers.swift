/// MCP server declarations: `.mcp.json` (wrapped or flat), settings' `mcpServers`, a manifest's inline servers.

public enum MCPTransport: String, Sendable, CaseIterable, Codable {
    case stdio, http, sse, ws

    /// Reads a `type` value: the four names, plus the spellings real bundles use for streamable HTTP
    /// (`streamable-http`, `streamableHttp`) and `websocket`.
    public init?(typeName: String) {
        switch typeName {
        case "stdio": self = .stdio
        case "http", "streamable-http", "streamableHttp", "streamable_http": self = .http
        case "sse": self = .sse
        case "ws", "websocket": self = .ws
        default: return nil
        }
    }
}

public struct MCPServerDefinition: Sendable, Codable {
    public var name: String
    public var transport: MCPTransport
    public var command: String?
    public var args: [String] = []
    public var env: [String: String] = [:]
    public var cwd: String?
    public var url: String?
    public var headers: [String: String] = [:]
    /// Why the server cannot run until the user configures it (an empty `url`, or a `{{USER_CONFIG}}`-style
    /// placeholder); nil when it can. Listed as inactive with this reason.
    public var needsConfiguration: String?
    /// `_setup` (`configUrl`, `guide`, `required`) of a server whose `url` the user fills in (Qoder's form).
    public var setup: MCPSetup?
    /// `"disabled": true` in its definition (what `mcp disable` writes, as the reference host does): listed as
    /// inactive, never started.
    public var disabled = false
    /// For a server of the project's `.mcp.json`: the user's choice about it (`MCPApprovals`), set when the
    /// host composes; nil for every other server. Only an approved one runs.
    public var projectApproval: MCPApproval?
    /// The server object as written.
    public var node: Node
    public var file: String
    /// Position of the server's name (its key).
    public var line: Int
    public var column: Int

    public init(name: String, transport: MCPTransport, node: Node, file: String, line: Int, column: Int) {
        self.name = name
        self.transport = transport
        self.node = node
        self.file = file
        self.line = line
        self.column = column
    }
}

extension MCPServerDefinition {
    /// Why the server does not run whatever its source's state: it needs configuration or (a project
    /// `.mcp.json` server) it is not approved. Nil when neither applies. Such a server shadows nothing.
    public var inactiveReason: String? {
        if let needsConfiguration { return needsConfiguration }
        switch projectApproval {
        case .pending: return "project server not approved (run `kernel mcp approve \(name)`)"
        case .rejected: return "project server rejected (run `kernel mcp approve \(name)` to allow it)"
        case .approved, nil: return nil
        }
    }
}

extension MCPServerDefinition {
    /// Why a disabled server does not run. A disabled definition still wins its name over less specific ones
    /// (the Qoder CLI shows the server as disabled, it does not fall back to the user's definition).
    public var disabledReason: String? {
        disabled ? "disabled (run `kernel mcp enable \(name)`)" : nil
    }
}

public enum MCPParser {
    /// `.mcp.json` in both shapes: `{"mcpServers": {...}}` and the flat `{"name": {...}}`. A root holding an
    /// `mcpServers` key is the wrapped shape; otherwise every member is a server.
    public static func parseFile(_ bytes: [UInt8], file: String, diagnostics d: inout Diagnostics) -> [MCPServerDefinition] {
        guard let root = JSONFile.read(bytes: bytes, file: file, diagnostics: &d) else { return [] }
        let r = FieldReader(file: file)
        guard r.members(root, what: "MCP configuration", &d) != nil else { return [] }
        if let wrapped = root["mcpServers"] {
            return parseServers(wrapped, file: file, diagnostics: &d)
        }
        return parseServers(root, file: file, diagnostics: &d)
    }

    /// An object mapping server names to server definitions. Invalid servers are reported and left out.
    public static func parseServers(_ node: Node, file: String, diagnostics d: inout Diagnostics) -> [MCPServerDefinition] {
        let r = FieldReader(file: file)
        guard let members = node.members else {
            r.typeError("mcpServers", expected: "an object mapping server names to servers", got: node, &d)
            return []
        }
        var out: [MCPServerDefinition] = []
        for m in members {
            if let s = parseServer(m, reader: r, &d) { out.append(s) }
        }
        return out
    }

    static let typeNames = MCPTransport.allCases.map(\.rawValue)

    static func parseServer(_ m: Node.Member, reader r: FieldReader, _ d: inout Diagnostics) -> MCPServerDefinition? {
        let name = m.key
        let node = m.value
        if name.isEmpty {
            d.error(id: "mcp.mcp_server_name_not_empty", "an MCP server name must not be empty", at: r.at(m))
            return nil
        }
        guard node.members != nil else {
            d.error(id: "mcp.mcp_server_object", "MCP server '\(name)' must be an object, got \(node.kindDescription)", at: r.at(node))
            return nil
        }
        let command = r.string(node, "command", &d)
        let url = r.string(node, "url", &d)
        var transport: MCPTransport
        if let typeNode = node["type"], !typeNode.isNull {
            guard let typeName = r.string(typeNode, label: "type", &d) else { return nil }
            guard let t = MCPTransport(typeName: typeName) else {
                d.error(id: "mcp.unknown_mcp_server_type_expected", "unknown MCP server type '\(typeName)' for '\(name)'\(didYouMean(typeName, in: typeNames)); expected one of \(typeNames.joined(separator: ", "))",
                        at: r.at(typeNode))
                return nil
            }
            transport = t
        } else if command != nil || node["command"] != nil {
            transport = .stdio
        } else if url != nil {
            d.warning(id: "mcp.mcp_server_has_url_but", "MCP server '\(name)' has 'url' but no 'type'; it is treated as \"type\": \"http\"", at: r.at(node))
            transport = .http
        } else {
            d.error(id: "mcp.mcp_server_needs_command_local", "MCP server '\(name)' needs 'command' (a local stdio server) or 'type' and 'url' (a remote server)",
                    at: r.at(node))
            return nil
        }
        var s = MCPServerDefinition(name: name, transport: transport, node: node, file: r.file,
                                    line: m.keyLine, column: m.keyColumn)
        s.command = command
        s.url = url
        s.args = r.stringArray(node, "args", &d) ?? []
        s.env = r.stringMap(node, "env", &d) ?? [:]
        s.cwd = r.string(node, "cwd", &d)
        s.headers = r.stringMap(node, "headers", &d) ?? [:]
        s.disabled = r.bool(node, "disabled", &d) ?? false
        if let setup = node["_setup"], !setup.isNull { s.setup = UserConfigParser.setup(setup, server: name, reader: r, &d) }
        switch transport {
        case .stdio:
            guard let command, !command.isEmpty else {
                if node["command"] == nil || node["command"]?.isNull == true {
                    d.error(id: "mcp.mcp_server_stdio_missing_required", "MCP server '\(name)' (stdio) is missing required key 'command'", at: r.at(node))
                } else if command?.isEmpty == true {
                    d.error(id: "mcp.mcp_server_command_not_empty", "MCP server '\(name)': 'command' must not be empty", at: r.at(node["command"]!))
                }
                return nil
            }
        case .http, .sse, .ws:
            guard let url else {
                if node["url"] == nil || node["url"]?.isNull == true {
                    d.error(id: "mcp.mcp_server_missing_required_key", "MCP server '\(name)' (\(transport.rawValue)) is missing required key 'url'", at: r.at(node))
                }
                return nil
            }
            // A placeholder the user fills in (public bundles ship these; the hosts load them): kept, inactive.
            let trimmed = url.trimmingBlanks
            if trimmed.isEmpty || (trimmed.hasPrefix("{{") && trimmed.hasSuffix("}}")) {
                let what = trimmed.isEmpty ? "'url' is empty" : "'url' is the placeholder \(trimmed)"
                s.needsConfiguration = "needs configuration: \(what)"
                d.warning(id: "mcp.url_needs_configuration", "MCP server '\(name)': \(what); it is listed as needing configuration and does not run until "
                          + "the url is set", at: r.at(node["url"]!))
            }
        }
        return s
    }
}
