/// gitignore-style path patterns, as rule `glob`/`paths` use them.
///
/// A pattern list is matched against a path relative to a base folder (`src/api/users.ts`):
/// - `*` matches any run of characters except `/`, `?` one character except `/`, `[a-z]`/`[!a-z]` a class;
///   `\x` is `x` literally.
/// - A pattern holding a `/` at its start or middle is anchored at the base (`/*.md`, `src/*.ts`); one without
///   matches at any depth (`*.md` is `**/*.md`).
/// - `**/` matches any number of folders (none included), `/**` everything inside, `/**/` zero or more folders.
/// - A trailing `/` matches folders only; a folder that matches makes every path under it match.
/// - `!pattern` re-includes what an earlier pattern matched; the last matching pattern decides. `#…` is a comment.
public struct GitignoreGlob: Sendable, Equatable {
    /// One pattern as written and as compiled.
    public struct Pattern: Sendable, Equatable {
        public var source: String
        public var negated: Bool
        var directoryOnly: Bool
        var segments: [Segment]
    }

    enum Segment: Sendable, Equatable {
        case anyDepth
        case component([Token])
    }

    enum Token: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case anyRun
        case anyOne
        case set([ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    public private(set) var patterns: [Pattern]

    /// Compiles `sources`; a pattern that cannot be compiled (an unclosed `[`, an empty pattern) is left out
    /// (`problem(in:)` says why).
    public init(_ sources: [String]) {
        var compiled: [Pattern] = []
        for source in sources {
            if case .success(let p) = Self.compile(source) { compiled.append(p) }
        }
        patterns = compiled
    }

    /// Why `source` is not a usable pattern, or nil when it is.
    public static func problem(in source: String) -> String? {
        switch compile(source) {
        case .success: nil
        case .failure(let error): error.reason
        }
    }

    struct CompileError: Error { var reason: String }

    static func compile(_ source: String) -> Result<Pattern, CompileError> {
        var text = Substring(source)
        // Trailing unescaped spaces are not part of a gitignore pattern.
        while text.hasSuffix(" ") && !text.hasSuffix("\\ ") { text = text.dropLast() }
        if text.isEmpty { return .failure(CompileError(reason: "the pattern is empty")) }
        if text.hasPrefix("#") { return .failure(CompileError(reason: "a pattern starting with '#' is a comment (write \\# for a literal #)")) }
        var negated = false
        if text.hasPrefix("!") { negated = true; text = text.dropFirst() }
        if text.hasPrefix("\\!") || text.hasPrefix("\\#") { text = text.dropFirst() }
        var directoryOnly = false
        if text.hasSuffix("/") && !text.hasSuffix("\\/") {
            directoryOnly = true
            while text.hasSuffix("/") { text = text.dropLast() }
        }
        if text.isEmpty { return .failure(CompileError(reason: "the pattern names no path")) }
        let anchored = text.dropLast().contains("/")
        if text.hasPrefix("/") { text = text.drop { $0 == "/" } }
        var segments: [Segment] = anchored ? [] : [.anyDepth]
        for part in text.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "**" {
                if segments.last != .anyDepth { segments.append(.anyDepth) }
                continue
            }
            switch tokens(part) {
            case .success(let t): segments.append(.component(t))
            case .failure(let e): return .failure(e)
            }
        }
        if segments.allSatisfy({ $0 == .anyDepth }) {
            return .failure(CompileError(reason: "'\(source)' matches every path"))
        }
        return .success(Pattern(source: source, negated: negated, directoryOnly: directoryOnly, segments: segments))
    }

    static func tokens(_ part: Substring) -> Result<[Token], CompileError> {
        let scalars = Array(part.unicodeScalars)
        var out: [Token] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\\":
                i += 1
                if i < scalars.count { out.append(.literal(scalars[i])) } else { out.append(.literal("\\")) }
            case "*":
                if out.last != .anyRun { out.append(.anyRun) }
            case "?":
                out.append(.anyOne)
            case "[":
                var j = i + 1
                var negated = false
                if j < scalars.count, scalars[j] == "!" || scalars[j] == "^" { negated = true; j += 1 }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                var closed = false
                while j < scalars.count {
                    var lo = scalars[j]
                    if lo == "]" && !first { closed = true; break }
                    first = false
                    if lo == "\\", j + 1 < scalars.count { j += 1; lo = scalars[j] }
                    if j + 2 < scalars.count, scalars[j + 1] == "-", scalars[j + 2] != "]" {
                        var hi = scalars[j + 2]
                        j += 2
                        if hi == "\\", j + 1 < scalars.count { j += 1; hi = scalars[j] }
                        if hi < lo { return .failure(CompileError(reason: "the range \(lo)-\(hi) in '\(part)' is reversed")) }
                        ranges.append(lo...hi)
                    } else {
                        ranges.append(lo...lo)
                    }
                    j += 1
                }
                if !closed { return .failure(CompileError(reason: "'[' in '\(part)' is not closed")) }
                out.append(.set(ranges, negated: negated))
                i = j
            default:
                out.append(.literal(c))
            }
            i += 1
        }
        return .success(out)
    }

    /// True when `path` (relative to the base, `/`-separated, no leading `/`) is matched: the last pattern that
    /// matches it or one of its parent folders is not a negation. Paths leaving the base (`../x`) never match.
    public func matches(_ path: String, isDirectory: Bool = false) -> Bool {
        matches(components: Self.components(path), isDirectory: isDirectory)
    }

    /// `path` split for `matches(components:)`: to match one path against many globs, split it once. Empty for a
    /// path that leaves the base (a `..` component), which nothing matches.
    public static func components(_ path: String) -> [[Unicode.Scalar]] {
        var out: [[Unicode.Scalar]] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == ".." { return [] }
            out.append(Array(part.unicodeScalars))
        }
        return out
    }

    /// `matches(_:isDirectory:)` for a path already split by `components(_:)`.
    public func matches(components: [[Unicode.Scalar]], isDirectory: Bool = false) -> Bool {
        matches(components: components[...], isDirectory: isDirectory)
    }

    /// The same for a suffix of such a split: the path relative to a deeper base.
    public func matches(components: ArraySlice<[Unicode.Scalar]>, isDirectory: Bool = false) -> Bool {
        if components.isEmpty { return false }
        var result = false
        for pattern in patterns where pattern.negated == result {
            if Self.matches(pattern, components, isDirectory: isDirectory) { result = !pattern.negated }
        }
        return result
    }

    static func matches(_ pattern: Pattern, _ components: ArraySlice<[Unicode.Scalar]>, isDirectory: Bool) -> Bool {
        let last = components.endIndex - 1
        // `**/name` (`*.ts`, `**/*.test.ts`): the path or a parent folder matches when one component does.
        if pattern.segments.count == 2, pattern.segments[0] == .anyDepth, case .component(let tokens) = pattern.segments[1] {
            for i in components.indices where !pattern.directoryOnly || i < last || isDirectory {
                if matchName(tokens, components[i]) { return true }
            }
            return false
        }
        // Anchored at a first component the path's first component does not match: no prefix can match.
        if case .component(let tokens) = pattern.segments[0], !matchName(tokens, components[components.startIndex]) {
            return false
        }
        // The whole path, or a parent folder of it (a matched folder covers everything inside).
        for end in stride(from: components.endIndex, to: components.startIndex, by: -1) {
            let isDir = end - 1 < last || isDirectory
            if pattern.directoryOnly && !isDir { continue }
            if match(pattern.segments[...], components[components.startIndex..<end]) { return true }
        }
        return false
    }

    static func match(_ segments: ArraySlice<Segment>, _ components: ArraySlice<[Unicode.Scalar]>) -> Bool {
        guard let first = segments.first else { return components.isEmpty }
        switch first {
        case .anyDepth:
            let rest = segments.dropFirst()
            // A trailing `**` needs at least one component (`src/**` is what is inside src).
            if rest.isEmpty { return !components.isEmpty }
            var c = components
            while true {
                if match(rest, c) { return true }
                if c.isEmpty { return false }
                c = c.dropFirst()
            }
        case .component(let tokens):
            guard let name = components.first, matchName(tokens, name) else { return false }
            return match(segments.dropFirst(), components.dropFirst())
        }
    }

    /// One path component against one component's tokens. Indices, not slices: this runs for every glob of every
    /// level per accessed file, and slices cost a retain and a release per step.
    static func matchName(_ tokens: [Token], _ name: [Unicode.Scalar]) -> Bool {
        tokens.withUnsafeBufferPointer { t in
            name.withUnsafeBufferPointer { n in matchName(t, n) }
        }
    }

    static func matchName(_ t: UnsafeBufferPointer<Token>, _ n: UnsafeBufferPointer<Unicode.Scalar>) -> Bool {
        var ti = 0
        var ni = 0
        // Backtracking to the last `*` only: linear for the patterns rules use.
        var starToken = -1
        var starName = 0
        while true {
            if ti < t.count {
                switch t[ti] {
                case .anyRun:
                    ti += 1
                    starToken = ti
                    starName = ni
                    continue
                case .anyOne:
                    if ni < n.count { ti += 1; ni += 1; continue }
                case .literal(let l):
                    if ni < n.count && n[ni] == l { ti += 1; ni += 1; continue }
                case .set(let ranges, let negated):
                    if ni < n.count, ranges.contains(where: { $0.contains(n[ni]) }) != negated { ti += 1; ni += 1; continue }
                }
            } else if ni == n.count {
                return true
            }
            guard starToken >= 0, starName < n.count else { return false }
            starName += 1
            ti = starToken
            ni = starName
        }
    }
}

