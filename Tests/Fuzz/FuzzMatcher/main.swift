// libFuzzer target: the hook matcher regex engine. The input is a pattern, a NUL, then the value searched.
// Invariant: compiling and matching never trap, and finish (libFuzzer's -timeout catches a stall).
import Glibc
import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMatcher(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let cut = bytes.firstIndex(of: 0) ?? bytes.count
    let pattern = String(decoding: bytes[..<cut], as: UTF8.self)
    let value = cut < bytes.count ? String(decoding: bytes[(cut + 1)...], as: UTF8.self) : ""
    guard let r = try? MatcherRegex(pattern) else { return 0 }
    _ = r.search(value)
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzMatcher))
