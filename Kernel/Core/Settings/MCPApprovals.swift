/// The user's choice about one server of a project's `.mcp.json`.
public enum MCPApproval: String, Sendable, Codable, CaseIterable {
    /// Named in `mcp.enabledProjectMcpServers`, or `mcp.enableAllProjectMcpServers` is true: it may run.
    case approved
    /// Named in `mcp.disabledProjectMcpServers`: it never runs (this wins over an approval).
    case rejected
    /// Neither: it does not run until approved.
    case pending
}

/// The approvals of project `.mcp.json` servers, in the reference host's keys: an `mcp` object holding
/// `enableAllProjectMcpServers` (a boolean), `enabledProjectMcpServers` and `disabledProjectMcpServers` (lists
/// of server names). The Qoder CLI writes them in the user settings file; it reads them merged over the three
/// files (lists are the union, the boolean the most specific file's), and so does Kernel. Names compare
/// lower-cased with blanks trimmed, as the reference host compares them.
public struct MCPApprovals: Sendable, Equatable {
    /// The settings key holding the three members.
    public static let key = "mcp"
    public static let enableAllKey = "enableAllProjectMcpServers"
    public static let enabledKey = "enabledProjectMcpServers"
    public static let disabledKey = "disabledProjectMcpServers"

    public var enableAll: Bool
    /// Normalized names (`normalize`).
    public var enabled: Set<String>
    public var disabled: Set<String>

    public init(enableAll: Bool = false, enabled: Set<String> = [], disabled: Set<String> = []) {
        self.enableAll = enableAll
        self.enabled = enabled
        self.disabled = disabled
    }

    /// Merges the `mcp` objects of settings documents given least specific first (user, project, local).
    /// Values of another type than expected are ignored (non-string list items too), as the reference host does.
    public init(documents: [Node]) {
        self.init()
        for document in documents {
            guard let mcp = document[Self.key] else { continue }
            if let all = mcp[Self.enableAllKey]?.bool { enableAll = all }
            enabled.formUnion(Self.names(mcp[Self.enabledKey]).map(Self.normalize))
            disabled.formUnion(Self.names(mcp[Self.disabledKey]).map(Self.normalize))
        }
    }

    /// The choice about server `name`: rejected when listed as disabled, else approved when all are or it is
    /// listed as enabled, else pending.
    public func state(of name: String) -> MCPApproval {
        let n = Self.normalize(name)
        if disabled.contains(n) { return .rejected }
        if enableAll || enabled.contains(n) { return .approved }
        return .pending
    }

    /// Lower-cased, blanks trimmed: how names compare.
    public static func normalize(_ name: String) -> String { name.lowercased().trimmingBlanks }

    /// The string items of a list value (as written); anything else reads as empty.
    public static func names(_ node: Node?) -> [String] {
        node?.array?.compactMap(\.string) ?? []
    }
}
