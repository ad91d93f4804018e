/// What a host knows when it renders a command body; `nil` means unknown, and the placeholder stays as written.
public struct RenderContext: Sendable, Equatable {
    public var pluginRoot: String?
    public var pluginData: String?
    public var projectDir: String?
    public var sessionID: String?

    public init(pluginRoot: String? = nil, pluginData: String? = nil, projectDir: String? = nil, sessionID: String? = nil) {
        self.pluginRoot = pluginRoot
        self.pluginData = pluginData
        self.projectDir = projectDir
        self.sessionID = sessionID
    }

    /// The kernel's own variables, both spellings: what command bodies, exec-form hooks and MCP configs
    /// substitute, and what hook and MCP processes get in their environment.
    public static let variableNames: Set<String> = [
        "QODER_PLUGIN_ROOT", "CLAUDE_PLUGIN_ROOT", "QODER_PLUGIN_DATA", "CLAUDE_PLUGIN_DATA",
        "QODER_PROJECT_DIR", "CLAUDE_PROJECT_DIR", "QODER_SESSION_ID", "CLAUDE_SESSION_ID",
    ]

    /// The value of one of the kernel's variables; nil when it is not one or is not set here.
    public func variable(_ name: String) -> String? {
        switch name {
        case "QODER_PLUGIN_ROOT", "CLAUDE_PLUGIN_ROOT": pluginRoot
        case "QODER_PLUGIN_DATA", "CLAUDE_PLUGIN_DATA": pluginData
        case "QODER_PROJECT_DIR", "CLAUDE_PROJECT_DIR": projectDir
        case "QODER_SESSION_ID", "CLAUDE_SESSION_ID": sessionID
        default: nil
        }
    }

    /// `base` with the kernel's variables that are set (both spellings) added: the environment of hook and MCP
    /// processes.
    public func environment(over base: [String: String] = [:]) -> [String: String] {
        var env = base
        for name in Self.variableNames {
            if let value = variable(name) { env[name] = value }
        }
        return env
    }
}

/// Turns a command body plus the arguments of `/cmd args…` into the prompt the host submits.
///
/// Rules (one left-to-right pass, so text coming from an argument or a context value is never expanded again):
/// - `$ARGUMENTS` → the whole argument string. It is matched as plain text, like Claude Code's `replaceAll`,
///   so `$ARGUMENTSfoo` becomes `<args>foo`.
/// - `$ARGUMENTS[N]` → argument N (0-based). A malformed index (`$ARGUMENTS[x]`, `$ARGUMENTS[`) is not an index:
///   `$ARGUMENTS` expands and the bracket text stays.
/// - `$N` → argument N (0-based, `$0` is the first). The digit run is maximal (`$10` is argument 10) and must not be
///   followed by an ASCII word character: `$1abc` and `$1_x` stay literal.
/// - Out-of-range indices (also ones too large for `Int`) give the empty string. With no arguments at all,
///   placeholders still expand (to the empty string) so the model never sees a bare `$ARGUMENTS`.
/// - `$` not starting a placeholder is copied; `$$1` is `$` followed by `$1`. There is no escape: `\$ARGUMENTS`
///   is a backslash followed by the expanded arguments (Claude Code has none either).
/// - When the body holds no argument placeholder and the argument string is non-empty, the prompt is the body
///   followed by `"\n\nARGUMENTS: <args>"`.
/// - `${QODER_PLUGIN_ROOT}` / `${CLAUDE_PLUGIN_ROOT}`, `…_PLUGIN_DATA`, `…_PROJECT_DIR`, `…_SESSION_ID` (braces only)
///   → the context value when it is non-nil; otherwise, and for any other `${…}`, the text stays as written.
public enum CommandRenderer {
    /// Renders with already split arguments; `$ARGUMENTS` is them joined by single spaces.
    public static func render(_ body: String, arguments: [String], context: RenderContext) -> String {
        render(body, whole: arguments.joined(separator: " "), items: arguments, context: context)
    }

    /// Renders from the raw text typed after the command name: `$ARGUMENTS` is that text with surrounding
    /// whitespace trimmed (quotes kept, as typed), and the indexed forms use `splitArguments(raw)`.
    public static func render(_ body: String, rawArguments raw: String, context: RenderContext) -> String {
        render(body, whole: trimWhitespace(raw), items: splitArguments(raw), context: context)
    }

