// libFuzzer target: the marketplace parser (marketplace.json).
import Glibc
import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMarketplace(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var d = Diagnostics()
    _ = MarketplaceParser.parse(Array(UnsafeBufferPointer(start: data, count: size)), file: "marketplace.json", diagnostics: &d)
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzMarketplace))
