/// The kernel's one regular-expression engine, for hook matchers: the hooks parser compiles a matcher with it
/// at load time (a pattern it cannot compile is a located error) and the hook engine matches with it, so a
/// pattern can never be accepted by one and silently match nothing in the other.
///
/// A Thompson NFA run as a Pike VM (a set of threads advanced over the value one scalar at a time): matching
/// takes time proportional to the value's length times the program's size whatever the pattern, so a matcher
/// like `(a+)+$` cannot stall a fire the way a backtracking engine does on 40 `a`s and a `!`.
///
/// The syntax is the subset of JavaScript's (the matchers are written for `new RegExp(m).test(v)`) that
/// matchers use: literals; `.` (anything but a line terminator); classes `[...]` with ranges, negation and
/// escapes; `\d \w \s` and `\D \W \S`; `\b \B`; escapes `\t \n \r \f \v \0 \xHH \uHHHH` and escaped
/// punctuation; anchors `^ $` (of the whole value: no multiline flag); groups `( )` and `(?: )`;
/// alternation; `* + ? {n} {n,} {n,m}` and their lazy variants (laziness does not change whether a value
/// matches). Search is unanchored. Lookaround, back-references and named groups are refused as errors.
public struct MatcherRegex: Sendable {
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var message: String
        /// Offset of the offending character in the pattern, in Unicode scalars, 0-based.
        public var offset: Int
        public var description: String { message }
    }

    /// The most instructions a pattern compiles to (counted repetitions are expanded): bounds the work per
    /// scalar of the value.
    public static let maxProgramSize = 10_000

    /// True when a repeated group itself holds an unbounded repetition (`(a+)+`, `(a*)*`, `(x+y)*`): harmless
    /// here, but such a pattern backtracks catastrophically on hosts that use a backtracking engine.
    public let hasNestedQuantifiers: Bool
    let program: [Inst]

    public init(_ pattern: String) throws(SyntaxError) {
        var parser = Parser(Array(pattern.unicodeScalars))
        let tree = try parser.parseAll()
        hasNestedQuantifiers = tree.hasNestedQuantifiers
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.program.append(.match)
        guard compiler.program.count <= Self.maxProgramSize else {
            throw SyntaxError(message: "the pattern is too large once its counted repetitions are expanded "
                                + "(more than \(Self.maxProgramSize) steps)", offset: 0)
        }
        program = compiler.program
    }

    /// Whether the pattern matches anywhere in `value`.
    public func search(_ value: String) -> Bool {
        let text = Array(value.unicodeScalars)
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        // Stamps are per position (`i + 1`), so a thread is added once per position in either list.
        for i in 0...text.count {
            // Unanchored: a new thread starts at every position.
            if addThread(&current, pc: 0, at: i, text, stamp: i + 1) { return true }
            guard i < text.count else { break }
            let c = text[i]
            next.clear()
            for pc in current.items {
                let step: Bool
                switch program[pc] {
                case .char(let x): step = c == x
                case .any: step = !Self.isLineTerminator(c)
                case .set(let s): step = s.contains(c)
                default: step = false
                }
                if step, addThread(&next, pc: pc + 1, at: i + 1, text, stamp: i + 2) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming (splits, jumps,
    /// assertions that hold at `at`). True when it reaches `match`.
    private func addThread(_ list: inout ThreadList, pc start: Int, at: Int, _ text: [Unicode.Scalar], stamp: Int) -> Bool {
        var stack = [start]
        while let pc = stack.popLast() {
            if list.seen[pc] == stamp { continue }
            list.seen[pc] = stamp
            switch program[pc] {
            case .match: return true
            case .jump(let to): stack.append(to)
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .lineStart: if at == 0 { stack.append(pc + 1) }
            case .lineEnd: if at == text.count { stack.append(pc + 1) }
            case .wordBoundary(let wanted):
                let before = at > 0 && CharSet.isWord(text[at - 1])
                let after = at < text.count && CharSet.isWord(text[at])
                if (before != after) == wanted { stack.append(pc + 1) }
            case .char, .any, .set: list.items.append(pc)
            }
        }
        return false
    }

    static func isLineTerminator(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r" || c.value == 0x2028 || c.value == 0x2029
    }

    struct ThreadList {
        var items: [Int] = []
        var seen: [Int]
        init(capacity: Int) { seen = Array(repeating: 0, count: capacity) }
        var isEmpty: Bool { items.isEmpty }
        mutating func clear() { items.removeAll(keepingCapacity: true) }
    }

    enum Inst: Sendable {
        case char(Unicode.Scalar)
        case any
        case set(CharSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart
        case lineEnd
        case wordBoundary(Bool)
        case match
    }

    /// A character class: ranges and class escapes, possibly negated.
    struct CharSet: Sendable {
        enum Item: Sendable {
            case range(UInt32, UInt32)
            case digit(Bool), word(Bool), space(Bool)  // the Bool: true for `\d`, false for `\D`
        }
        var items: [Item]
        var negated: Bool

        func contains(_ c: Unicode.Scalar) -> Bool {
            var hit = false
            for item in items {
                switch item {
                case .range(let lo, let hi): hit = c.value >= lo && c.value <= hi
                case .digit(let yes): hit = Self.isDigit(c) == yes
                case .word(let yes): hit = Self.isWord(c) == yes
                case .space(let yes): hit = Self.isSpace(c) == yes
                }
                if hit { break }
            }
            return hit != negated
        }

        static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
        static func isWord(_ c: Unicode.Scalar) -> Bool {
            let v = c.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        /// JavaScript's `\s`: WhiteSpace and LineTerminator.
        static func isSpace(_ c: Unicode.Scalar) -> Bool {
            switch c.value {
            case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
            default: false
            }
        }
    }

    // MARK: - Syntax tree

    indirect enum Tree {
        case empty
        case char(Unicode.Scalar)
        case any
        case set(CharSet)
        case lineStart, lineEnd
        case wordBoundary(Bool)
        case concat([Tree])
        case alternation([Tree])
        case repeated(Tree, min: Int, max: Int?)

        /// Whether the tree holds a repetition without an upper bound.
        var hasUnboundedRepetition: Bool {
            switch self {
            case .repeated(let t, _, let max): max == nil || t.hasUnboundedRepetition
            case .concat(let ts), .alternation(let ts): ts.contains { $0.hasUnboundedRepetition }
            default: false
            }
        }

        var hasNestedQuantifiers: Bool {
            switch self {
            case .repeated(let t, _, let max):
                ((max ?? 2) > 1 && t.hasUnboundedRepetition) || t.hasNestedQuantifiers
            case .concat(let ts), .alternation(let ts): ts.contains { $0.hasNestedQuantifiers }
            default: false
            }
        }
    }

    // MARK: - Parser

    struct Parser {
        let p: [Unicode.Scalar]
        var i = 0
        var depth = 0

        init(_ p: [Unicode.Scalar]) { self.p = p }

        func fail(_ message: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(message: message, offset: offset ?? i)
        }

        mutating func parseAll() throws(SyntaxError) -> Tree {
            let t = try parseAlternation()
            if i < p.count {
                // Only an unbalanced `)` stops an alternation early.
                throw fail("unmatched ')' at offset \(i)")
            }
            return t
        }

        mutating func parseAlternation() throws(SyntaxError) -> Tree {
            var branches = [try parseConcat()]
            while i < p.count, p[i] == "|" {
                i += 1
                branches.append(try parseConcat())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func parseConcat() throws(SyntaxError) -> Tree {
            var items: [Tree] = []
            while i < p.count, p[i] != "|", p[i] != ")" {
                let start = i
                var atom = try parseAtom()
                if let (min, max) = try parseQuantifier() {
                    switch atom {
                    case .lineStart, .lineEnd, .wordBoundary:
                        throw fail("nothing to repeat at offset \(start)", at: start)
                    default: break
                    }
                    atom = .repeated(atom, min: min, max: max)
                    if i < p.count, p[i] == "?" { i += 1 }  // lazy: the same set of matches
                    if i < p.count, "*+?".unicodeScalars.contains(p[i]) || (p[i] == "{" && quantifierAhead()) {
                        throw fail("nothing to repeat at offset \(i)")
                    }
                }
                items.append(atom)
            }
            return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
        }

        /// True when a `{` at `i` starts a well-formed `{n}`, `{n,}` or `{n,m}` (else it is a literal brace).
        func quantifierAhead() -> Bool {
            var j = i + 1
            var digits = 0
            while j < p.count, CharSet.isDigit(p[j]) { j += 1; digits += 1 }
            guard digits > 0, j < p.count else { return false }
            if p[j] == "}" { return true }
            guard p[j] == "," else { return false }
            j += 1
            while j < p.count, CharSet.isDigit(p[j]) { j += 1 }
            return j < p.count && p[j] == "}"
        }

        mutating func parseQuantifier() throws(SyntaxError) -> (Int, Int?)? {
            guard i < p.count else { return nil }
            switch p[i] {
            case "*": i += 1; return (0, nil)
            case "+": i += 1; return (1, nil)
            case "?": i += 1; return (0, 1)
            case "{" where quantifierAhead():
                let open = i
                i += 1
                let min = try number()
                var max: Int? = min
                if p[i] == "," {
                    i += 1
                    max = p[i] == "}" ? nil : try number()
                }
                i += 1  // `}`
                if let max, max < min { throw fail("numbers out of order in {} quantifier at offset \(open)", at: open) }
                return (min, max)
            default: return nil
            }
        }

        mutating func number() throws(SyntaxError) -> Int {
            let start = i
            var n = 0
            while i < p.count, CharSet.isDigit(p[i]) {
                n = n * 10 + Int(p[i].value - 0x30)
                if n > MatcherRegex.maxProgramSize { throw fail("repetition count too large at offset \(start)", at: start) }
                i += 1
            }
            return n
        }

        mutating func parseAtom() throws(SyntaxError) -> Tree {
            let c = p[i]
            let start = i
            if c == "{", quantifierAhead() { throw fail("nothing to repeat at offset \(start)", at: start) }
            i += 1
            switch c {
            case ".": return .any
            case "^": return .lineStart
            case "$": return .lineEnd
            case "*", "+", "?": throw fail("nothing to repeat at offset \(start)", at: start)
            case "(":
                if i < p.count, p[i] == "?" {
                    guard i + 1 < p.count, p[i + 1] == ":" else {
                        throw fail("unsupported group '(?' at offset \(start): only '(?:' groups are supported "
                                   + "(no lookaround or named groups)", at: start)
                    }
                    i += 2
                }
                depth += 1
                guard depth <= 256 else { throw fail("groups nested more than 256 deep", at: start) }
                let inner = try parseAlternation()
                depth -= 1
                guard i < p.count, p[i] == ")" else { throw fail("expected ')'", at: start) }
                i += 1
                return inner
            case "[": return .set(try parseClass(start: start))
            case "\\": return try parseEscape(start: start)
            default: return .char(c)
            }
        }

        mutating func parseEscape(start: Int) throws(SyntaxError) -> Tree {
            guard i < p.count else { throw fail("'\\' at the end of the pattern", at: start) }
            let c = p[i]
            switch c {
            case "d", "D": i += 1; return .set(CharSet(items: [.digit(c == "d")], negated: false))
            case "w", "W": i += 1; return .set(CharSet(items: [.word(c == "w")], negated: false))
            case "s", "S": i += 1; return .set(CharSet(items: [.space(c == "s")], negated: false))
            case "b": i += 1; return .wordBoundary(true)
            case "B": i += 1; return .wordBoundary(false)
            case "1"..."9":
                throw fail("back-references ('\\\(c)') are not supported at offset \(start)", at: start)
            default: return .char(try escapedScalar(start: start))
            }
        }

        /// The scalar an escape outside `\d\w\s\b` stands for; `i` is just after the backslash.
        mutating func escapedScalar(start: Int) throws(SyntaxError) -> Unicode.Scalar {
            let c = p[i]
            i += 1
            switch c {
            case "t": return "\t"
            case "n": return "\n"
            case "r": return "\r"
            case "f": return "\u{0C}"
            case "v": return "\u{0B}"
            case "0": return "\u{0}"
            case "x": return try hex(2, start: start)
            case "u": return try hex(4, start: start)
            default:
                if CharSet.isWord(c) {
                    throw fail("unknown escape '\\\(c)' at offset \(start)", at: start)
                }
                return c  // escaped punctuation stands for itself
            }
        }

        mutating func hex(_ count: Int, start: Int) throws(SyntaxError) -> Unicode.Scalar {
            var v: UInt32 = 0
            for _ in 0..<count {
                guard i < p.count, let d = hexDigit(p[i]) else {
                    throw fail("invalid hexadecimal escape at offset \(start)", at: start)
                }
                v = v << 4 | d
                i += 1
            }
            guard let s = Unicode.Scalar(v) else { throw fail("escape names a surrogate at offset \(start)", at: start) }
            return s
        }

        func hexDigit(_ c: Unicode.Scalar) -> UInt32? {
            switch c.value {
            case 0x30...0x39: c.value - 0x30
            case 0x41...0x46: c.value - 0x41 + 10
            case 0x61...0x66: c.value - 0x61 + 10
            default: nil
            }
        }

        mutating func parseClass(start: Int) throws(SyntaxError) -> CharSet {
            var set = CharSet(items: [], negated: false)
            if i < p.count, p[i] == "^" { set.negated = true; i += 1 }
            while true {
                guard i < p.count else { throw fail("missing ']' for the class at offset \(start)", at: start) }
                if p[i] == "]" { i += 1; return set }
                let (lo, loItem) = try classAtom()
                if let loItem { set.items.append(loItem); continue }
                if i + 1 < p.count, p[i] == "-", p[i + 1] != "]" {
                    let dash = i
                    i += 1
                    let (hi, hiItem) = try classAtom()
                    guard hiItem == nil, let lo, let hi else {
                        throw fail("a class escape cannot bound a range at offset \(dash)", at: dash)
                    }
                    guard lo.value <= hi.value else { throw fail("range out of order in class at offset \(dash)", at: dash) }
                    set.items.append(.range(lo.value, hi.value))
                } else if let lo {
                    set.items.append(.range(lo.value, lo.value))
                }
            }
        }

        /// One class member: a scalar, or a class escape (`\d`…).
        mutating func classAtom() throws(SyntaxError) -> (Unicode.Scalar?, CharSet.Item?) {
            let c = p[i]
            let start = i
            i += 1
            guard c == "\\" else { return (c, nil) }
            guard i < p.count else { throw fail("'\\' at the end of the pattern", at: start) }
            switch p[i] {
            case "d", "D": defer { i += 1 }; return (nil, .digit(p[i] == "d"))
            case "w", "W": defer { i += 1 }; return (nil, .word(p[i] == "w"))
            case "s", "S": defer { i += 1 }; return (nil, .space(p[i] == "s"))
            case "b": i += 1; return ("\u{08}", nil)  // backspace inside a class
            case "-": i += 1; return ("-", nil)
            default: return (try escapedScalar(start: start), nil)
            }
        }
    }

    // MARK: - Compiler

    struct Compiler {
        var program: [Inst] = []

        mutating func emit(_ t: Tree) throws(SyntaxError) {
            guard program.count <= MatcherRegex.maxProgramSize else {
                throw SyntaxError(message: "the pattern is too large once its counted repetitions are expanded "
                                    + "(more than \(MatcherRegex.maxProgramSize) steps)", offset: 0)
            }
            switch t {
            case .empty: break
            case .char(let c): program.append(.char(c))
            case .any: program.append(.any)
            case .set(let s): program.append(.set(s))
            case .lineStart: program.append(.lineStart)
            case .lineEnd: program.append(.lineEnd)
            case .wordBoundary(let b): program.append(.wordBoundary(b))
            case .concat(let ts): for t in ts { try emit(t) }
            case .alternation(let ts):
                // split L1, next; L1: a; jump end; next: split L2, … ; last branch
                var jumps: [Int] = []
                for (k, branch) in ts.enumerated() {
                    if k < ts.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repeated(let body, let min, let max):
                for _ in 0..<min { try emit(body) }
                if let max {
                    // Each optional copy: split into it or past all of them.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(.split(program.count + 1, 0))
                        try emit(body)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    let loop = program.count
                    program.append(.split(loop + 1, 0))
                    try emit(body)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
