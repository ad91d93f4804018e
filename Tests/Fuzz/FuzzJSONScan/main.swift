// libFuzzer target: the hook engine's field scanner. Invariant: wherever JSONReader accepts the input, the
// scan agrees with it (the last of duplicate keys, escaped keys, the BOM), at the top level and in
// `tool_input`; and `isObject` agrees with the reader's root kind.
import Glibc
import KernelCore
@testable import KernelHooks

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzJSONScan(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let scan = JSONScan(bytes: bytes)
    for key in ["tool_name", "session_id", "a"] { _ = scan.string(key) }  // never traps, whatever the input
    guard let root = try? JSONReader.parse(bytes).root else { return 0 }
    guard scan.isObject == (root.members != nil) else { fatalError("isObject disagrees with the reader") }
    guard let members = root.members else { return 0 }
    var keys = Set(members.prefix(16).map(\.key))
    keys.formUnion(["tool_name", "tool_input", "session_id"])
    for key in keys {
        guard scan.string(key) == root[key]?.string else { fatalError("scan.string(\(key)) disagrees with the reader") }
        guard (scan.value(key) == nil) == (root[key] == nil) else { fatalError("scan.value(\(key)) disagrees with the reader") }
    }
    if let inner = root["tool_input"], let innerMembers = inner.members, let range = scan.value("tool_input") {
        for key in Set(innerMembers.prefix(16).map(\.key)).union(["command", "file_path"]) {
            guard scan.string(key, in: range) == inner[key]?.string else {
                fatalError("scan.string(\(key), in: tool_input) disagrees with the reader")
            }
        }
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
exit(runDriver(&argc, &argv, fuzzJSONScan))
