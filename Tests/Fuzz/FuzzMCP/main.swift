// libFuzzer target: the MCP servers parser (.mcp.json, both shapes).
import FuzzSupport
import KernelCore

fuzz { bytes in
    var d = Diagnostics()
    _ = MCPParser.parseFile(bytes, file: ".mcp.json", diagnostics: &d)
}
