/// The lenient retry of the frontmatter reader.
///
/// Real bundles hold lines such as `description: Use when: the user asks`: a plain value with `: ` inside, which
/// strict YAML rejects ("mapping values are not allowed in this context") but Claude Code and Qoder CLI load, by
/// quoting the value and parsing again. This does the same, line for line so positions stay right:
///
/// - only top-level `key: value` lines (key at column 1, made of letters, digits, `_`, `-`, `.`),
/// - whose value is plain (not quoted, not a block/flow/anchor/alias/tag indicator) and either contains `: `,
///   ends with `:`, contains ` #`, or starts with a character that cannot start a plain scalar (`@`, `` ` ``,
///   `%`, `,`, `]`, `}`, or `- `/`? `/`: `),
/// - the value is wrapped in double quotes (`\` and `"` escaped); indented continuation lines of the same plain
///   value are folded into it as YAML folds them, and left blank so later line numbers do not move.
/// - A `description` whose plain value goes on over lines at column 1 holding `<example>` blocks (Claude Code agents:
///   `Context: …`, `user: "…"`, `assistant: "…"`, `<commentary>`) takes every following line up to the next line
///   that starts a known frontmatter key (`knownKeys`); those lines are kept as lines (newlines),
///   as Claude Code shows them.
enum LenientFrontmatter {
    static let commentReason = "contains ' #'"
    static let unindentedReason = "goes on over unindented lines"

    /// The frontmatter keys of commands, skills and agents in the seeds and in Claude Code: a line at column 1
    /// starting with one of them ends a multi-line `description`.
    static let knownKeys: Set<String> = [
        "name", "description", "model", "color", "tools", "allowed-tools", "disallowedTools", "disallowed-tools",
        "argument-hint", "disable-model-invocation", "user-invocable", "license", "metadata", "compatibility",
        "hooks", "mcpServers", "permissionMode", "maxTurns", "skills", "isolation", "timeoutMins", "version",
        "effort", "memory", "background", "context", "agent", "when_to_use", "when-to-use", "initialPrompt",
        "type", "author", "tags", "category", "keep-coding-instructions", "paths", "shell", "arguments",
    ]

    struct Change: Equatable {
        var key: String
        /// Why the value needed quoting: "contains ': '", "starts with '@'"…
        var reason: String
        /// 0-based line in the YAML text.
        var line: Int
        /// 1-based column of the value.
        var column: Int
    }

