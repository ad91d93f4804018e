/// `${VAR}` expansion for MCP server configs (`command`, `args`, `env`, `url`, `headers` values), as Claude Code
/// expands `.mcp.json`.
///
/// - `${VAR}` → the value of VAR when it is set (an empty value is still a value).
/// - `${VAR:-default}` → the value when VAR is set and non-empty, else `default`. The default runs to the first `}`
///   (so it may hold spaces and `$`, but never `}`) and is used as written, not expanded again:
///   `${A:-${B}}` with A unset is `${B}` (the default is `${B`, then the outer `}` stays).
/// - `$VAR` without braces is never expanded.
/// - VAR must match `[A-Za-z_][A-Za-z0-9_]*`. Anything else between `${` and the first `}` (`${}`, `${1X}`,
///   `${A-b}`, `${A:=b}`, `${A B}`) is not a reference: `${` is copied and scanning goes on right after it,
///   so a well-formed `${B}` further on still expands. An unterminated `${` is copied as is.
/// - `${VAR}` with VAR unset and no default stays as written, and VAR is reported in `missing`
///   (each name once, in order of first appearance). A reference with a default is never missing.
///
/// The one `${…}` expander of the kernel, with a policy per place that expands:
/// - `.mcp`: the rules above (MCP server configs);
/// - `.headers(allowed:)`: http hook header values: `${NAME}` (anything up to the first `}`) → the value, or
///   empty when unset or not in `allowed` (nil allows every name); no defaults;
/// - `.kernel`: only references to the kernel's own variables (`RenderContext.variableNames`) are replaced,
///   when set; everything else stays as written (exec-form hook commands and arguments, where no shell expands).
public enum VariableExpander {
    public enum Policy: Sendable {
        case mcp
        case headers(allowed: Set<String>?)
        case kernel
    }

    /// Expands `${VAR}` and `${VAR:-default}` with the `.mcp` rules.
    public static func expand(_ text: String, environment: [String: String]) -> (result: String, missing: [String]) {
        expand(text, policy: .mcp) { environment[$0] }
    }

    /// Expands `text` by `policy`, looking names up with `lookup`.
    /// - Returns: the text, and (for `.mcp`) the names that were unset.
    public static func expand(_ text: String, policy: Policy, lookup: (String) -> String?) -> (result: String, missing: [String]) {
        guard text.contains("${") else { return (text, []) }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var missing: [String] = []

        var i = 0
        while i < s.count {
            guard s[i] == "$", i + 1 < s.count, s[i + 1] == "{",
                  let close = s[(i + 2)...].firstIndex(of: "}"),
                  let reference = reference(s[(i + 2)..<close], policy: policy) else {
                out.append(s[i])
                i += 1
                continue
            }
            let value = lookup(reference.name)
            switch policy {
            case .headers(let allowed):
                if allowed == nil || allowed!.contains(reference.name) { out.append(contentsOf: (value ?? "").unicodeScalars) }
            case .kernel:
                if let value, RenderContext.variableNames.contains(reference.name) {
                    out.append(contentsOf: value.unicodeScalars)
                } else {
                    out.append(contentsOf: s[i...close])
                }
            case .mcp:
                if let fallback = reference.fallback {
                    if let value, !value.isEmpty {
                        out.append(contentsOf: value.unicodeScalars)
                    } else {
                        out.append(contentsOf: fallback.unicodeScalars)
                    }
                } else if let value {
                    out.append(contentsOf: value.unicodeScalars)
                } else {
                    out.append(contentsOf: s[i...close])
                    if !missing.contains(reference.name) { missing.append(reference.name) }
                }
            }
            i = close + 1
        }
        return (String(out), missing)
    }

    private static func reference(_ inner: ArraySlice<Unicode.Scalar>, policy: Policy) -> (name: String, fallback: String?)? {
        switch policy {
        case .headers: return (String(String.UnicodeScalarView(inner)), nil)
        case .kernel: return parse(inner).flatMap { $0.fallback == nil ? $0 : nil }
        case .mcp: return parse(inner)
        }
    }

    /// `NAME` or `NAME:-default`; nil when the text is neither.
    private static func parse(_ inner: ArraySlice<Unicode.Scalar>) -> (name: String, fallback: String?)? {
        var j = inner.startIndex
        guard j < inner.endIndex, isNameStart(inner[j]) else { return nil }
        j += 1
        while j < inner.endIndex, isNameStart(inner[j]) || (inner[j] >= "0" && inner[j] <= "9") { j += 1 }
        let name = String(String.UnicodeScalarView(inner[inner.startIndex..<j]))
        if j == inner.endIndex { return (name, nil) }
        guard inner.endIndex - j >= 2, inner[j] == ":", inner[j + 1] == "-" else { return nil }
        return (name, String(String.UnicodeScalarView(inner[(j + 2)...])))
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }
}
