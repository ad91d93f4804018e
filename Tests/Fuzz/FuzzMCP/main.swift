// libFuzzer target: the MCP servers parser (.mcp.json, both shapes).
import Glibc
import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var d = Diagnostics()
    _ = MCPParser.parseFile(Array(UnsafeBufferPointer(start: data, count: size)), file: ".mcp.json", diagnostics: &d)
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzMCP))