    /// The rewritten YAML and the lines changed, or nil when no line qualifies (a retry would fail the same way).
    static func rewrite(_ yaml: [UInt8]) -> (yaml: [UInt8], changes: [Change])? {
        // Lines as (start, end) without the `\n`.
        var lines: [(start: Int, end: Int)] = []
        var s = 0
        while s <= yaml.count {
            var e = s
            while e < yaml.count && yaml[e] != 0x0A { e += 1 }
            lines.append((s, e))
            s = e + 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(yaml.count + 64)
        var changes: [Change] = []
        var i = 0
        while i < lines.count {
            let (start, end) = lines[i]
            let newline: [UInt8] = lines[i].end < yaml.count ? [0x0A] : []
            let unindented = continuesUnindented(yaml, lines, i)
            guard let candidate = quotable(yaml, start: start, end: end)
                    ?? (unindented ? plainValue(yaml, start: start, end: end).map { ($0.keyEnd, $0.valueStart, $0.valueEnd, unindentedReason) } : nil)
            else {
                out.append(contentsOf: yaml[start..<end])
                out.append(contentsOf: newline)
                i += 1
                continue
            }
            // Continuation lines: indented or blank lines after the key line; trailing blank ones excluded.
            var j = i + 1
            var lastContent = i
            while j < lines.count {
                let (ls, le) = lines[j]
                if isBlank(yaml, ls, le) {
                    j += 1
                    continue
                }
                guard yaml[ls] == 0x20 || yaml[ls] == 0x09 || (unindented && !startsKnownKey(yaml, ls, le)) else { break }
                lastContent = j
                j += 1
            }
            var value = Array(yaml[candidate.valueStart..<candidate.valueEnd])
            var pendingBreaks = 0
            if lastContent > i {
                for k in (i + 1)...lastContent {
                    let (ls, le) = lines[k]
                    if isBlank(yaml, ls, le) {
                        pendingBreaks += 1
                        continue
                    }
                    let t = unindented ? (start: ls, end: trimmed(yaml, ls, le).end) : trimmed(yaml, ls, le)
                    if pendingBreaks > 0 {
                        value.append(contentsOf: [UInt8](repeating: 0x0A, count: unindented ? pendingBreaks + 1 : pendingBreaks))
                    } else {
                        value.append(unindented ? 0x0A : 0x20)
                    }
                    pendingBreaks = 0
                    value.append(contentsOf: yaml[t.start..<t.end])
                }
            }
            let crlf = end > start && yaml[end - 1] == 0x0D
            out.append(contentsOf: yaml[start..<candidate.keyEnd])
            out.append(contentsOf: Array(": \"".utf8))
            for b in value {
                switch b {
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                default: out.append(b)
                }
            }
            out.append(0x22)
            if crlf { out.append(0x0D) }
            out.append(contentsOf: newline)
            changes.append(Change(key: String(decoding: yaml[start..<candidate.keyEnd], as: UTF8.self),
                                  reason: candidate.reason, line: i,
                                  column: candidate.valueStart - start + 1))
            // Keep the folded continuation lines as blank lines.
            if lastContent > i {
                for k in (i + 1)...lastContent {
                    if crlf { out.append(0x0D) }
                    if lines[k].end < yaml.count { out.append(0x0A) }
                }
            }
            i = lastContent + 1
        }
        return changes.isEmpty ? nil : (out, changes)
    }

    /// Whether line `i` is `description: <plain value>` followed (after blank lines) by a line at column 1 that
    /// does not start a known key: the multi-line description of Claude Code agents.
    private static func continuesUnindented(_ y: [UInt8], _ lines: [(start: Int, end: Int)], _ i: Int) -> Bool {
        let (start, end) = lines[i]
        guard end - start > 12, Array(y[start..<(start + 12)]) == Array("description:".utf8),
              let v = plainValue(y, start: start, end: end) else { return false }
        let first = y[v.valueStart]
        if [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "["),
            UInt8(ascii: "{"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "#")].contains(first) {
            return false
        }
        var j = i + 1
        while j < lines.count, isBlank(y, lines[j].start, lines[j].end) { j += 1 }
        guard j < lines.count else { return false }
        let (ls, le) = lines[j]
        guard y[ls] != 0x20 && y[ls] != 0x09 && !startsKnownKey(y, ls, le) else { return false }
        // Only the `<example>` shape: one of the lines before the next key holds an example or commentary tag.
        while j < lines.count {
            let (ls, le) = lines[j]
            if ls < le, y[ls] != 0x20 && y[ls] != 0x09 && startsKnownKey(y, ls, le) { break }
            let text = String(decoding: y[ls..<le], as: UTF8.self)
            if text.contains("<example>") || text.contains("</example>") || text.contains("<commentary>") { return true }
            j += 1
        }
        return false
    }

    /// `key:` at column 1 with a key of `knownKeys`.
    private static func startsKnownKey(_ y: [UInt8], _ s: Int, _ e: Int) -> Bool {
        var i = s
        while i < e && isKeyByte(y[i]) { i += 1 }
        guard i > s, i < e, y[i] == UInt8(ascii: ":"), i + 1 == e || y[i + 1] == 0x20 || y[i + 1] == 0x09 || y[i + 1] == 0x0D
        else { return false }
        return knownKeys.contains(String(decoding: y[s..<i], as: UTF8.self))
    }

