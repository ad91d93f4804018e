// libFuzzer target: the command renderer. The input is the command body, a NUL, then the raw arguments.
import Glibc
import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRenderer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let cut = bytes.firstIndex(of: 0) ?? bytes.count
    let body = String(decoding: bytes[..<cut], as: UTF8.self)
    let raw = cut < bytes.count ? String(decoding: bytes[(cut + 1)...], as: UTF8.self) : ""
    let context = RenderContext(pluginRoot: "/p", pluginData: "/d", projectDir: "/w", sessionID: "s")
    _ = CommandRenderer.render(body, rawArguments: raw, context: context)
    _ = CommandRenderer.render(body, arguments: CommandRenderer.splitArguments(raw), context: context)
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzRenderer))
