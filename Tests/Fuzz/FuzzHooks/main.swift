// libFuzzer target: the hooks parser (hooks.json). Invariant: a matcher the parser accepts (no error on it)
// compiles in the engine the hook engine matches with (one engine: accepted means it can match).
import FuzzSupport
@testable import KernelCore

fuzz { bytes in
    var d = Diagnostics()
    let groups = HooksParser.parseHooksFile(bytes, file: "hooks.json", diagnostics: &d)
    let refused = d.items.filter { $0.severity == .error && $0.message.contains("is not a valid regular expression") }
    for g in groups {
        guard let m = g.matcher, !m.isEmpty, m != "*" else { continue }
        if refused.contains(where: { $0.message.contains("'\(m)'") }) { continue }
        if HooksParser.isPlainMatcher(m) { continue }
        guard let r = try? MatcherRegex(m) else { fatalError("the parser accepted a matcher the engine cannot compile: \(m)") }
        _ = r.search("Bash")
        _ = r.search("mcp__server__tool")
    }
}
