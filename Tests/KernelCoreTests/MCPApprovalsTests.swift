import Testing
import KernelCore

/// `MCPApprovals`: the reference host's `mcp` keys merged over the settings files.
@Suite struct MCPApprovalsTests {
    func document(_ json: String) throws -> Node { try JSONReader.parse(json).root }

    @Test func listsAreUnitedTheBooleanIsTheMostSpecificFilesAndRejectionWins() throws {
        let user = try document(#"{"mcp": {"enabledProjectMcpServers": ["GitHub ", 3], "enableAllProjectMcpServers": true}}"#)
        let project = try document(#"{"mcp": {"disabledProjectMcpServers": ["db"]}}"#)
        let local = try document(#"{"mcp": {"enableAllProjectMcpServers": false, "enabledProjectMcpServers": ["db", "web"]}}"#)
        let a = MCPApprovals(documents: [user, project, local])
        #expect(a == MCPApprovals(enableAll: false, enabled: ["github", "db", "web"], disabled: ["db"]))
        #expect(a.state(of: "github") == .approved)
        #expect(a.state(of: "WEB") == .approved)
        #expect(a.state(of: "db") == .rejected)
        #expect(a.state(of: "other") == .pending)
        #expect(MCPApprovals(documents: [user]).state(of: "other") == .approved)
    }

    @Test func valuesOfAnotherTypeAreIgnored() throws {
        let a = MCPApprovals(documents: [try document(#"{"mcp": {"enabledProjectMcpServers": "x", "enableAllProjectMcpServers": "yes"}}"#),
                                         try document(#"{"mcp": []}"#)])
        #expect(a == MCPApprovals())
    }

    @Test func aDisabledServerIsReadAndKeepsItsName() throws {
        var d = Diagnostics()
        let servers = MCPParser.parseServers(try document(#"{"a": {"command": "x", "disabled": true}, "b": {"command": "y"}}"#),
                                             file: "f", diagnostics: &d)
        #expect(servers.map(\.disabled) == [true, false])
        #expect(servers[0].disabledReason == "disabled (run `kernel mcp enable a`)")
        #expect(servers[1].inactiveReason == nil)
        #expect(d.items.isEmpty)
    }
}
