// libFuzzer target: the hooks parser (hooks.json). Invariant: a matcher the parser accepts (no error on it)
// compiles in the engine the hook engine matches with (one engine: accepted means it can match).
import Glibc
@testable import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHooks(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var d = Diagnostics()
    let groups = HooksParser.parseHooksFile(Array(UnsafeBufferPointer(start: data, count: size)), file: "hooks.json", diagnostics: &d)
    let refused = d.items.filter { $0.severity == .error && $0.message.contains("is not a valid regular expression") }
    for g in groups {
        guard let m = g.matcher, !m.isEmpty, m != "*" else { continue }
        if refused.contains(where: { $0.message.contains("'\(m)'") }) { continue }
        if HooksParser.isPlainMatcher(m) { continue }
        guard let r = try? MatcherRegex(m) else { fatalError("the parser accepted a matcher the engine cannot compile: \(m)") }
        _ = r.search("Bash")
        _ = r.search("mcp__server__tool")
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
exit(runDriver(&argc, &argv, fuzzHooks))
