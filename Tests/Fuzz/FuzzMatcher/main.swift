// libFuzzer target: the hook matcher regex engine. The input is a pattern, a NUL, then the value searched.
// Invariant: compiling and matching never trap, and finish (libFuzzer's -timeout catches a stall).
import FuzzSupport
import KernelCore

fuzz { bytes in
    let (pattern, value) = splitAtNUL(bytes)
    guard let r = try? MatcherRegex(pattern) else { return }
    _ = r.search(value)
}
