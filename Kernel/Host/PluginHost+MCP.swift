import Foundation
public import KernelCore

/// `kernel mcp add|add-json|remove|get`: the files and keys the reference host edits — `mcpServers` in the user
/// and local settings files, the project's `.mcp.json` (`{"mcpServers": {…}}`) for project scope.
extension PluginHost {
    /// The file holding scope's MCP servers.
    public func mcpFile(_ scope: Scope) -> String {
        scope == .project ? paths.projectMCPFile : paths.settingsFile(scope)
    }

    /// The server object `mcp add` writes, in the reference host's shape: stdio `{"command", "args"?, "env"?}`,
    /// remote `{"type", "url", "headers"?}`.
    /// - Parameters:
    ///   - transport: `stdio`, `sse`, `http` or `ws`; nil is stdio unless the target is an http(s)/ws(s) URL.
    ///   - target: the command and its arguments, or one URL.
    ///   - env: `KEY=VALUE` items; headers: `Name: value` items.
    public static func mcpServerConfig(transport: String?, target: [String], env: [String], headers: [String]) throws(KernelError) -> JSONValue {
        guard let first = target.first, !first.isEmpty else {
            throw KernelError(.invalidInput, "mcp add needs a command (stdio) or a URL (sse, http, ws) after the name, "
                              + "e.g. `kernel mcp add NAME -- npx -y server` or `kernel mcp add NAME -t http https://host/mcp`")
        }
        let looksLikeURL = ["http://", "https://", "ws://", "wss://"].contains { first.lowercased().hasPrefix($0) }
        let type = transport ?? (looksLikeURL && target.count == 1 ? (first.lowercased().hasPrefix("ws") ? "ws" : "http") : "stdio")
        guard ["stdio", "sse", "http", "ws"].contains(type) else {
            throw KernelError(.invalidInput, "unknown transport '\(type)'; use stdio, sse, http or ws")
        }
        var envPairs: [(String, JSONValue)] = []
        for item in env {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw KernelError(.invalidInput, "environment variable '\(item)' is not KEY=VALUE")
            }
            envPairs.append((String(item[..<eq]), .string(String(item[item.index(after: eq)...]))))
        }
        var headerPairs: [(String, JSONValue)] = []
        for item in headers {
            guard let colon = item.firstIndex(of: ":"), colon != item.startIndex else {
                throw KernelError(.invalidInput, "header '\(item)' is not \"Name: value\"")
            }
            headerPairs.append((String(item[..<colon]).trimmingCharacters(in: .whitespaces), .string(String(item[item.index(after: colon)...]).trimmingCharacters(in: .whitespaces))))
        }
        if type == "stdio" {
            if looksLikeURL {
                throw KernelError(.invalidInput, "'\(first)' is a URL, but the transport is stdio, which runs a command; "
                                  + "use -t http, -t sse or -t ws for a remote server")
            }
            if !headerPairs.isEmpty { throw KernelError(.invalidInput, "headers (-H) apply to remote servers only, not to stdio") }
            var members: [(String, JSONValue)] = [("command", .string(first))]
            if target.count > 1 { members.append(("args", .strings(Array(target.dropFirst())))) }
            if !envPairs.isEmpty { members.append(("env", .object(envPairs))) }
            return .object(members)
        }
        guard target.count == 1, looksLikeURL else {
            throw KernelError(.invalidInput, "a \(type) server takes one URL (http://, https://, ws:// or wss://), got '\(target.joined(separator: " "))'")
        }
        var members: [(String, JSONValue)] = [("type", .string(type)), ("url", .string(first))]
        if !headerPairs.isEmpty { members.append(("headers", .object(headerPairs))) }
        if !envPairs.isEmpty { members.append(("env", .object(envPairs))) }
        return .object(members)
    }

    /// Parses `mcp add-json`'s JSON: a syntax error names its line and column; the server must be valid.
    public static func mcpServerConfig(json: String, name: String) throws(KernelError) -> JSONValue {
        let node: Node
        do {
            node = try JSONReader.parse(json).root
        } catch {
            throw KernelError(.invalidInput, "invalid JSON at line \(error.line), column \(error.column): \(error.message)",
                              diagnostics: [Diagnostic(id: "mcp.add_json_syntax", .error, error.message,
                                                       at: SourceLocation(file: "<json>", line: error.line, column: error.column))])
        }
        guard node.members != nil else {
            throw KernelError(.invalidInput, "the server JSON must be an object, got \(node.kindDescription)")
        }
        return node.json
    }

    /// Adds (or replaces) server `name` at `scope`, after checking it reads as a valid server.
    /// - Returns: the file written.
    @discardableResult
    public func addMCPServer(_ name: String, config: JSONValue, scope: Scope) throws(KernelError) -> String {
        guard !name.isEmpty, !name.contains(":") else {
            throw KernelError(.invalidInput, "MCP server name '\(name)' must not be empty or contain ':'")
        }
        let text = JSONValue.object([(name, config)]).serialized(pretty: false)
        var diagnostics = Diagnostics()
        if let root = try? JSONReader.parse(text).root {
            _ = MCPParser.parseServers(root, file: "<\(name)>", diagnostics: &diagnostics)
        }
        let errors = diagnostics.items.filter { $0.severity == .error }
        if !errors.isEmpty {
            throw KernelError(.invalidInput, "MCP server '\(name)' is not valid: " + errors.map(\.message).joined(separator: "; "),
                              diagnostics: errors)
        }
        let file = mcpFile(scope)
        do {
            try SettingsFile.update(file, keyPath: ["mcpServers", name], value: config)
        } catch {
            throw KernelError(settings: error)
        }
        return file
    }

    /// The scopes whose files define server `name`, most specific first, with the definition.
    public func mcpDefinitions(named name: String) throws(KernelError) -> [(scope: Scope, file: String, server: Node)] {
        var found: [(scope: Scope, file: String, server: Node)] = []
        for scope in [Scope.local, .project, .user] {
            let file = mcpFile(scope)
            let document: Node
            do { document = try SettingsFile.read(file) } catch { throw KernelError(settings: error) }
            if let server = document["mcpServers"]?[name] { found.append((scope, file, server)) }
        }
        return found
    }

    /// The scopes whose files define server `name`, most specific first; with `scope`, that one alone.
    /// - Throws: `notFound` when none does (with a suggestion), or `scope`'s file does not (naming the scopes
    ///   that do).
    func mcpScopes(defining name: String, in scope: Scope?) throws(KernelError) -> [Scope] {
        let found = try mcpDefinitions(named: name).map(\.scope)
        guard let scope else {
            guard !found.isEmpty else { throw KernelError(.notFound, try unknownMCPServerMessage(name)) }
            return found
        }
        guard found.contains(scope) else {
            throw KernelError(.notFound, "No MCP server \"\(name)\" in \(scope.rawValue) scope (\(mcpFile(scope)))"
                              + (found.isEmpty ? "." : "; it is defined in: \(found.map(\.rawValue).joined(separator: ", "))."))
        }
        return [scope]
    }

    /// Removes server `name` from `scope`, else from the one scope that defines it (several: ambiguous).
    /// - Returns: the scope removed from.
    @discardableResult
    public func removeMCPServer(_ name: String, scope: Scope?) throws(KernelError) -> Scope {
        let found = try mcpScopes(defining: name, in: scope)
        guard found.count == 1 else {
            throw KernelError(.ambiguous, "MCP server \"\(name)\" is defined in several scopes (\(found.map(\.rawValue).joined(separator: ", "))); "
                              + "choose one with -s")
        }
        let target = found[0]
        do { try SettingsFile.update(mcpFile(target), keyPath: ["mcpServers", name], value: nil) } catch {
            throw KernelError(settings: error)
        }
        return target
    }

    /// "No MCP server named …", with a suggestion among the configured ones.
    public func unknownMCPServerMessage(_ name: String) throws(KernelError) -> String {
        var names: [String] = []
        for scope in Scope.allCases {
            let document: Node
            do { document = try SettingsFile.read(mcpFile(scope)) } catch { throw KernelError(settings: error) }
            names += document["mcpServers"]?.members?.map(\.key) ?? []
        }
        var message = "No MCP server named \"\(name)\" in the user, project or local configuration."
        if let near = closestMatch(name, in: names) { message += " Did you mean '\(near)'?" }
        return message
    }
}

