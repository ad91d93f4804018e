// libFuzzer target: the hook engine's field scanner. Invariant: wherever JSONReader accepts the input, the
// scan agrees with it (the last of duplicate keys, escaped keys, the BOM), at the top level and in
// `tool_input`; and `isObject` agrees with the reader's root kind.
import FuzzSupport
import KernelCore
@testable import KernelHooks

fuzz { bytes in
    let scan = JSONScan(bytes: bytes)
    for key in ["tool_name", "session_id", "a"] { _ = scan.string(key) }  // never traps, whatever the input
    guard let root = try? JSONReader.parse(bytes).root else { return }
    guard scan.isObject == (root.members != nil) else { fatalError("isObject disagrees with the reader") }
    guard let members = root.members else { return }
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
}
