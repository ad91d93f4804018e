/// An MCP server as a client would start it: `${VAR}` and `${VAR:-default}` expanded (`VariableExpander`
/// policy `.mcp`) in command, args, url, env and header values, over an environment holding the kernel's
/// variables (project folder; plugin root and data folder for plugin servers).
public struct ExpandedMCPServer: Sendable {
    public var server: MCPServerDefinition
    public var command: String?
    public var args: [String]
    public var url: String?
    /// Sorted by name.
    public var env: [(name: String, value: String)]
    /// Sorted by name.
    public var headers: [(name: String, value: String)]
    /// Variables referenced without a default and unset, each once, in order of first appearance.
    public var missingVariables: [String]

    /// - Parameters:
    ///   - context: the plugin's folders (for plugin servers) and the project folder.
    ///   - environment: the process environment the variables come from, before the kernel's own are added.
    public init(_ server: MCPServerDefinition, context: RenderContext, environment base: [String: String]) {
        let environment = context.environment(over: base)
        var missing: [String] = []
        func x(_ text: String) -> String {
            let r = VariableExpander.expand(text, environment: environment)
            missing += r.missing
            return r.result
        }
        self.server = server
        command = server.command.map(x)
        args = server.args.map(x)
        url = server.url.map(x)
        env = server.env.sorted { $0.key < $1.key }.map { ($0.key, x($0.value)) }
        headers = server.headers.sorted { $0.key < $1.key }.map { ($0.key, x($0.value)) }
        var seen = Set<String>()
        missingVariables = missing.filter { seen.insert($0).inserted }
    }

    /// One line: `http <url>`, or the command and its arguments.
    public var summary: String {
        url.map { "\(server.transport.rawValue) \($0)" } ?? ([command ?? ""] + args).joined(separator: " ")
    }

    /// `mcp list --json`'s own fields (before provenance).
    public var fields: [(String, JSONValue)] {
        [
            ("type", .string(server.transport.rawValue)),
            ("command", .optional(command)), ("args", .strings(args)), ("url", .optional(url)),
            ("env", .object(env.map { ($0.name, .string($0.value)) })),
            ("headers", .object(headers.map { ($0.name, .string($0.value)) })),
            ("missingVariables", .strings(missingVariables)),
            ("disabled", .bool(server.disabled)),
            // approved, rejected or pending for a server of the project's .mcp.json; null for the others.
            ("approval", .optional(server.projectApproval?.rawValue)),
        ]
    }
}