/// `kernel mcp enable|disable` and the approvals of project `.mcp.json` servers (`mcp approve|reject`,
/// `mcp reset-project-choices`), in the reference host's keys: `"disabled": true` in the server's definition;
/// the `mcp` object of the user settings (`MCPApprovals`).
extension PluginHost {
    /// Disables (`"disabled": true`) or enables (the key removed) server `name` in `scope`, else in the most
    /// specific scope that defines it (the definition that takes effect), as the Qoder CLI does.
    /// - Returns: the scope edited.
    @discardableResult
    public func setMCPServerDisabled(_ name: String, _ disabled: Bool, scope: Scope?) throws(KernelError) -> Scope {
        let target = try mcpScopes(defining: name, in: scope)[0]
        do {
            try SettingsFile.update(mcpFile(target), keyPath: ["mcpServers", name, "disabled"], value: disabled ? .bool(true) : nil)
        } catch {
            throw KernelError(settings: error)
        }
        return target
    }

    /// The names of the servers in the project's `.mcp.json` (wrapped or flat), as written.
    public func projectMCPServerNames() throws(KernelError) -> [String] {
        let document: Node
        do { document = try SettingsFile.read(paths.projectMCPFile) } catch { throw KernelError(settings: error) }
        return (document["mcpServers"] ?? document).members?.map(\.key) ?? []
    }

