import KernelCLI
import KernelNative

// `kernel-mcp`: the `kernel` command tree with the MCP Swift SDK linked in. `kernel mcp probe|call|serve` and
// `kernel mcp list --probe` exec this executable (so `kernel` itself does not link the SDK and its
// FoundationNetworking); every other command works here too, including the module scanner child.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == ModuleScanner.childCommand {
    ModuleScannerChild.main(Array(CommandLine.arguments.dropFirst(2)))
}
MCPLiveEntry.service = LiveMCP()
KernelCommand.start()