    /// Shell-like splitting of a raw argument string.
    ///
    /// - Unquoted whitespace (space, tab, newline, CR) separates arguments; runs of it count once.
    /// - `'…'` groups literally (no escapes inside). `"…"` groups; inside it a backslash escapes only
    ///   `"`, `\`, `$` and `` ` `` (POSIX), any other backslash is kept, so `"C:\dir"` survives.
    /// - Outside quotes a backslash makes the next character literal (`a\ b` is one argument `a b`).
    ///   Backslash-newline is a line continuation (both removed), inside or outside double quotes.
    /// - Quoted parts and plain text next to each other join into one argument (`a"b c"d` → `ab cd`);
    ///   `""` and `''` give an empty argument.
    /// - Lenient with bad input: an unterminated quote runs to the end, a trailing lone backslash is kept.
    public static func splitArguments(_ raw: String) -> [String] {
        var result: [String] = []
        var current = String.UnicodeScalarView()
        var inToken = false
        let s = Array(raw.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            switch c {
            case " ", "\t", "\n", "\r":
                if inToken {
                    result.append(String(current))
                    current = String.UnicodeScalarView()
                    inToken = false
                }
                i += 1
            case "'":
                inToken = true
                i += 1
                while i < s.count, s[i] != "'" {
                    current.append(s[i])
                    i += 1
                }
                i += 1 // closing quote (or past the end)
            case "\"":
                inToken = true
                i += 1
                while i < s.count, s[i] != "\"" {
                    if s[i] == "\\", i + 1 < s.count {
                        let next = s[i + 1]
                        if next == "\n" {
                            i += 2
                            continue
                        }
                        if next == "\"" || next == "\\" || next == "$" || next == "`" {
                            current.append(next)
                            i += 2
                            continue
                        }
                    }
                    current.append(s[i])
                    i += 1
                }
                i += 1
            case "\\":
                if i + 1 < s.count {
                    if s[i + 1] != "\n" {
                        current.append(s[i + 1])
                        inToken = true
                    }
                    i += 2
                } else {
                    current.append(c)
                    inToken = true
                    i += 1
                }
            default:
                current.append(c)
                inToken = true
                i += 1
            }
        }
        if inToken { result.append(String(current)) }
        return result
    }

    // MARK: - Implementation

    private static let argumentsWord = Array("ARGUMENTS".unicodeScalars)

    private static func render(_ body: String, whole: String, items: [String], context: RenderContext) -> String {
        let s = Array(body.unicodeScalars)
        var out = String.UnicodeScalarView()
        var sawArgumentPlaceholder = false

        func item(_ digits: ArraySlice<Unicode.Scalar>) -> String {
            guard let n = Int(String(String.UnicodeScalarView(digits))), n < items.count else { return "" }
            return items[n]
        }

        var i = 0
        while i < s.count {
            guard s[i] == "$", i + 1 < s.count else {
                out.append(s[i])
                i += 1
                continue
            }
            let next = s[i + 1]
            if next == "A", matches(argumentsWord, in: s, at: i + 1) {
                sawArgumentPlaceholder = true
                let afterWord = i + 1 + argumentsWord.count
                if afterWord < s.count, s[afterWord] == "[" {
                    let digitsEnd = digitRunEnd(s, from: afterWord + 1)
                    if digitsEnd > afterWord + 1, digitsEnd < s.count, s[digitsEnd] == "]" {
                        out.append(contentsOf: item(s[(afterWord + 1)..<digitsEnd]).unicodeScalars)
                        i = digitsEnd + 1
                        continue
                    }
                }
                out.append(contentsOf: whole.unicodeScalars)
                i = afterWord
                continue
            }
            if isDigit(next) {
                let end = digitRunEnd(s, from: i + 1)
                if end == s.count || !isWordCharacter(s[end]) {
                    sawArgumentPlaceholder = true
                    out.append(contentsOf: item(s[(i + 1)..<end]).unicodeScalars)
                    i = end
                    continue
                }
                // `$1abc`: copy it whole so the digits are not looked at again.
                out.append(contentsOf: s[i..<end])
                i = end
                continue
            }
            if next == "{", let close = s[(i + 2)...].firstIndex(of: "}") {
                let name = String(String.UnicodeScalarView(s[(i + 2)..<close]))
                if let value = context.variable(name) {
                    out.append(contentsOf: value.unicodeScalars)
                    i = close + 1
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }

        var result = String(out)
        if !sawArgumentPlaceholder, !whole.isEmpty {
            result += "\n\nARGUMENTS: " + whole
        }
        return result
    }


    private static func matches(_ word: [Unicode.Scalar], in s: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + word.count <= s.count else { return false }
        for k in 0..<word.count where s[start + k] != word[k] { return false }
        return true
    }

    private static func digitRunEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var j = start
        while j < s.count, isDigit(s[j]) { j += 1 }
        return j
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    private static func trimWhitespace(_ s: String) -> String {
        let ws: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !ws.contains($0) }),
              let last = scalars.lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