    /// Approves (`approved`) or rejects (`rejected`) server `name` of the project's `.mcp.json`: the name goes
    /// into `mcp.enabledProjectMcpServers` (or `disabledProjectMcpServers`) of the user settings and out of the
    /// other list, as the Qoder CLI records the choice. `pending` is not a choice to record (use
    /// `resetProjectMCPChoices`).
    /// - Returns: the settings file written.
    /// - Throws: `notFound` when the project's `.mcp.json` has no such server (with a suggestion).
    @discardableResult
    public func setProjectMCPApproval(_ name: String, _ approval: MCPApproval) throws(KernelError) -> String {
        let names = try projectMCPServerNames()
        guard let written = names.first(where: { MCPApprovals.normalize($0) == MCPApprovals.normalize(name) }) else {
            var message = FileSystem.isFile(paths.projectMCPFile)
                ? "No server \"\(name)\" in the project's .mcp.json (\(paths.projectMCPFile))."
                : "This project has no .mcp.json (\(paths.projectMCPFile)): only its servers need approval."
            if let near = closestMatch(name, in: names) { message += " Did you mean '\(near)'?" }
            throw KernelError(.notFound, message)
        }
        let (add, drop) = approval == .rejected ? (MCPApprovals.disabledKey, MCPApprovals.enabledKey)
                                                : (MCPApprovals.enabledKey, MCPApprovals.disabledKey)
        let file = paths.settingsFile(.user)
        let n = MCPApprovals.normalize(written)
        try editUserSettings { document in
            let mcp = document[MCPApprovals.key]
            let kept = MCPApprovals.names(mcp?[drop]).filter { MCPApprovals.normalize($0) != n }
            var listed = MCPApprovals.names(mcp?[add])
            if !listed.contains(where: { MCPApprovals.normalize($0) == n }) { listed.append(written) }
            return [([MCPApprovals.key, drop], .strings(kept)), ([MCPApprovals.key, add], .strings(listed))]
        }
        return file
    }

    /// `mcp.enableAllProjectMcpServers: true` in the user settings: every project server is approved unless
    /// rejected. Returns the file written.
    @discardableResult
    public func approveAllProjectMCPServers() throws(KernelError) -> String {
        try editUserSettings { _ in [([MCPApprovals.key, MCPApprovals.enableAllKey], .bool(true))] }
        return paths.settingsFile(.user)
    }

    /// Forgets every approval and rejection (both lists emptied, `enableAllProjectMcpServers` false), as the
    /// Qoder CLI's `mcp reset-project-choices` writes them. Returns the file written.
    @discardableResult
    public func resetProjectMCPChoices() throws(KernelError) -> String {
        try editUserSettings { _ in
            [([MCPApprovals.key, MCPApprovals.enabledKey], .strings([])),
             ([MCPApprovals.key, MCPApprovals.disabledKey], .strings([])),
             ([MCPApprovals.key, MCPApprovals.enableAllKey], .bool(false))]
        }
        return paths.settingsFile(.user)
    }

    private func editUserSettings(_ edits: (Node) -> [SettingsFile.Edit]) throws(KernelError) {
        do {
            try SettingsFile.update(paths.settingsFile(.user)) { document in edits(document) }
        } catch let error as SettingsError {
            throw KernelError(settings: error)
        } catch {
            throw KernelError(.io, wrapping: error)
        }
    }
}
