// libFuzzer target: the plugin manifest parser (plugin.json), with its inline hooks and MCP servers.
import Glibc
import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var d = Diagnostics()
    if let m = ManifestParser.parse(bytes, file: "plugin.json", diagnostics: &d) {
        _ = m.inlineHooks(diagnostics: &d)
        _ = m.inlineMCPServers(diagnostics: &d)
    }
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzManifest))