/// The reference host's reading of a rule's `glob`/`paths` value before matching: strings split at commas and
/// newlines outside braces, `{a,b}` expanded, empty entries and a bare `**` left out. (The reference host also
/// drops a trailing `/**`, which un-anchors `src/**` into `src` at any depth; Kernel keeps it: `src/**` is what
/// is inside the base's `src/`, as the seed's table says.)
public enum RuleGlobList {
    public static func normalize(_ entries: [String]) -> [String] {
        var out: [String] = []
        for entry in entries {
            for piece in split(entry) {
                for expanded in expandBraces(piece) {
                    let p = expanded.trimmingSpaces
                    if !p.isEmpty && p != "**" { out.append(p) }
                }
            }
        }
        return out
    }

    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            switch c {
            case "{": depth += 1; current.append(c)
            case "}": depth = max(0, depth - 1); current.append(c)
            case "," where depth == 0, "\n" where depth == 0:
                let t = current.trimmingSpaces
                if !t.isEmpty { parts.append(t) }
                current = ""
            default: current.append(c)
            }
        }
        let t = current.trimmingSpaces
        if !t.isEmpty { parts.append(t) }
        return parts
    }

    /// `a{b,c}d` → `abd`, `acd`; nested groups expand from the first; at most 256 results per entry.
    static func expandBraces(_ text: String, budget: Int = 256) -> [String] {
        guard let open = text.firstIndex(of: "{"), let close = text[open...].firstIndex(of: "}") else { return [text] }
        let head = text[..<open]
        let body = text[text.index(after: open)..<close]
        let tail = text[text.index(after: close)...]
        let options = body.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        if options.isEmpty { return [text] }
        var out: [String] = []
        for option in options {
            for e in expandBraces(String(head) + option + String(tail), budget: budget) {
                if out.count >= budget { return out }
                out.append(e)
            }
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        // ASCII text without surrounding whitespace (nearly every value) is returned as it is.
        let text = String(self)
        if let first = text.utf8.first, let last = text.utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return text
        }
        let scalars = Array(unicodeScalars)
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start...end])
        return String(out)
    }
}