    /// A top-level `key: value` line's parts (value trimmed, not empty).
    private static func plainValue(_ y: [UInt8], start: Int, end: Int) -> (keyEnd: Int, valueStart: Int, valueEnd: Int)? {
        var i = start
        guard i < end, isKeyByte(y[i]), y[i] != UInt8(ascii: "-") else { return nil }
        while i < end && isKeyByte(y[i]) { i += 1 }
        let keyEnd = i
        guard i + 1 < end, y[i] == UInt8(ascii: ":"), y[i + 1] == 0x20 || y[i + 1] == 0x09 else { return nil }
        i += 1
        while i < end && (y[i] == 0x20 || y[i] == 0x09) { i += 1 }
        var valueEnd = end
        while valueEnd > i && (y[valueEnd - 1] == 0x20 || y[valueEnd - 1] == 0x09 || y[valueEnd - 1] == 0x0D) { valueEnd -= 1 }
        return i < valueEnd ? (keyEnd, i, valueEnd) : nil
    }

    /// The key line's parts when its plain value needs quoting.
    private static func quotable(_ y: [UInt8], start: Int, end: Int)
        -> (keyEnd: Int, valueStart: Int, valueEnd: Int, reason: String)?
    {
        var i = start
        guard i < end, isKeyByte(y[i]), y[i] != UInt8(ascii: "-") else { return nil }
        while i < end && isKeyByte(y[i]) { i += 1 }
        let keyEnd = i
        guard i + 1 < end, y[i] == UInt8(ascii: ":"), y[i + 1] == 0x20 || y[i + 1] == 0x09 else { return nil }
        i += 1
        while i < end && (y[i] == 0x20 || y[i] == 0x09) { i += 1 }
        let valueStart = i
        var valueEnd = end
        while valueEnd > valueStart && (y[valueEnd - 1] == 0x20 || y[valueEnd - 1] == 0x09 || y[valueEnd - 1] == 0x0D) {
            valueEnd -= 1
        }
        guard valueStart < valueEnd else { return nil }
        let first = y[valueStart]
        switch first {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "["),
             UInt8(ascii: "{"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "#"):
            return nil
        case UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "%"), UInt8(ascii: ","), UInt8(ascii: "]"),
             UInt8(ascii: "}"):
            return (keyEnd, valueStart, valueEnd, "starts with '\(Character(Unicode.Scalar(first)))'")
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
            if valueStart + 1 == valueEnd || y[valueStart + 1] == 0x20 || y[valueStart + 1] == 0x09 {
                return (keyEnd, valueStart, valueEnd, "starts with '\(Character(Unicode.Scalar(first))) '")
            }
        default:
            break
        }
        var k = valueStart
        var hash = false
        while k < valueEnd {
            let b = y[k]
            if b == UInt8(ascii: ":") && (k + 1 == valueEnd || y[k + 1] == 0x20 || y[k + 1] == 0x09) {
                return (keyEnd, valueStart, valueEnd, k + 1 == valueEnd ? "ends with ':'" : "contains ': '")
            }
            if b == UInt8(ascii: "#") && (y[k - 1] == 0x20 || y[k - 1] == 0x09) { hash = true }
            k += 1
        }
        return hash ? (keyEnd, valueStart, valueEnd, commentReason) : nil
    }

    private static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    private static func isBlank(_ y: [UInt8], _ s: Int, _ e: Int) -> Bool {
        var i = s
        while i < e {
            if y[i] != 0x20 && y[i] != 0x09 && y[i] != 0x0D { return false }
            i += 1
        }
        return true
    }

    private static func trimmed(_ y: [UInt8], _ s: Int, _ e: Int) -> (start: Int, end: Int) {
        var a = s
        var b = e
        while a < b && (y[a] == 0x20 || y[a] == 0x09) { a += 1 }
        while b > a && (y[b - 1] == 0x20 || y[b - 1] == 0x09 || y[b - 1] == 0x0D) { b -= 1 }
        return (a, b)
    }
}
