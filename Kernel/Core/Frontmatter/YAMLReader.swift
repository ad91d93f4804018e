internal import CYAML

/// Reads one YAML document into a `Node` tree with libyaml's event API, keeping the position of every value and
/// key in the file the YAML was cut from.
///
/// - Plain scalars resolve by the YAML 1.2 core schema (`yes`/`on` are strings); quoted and block scalars are
///   strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` are honoured, other tags read as untagged.
/// - Anchors and aliases work; an alias is a copy of the anchored node. The nodes produced by aliases are
///   counted and limited (`maxAliasExpansion`), so a "billion laughs" document fails at once.
/// - Nesting is limited to `maxDepth`.
/// - Duplicate keys and non-scalar keys are reported as errors in `issues` (the document still reads; the last
///   duplicate wins as in `Node`'s subscript).
public enum YAMLReader {
    /// The most nodes alias expansion may produce in one document.
    public static let maxAliasExpansion = 10_000
    /// The deepest nesting of sequences and mappings accepted.
    public static let maxDepth = 64

    /// A problem that does not stop the reading (duplicate key, non-scalar key, bad explicit tag).
    public struct Issue: Sendable, Equatable {
        public var severity: Severity
        public var message: String
        public var line: Int
        public var column: Int
    }

    /// A problem that stops the reading: a libyaml syntax error or a limit.
    public struct Failure: Error, Sendable, Equatable {
        public var message: String
        public var line: Int
        public var column: Int
    }

    /// Reads `bytes` (UTF-8 YAML text) whose first line is line `firstLine` of its file.
    /// - Returns: the root node (nil for an empty document or a stream with no document) and the issues met.
    /// - Throws: `Failure` for a syntax error, a second document, or a limit exceeded.
    public static func parse(_ bytes: [UInt8], firstLine: Int = 1) throws(Failure) -> (root: Node?, issues: [Issue]) {
        if bytes.isEmpty { return (nil, []) }
        if let root = bytes.withUnsafeBufferPointer({ parseFlatMapping($0, firstLine: firstLine) }) { return (root, []) }
        return try parseWithLibyaml(bytes, firstLine: firstLine)
    }

    /// `parse` through libyaml, whatever the text.
    static func parseWithLibyaml(_ bytes: [UInt8], firstLine: Int) throws(Failure) -> (root: Node?, issues: [Issue]) {
        if bytes.isEmpty { return (nil, []) }
        let result: Result<(Node?, [Issue]), Failure> = bytes.withUnsafeBufferPointer { buf in
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) == 1 else {
                return .failure(Failure(message: "cannot initialise the YAML parser", line: firstLine, column: 1))
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(parser, buf.baseAddress, buf.count)
            var builder = Builder(parser: parser, input: buf, firstLine: firstLine)
            do throws(YAMLReader.Failure) {
                let root = try builder.readStream()
                return .success((root, builder.issues))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

// MARK: - Flat mappings

extension YAMLReader {
    /// The node libyaml reads from the most common frontmatter, read without it: a flat mapping, one
    /// `key: value` per line, the value a plain scalar on its line or a quoted string holding no escape (libyaml
    /// cost ~20,000 instructions per three-line frontmatter, most of a cold listing). Nil for anything outside
    /// that subset — any byte outside printable ASCII (tabs, CR and other line breaks included), an indented,
    /// comment or empty-valued line, a key that is not `[A-Za-z][A-Za-z0-9_-]*` or resolves to other than a string,
    /// a duplicate key, a plain value starting with an indicator or holding `:`, `#`, `[`, `]`, `{`, `}`, trailing
    /// spaces — which libyaml then reads (the tests compare both readings on every form).
    static func parseFlatMapping(_ buf: UnsafeBufferPointer<UInt8>, firstLine: Int) -> Node? {
        let n = buf.count
        var members: [Node.Member] = []
        var mappingLine = 0
        var i = 0
        var line = firstLine
        while i < n {
            let end = TextScan.nextNewline(buf, from: i, end: n)
            defer { i = end + 1; line += 1 }
            if end == i { continue }  // an empty line
            guard isLetter(buf[i]) else { return nil }
            var j = i + 1
            while j < end, isLetter(buf[j]) || isDigit(buf[j]) || buf[j] == UInt8(ascii: "_") || buf[j] == UInt8(ascii: "-") {
                j += 1
            }
            guard j + 1 < end, buf[j] == UInt8(ascii: ":"), buf[j + 1] == UInt8(ascii: " ") else { return nil }
            let keyBytes = UnsafeBufferPointer(rebasing: buf[i..<j])
            guard YAMLScalar.resolvePlain(keyBytes) == .string else { return nil }
            let key = String(decoding: keyBytes, as: UTF8.self)
            guard !members.contains(where: { $0.key == key }) else { return nil }
            j += 2
            while j < end, buf[j] == UInt8(ascii: " ") { j += 1 }
            guard j < end, buf[end - 1] != UInt8(ascii: " ") else { return nil }
            let column = j - i + 1
            let first = buf[j]
            let value: Node
            if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
                guard end - j >= 2, buf[end - 1] == first else { return nil }
                for k in (j + 1)..<(end - 1) {
                    let b = buf[k]
                    if b == first || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x7F { return nil }
                }
                let text = String(decoding: UnsafeBufferPointer(rebasing: buf[(j + 1)..<(end - 1)]), as: UTF8.self)
                value = Node(.string(text), line: line, column: column, text: text)
            } else {
                switch first {
                case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ","), UInt8(ascii: "&"), UInt8(ascii: "*"),
                     UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "@"),
                     UInt8(ascii: "`"):
                    return nil
                default: break
                }
                for k in j..<end {
                    switch buf[k] {
                    case 0..<0x20, 0x7F...0xFF, UInt8(ascii: ":"), UInt8(ascii: "#"), UInt8(ascii: "["), UInt8(ascii: "]"),
                         UInt8(ascii: "{"), UInt8(ascii: "}"):
                        return nil
                    default: continue
                    }
                }
                let bytes = UnsafeBufferPointer(rebasing: buf[j..<end])
                let text = String(decoding: bytes, as: UTF8.self)
                switch YAMLScalar.resolvePlain(bytes) {
                case .null: value = Node(.null, line: line, column: column, text: text)
                case .bool(let b): value = Node(.bool(b), line: line, column: column, text: text)
                case .int, .float: value = Node(.number(text), line: line, column: column, text: text)
                case .string: value = Node(.string(text), line: line, column: column, text: text)
                }
            }
            if members.isEmpty { mappingLine = line }
            members.append(Node.Member(key: key, keyLine: line, keyColumn: 1, value: value))
        }
        guard !members.isEmpty else { return nil }
        return Node(.object(members), line: mappingLine, column: 1)
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

// MARK: - Builder

private struct Builder {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let input: UnsafeBufferPointer<UInt8>
    let firstLine: Int
    /// Set when the text holds line breaks libyaml counts but files do not (lone CR, NEL, LS, PS).
    let lineMap: LineMap?
    var issues: [YAMLReader.Issue] = []
    /// Anchored nodes, with their node count and nesting height.
    var anchors: [String: (node: Node, size: Int, height: Int)] = [:]
    var expanded = 0

    init(parser: UnsafeMutablePointer<yaml_parser_t>, input: UnsafeBufferPointer<UInt8>, firstLine: Int) {
        self.parser = parser
        self.input = input
        self.firstLine = firstLine
        self.lineMap = LineMap(input)
    }

    /// The 1-based file line and column of a libyaml mark.
    func position(_ mark: yaml_mark_t) -> (line: Int, column: Int) {
        let line = Int(mark.line)
        let column = Int(mark.column)
        if let lineMap, line < lineMap.fileLine.count {
            return (lineMap.fileLine[line] + firstLine, lineMap.columnOffset[line] + column + 1)
        }
        return (line + firstLine, column + 1)
    }

    /// A parsed event, copied out of libyaml's struct (which is freed at once).
    struct Event {
        enum Kind { case streamStart, streamEnd, documentStart, documentEnd, alias, scalar, sequenceStart, sequenceEnd,
                    mappingStart, mappingEnd, none }
        var kind: Kind
        var line: Int
        var column: Int
        var anchor: String?
        var tag: String?
        /// Scalars: the value, its resolution (plain scalars) and whether it was plain.
        var value: String = ""
        var resolved: YAMLScalar.Kind = .string
        var plain = false
    }

    mutating func next() throws(YAMLReader.Failure) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError() }
        defer { yaml_event_delete(&event) }
        let (line, column) = position(event.start_mark)
        func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let p else { return nil }
            return String(cString: p)
        }
        switch event.type {
        case YAML_STREAM_START_EVENT: return Event(kind: .streamStart, line: line, column: column)
        case YAML_STREAM_END_EVENT: return Event(kind: .streamEnd, line: line, column: column)
        case YAML_DOCUMENT_START_EVENT: return Event(kind: .documentStart, line: line, column: column)
        case YAML_DOCUMENT_END_EVENT: return Event(kind: .documentEnd, line: line, column: column)
        case YAML_ALIAS_EVENT:
            return Event(kind: .alias, line: line, column: column, anchor: string(event.data.alias.anchor))
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let bytes = UnsafeBufferPointer(start: s.value, count: Int(s.length))
            var e = Event(kind: .scalar, line: line, column: column, anchor: string(s.anchor), tag: string(s.tag))
            e.value = String(decoding: bytes, as: UTF8.self)
            e.plain = s.style == YAML_PLAIN_SCALAR_STYLE
            if e.plain { e.resolved = YAMLScalar.resolvePlain(bytes) }
            return e
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            return Event(kind: .sequenceStart, line: line, column: column, anchor: string(s.anchor), tag: string(s.tag))
        case YAML_SEQUENCE_END_EVENT: return Event(kind: .sequenceEnd, line: line, column: column)
        case YAML_MAPPING_START_EVENT:
            let s = event.data.mapping_start
            return Event(kind: .mappingStart, line: line, column: column, anchor: string(s.anchor), tag: string(s.tag))
        case YAML_MAPPING_END_EVENT: return Event(kind: .mappingEnd, line: line, column: column)
        default: return Event(kind: .none, line: line, column: column)
        }
    }

    mutating func readStream() throws(YAMLReader.Failure) -> Node? {
        var root: Node?
        var documents = 0
        while true {
            let e = try next()
            switch e.kind {
            case .streamStart, .documentEnd, .none:
                continue
            case .streamEnd:
                return root
            case .documentStart:
                documents += 1
                if documents > 1 {
                    throw YAMLReader.Failure(message: "frontmatter holds more than one YAML document",
                                             line: e.line, column: e.column)
                }
            default:
                root = try node(from: e, depth: 0).node
            }
        }
    }

    /// Reads the node that starts with event `e`.
    /// - Returns: the node, the number of nodes it holds (itself included) and its nesting height.
    mutating func node(from e: Event, depth: Int) throws(YAMLReader.Failure) -> (node: Node, size: Int, height: Int) {
        let result: (node: Node, size: Int, height: Int)
        switch e.kind {
        case .scalar:
            result = (scalarNode(e), 1, 0)
        case .alias:
            let name = e.anchor ?? ""
            guard let anchored = anchors[name] else {
                throw YAMLReader.Failure(message: "alias '*\(name)' refers to no anchor defined before it",
                                         line: e.line, column: e.column)
            }
            expanded += anchored.size
            if expanded > YAMLReader.maxAliasExpansion {
                throw YAMLReader.Failure(
                    message: "too many alias expansions (limit \(YAMLReader.maxAliasExpansion) nodes): "
                        + "possible billion-laughs document",
                    line: e.line, column: e.column)
            }
            if depth + anchored.height > YAMLReader.maxDepth { throw tooDeep(e) }
            var copy = anchored.node
            copy.line = e.line
            copy.column = e.column
            return (copy, anchored.size, anchored.height)
        case .sequenceStart:
            if depth >= YAMLReader.maxDepth { throw tooDeep(e) }
            var items: [Node] = []
            var size = 1
            var height = 0
            while true {
                let child = try next()
                if child.kind == .sequenceEnd { break }
                let r = try node(from: child, depth: depth + 1)
                items.append(r.node)
                size += r.size
                height = max(height, r.height)
            }
            result = (Node(.array(items), line: e.line, column: e.column), size, height + 1)
        case .mappingStart:
            if depth >= YAMLReader.maxDepth { throw tooDeep(e) }
            var members: [Node.Member] = []
            var firstLines: [String: Int] = [:]
            var size = 1
            var height = 0
            while true {
                let keyEvent = try next()
                if keyEvent.kind == .mappingEnd { break }
                let key = try node(from: keyEvent, depth: depth + 1)
                let value = try node(from: try next(), depth: depth + 1)
                size += key.size + value.size
                height = max(height, value.height)
                guard let keyText = key.node.scalarText ?? (key.node.isNull ? (key.node.text ?? "") : nil) else {
                    issues.append(.init(severity: .error,
                                        message: "a mapping key must be a scalar, not \(key.node.kindDescription)",
                                        line: key.node.line, column: key.node.column))
                    continue
                }
                if let first = firstLines[keyText] {
                    issues.append(.init(severity: .error,
                                        message: "duplicate key '\(keyText)' (first defined on line \(first))",
                                        line: key.node.line, column: key.node.column))
                } else {
                    firstLines[keyText] = key.node.line
                }
                members.append(Node.Member(key: keyText, keyLine: key.node.line, keyColumn: key.node.column,
                                           value: value.node))
            }
            result = (Node(.object(members), line: e.line, column: e.column), size, height + 1)
        default:
            throw YAMLReader.Failure(message: "unexpected YAML event", line: e.line, column: e.column)
        }
        if let anchor = e.anchor { anchors[anchor] = result }
        return result
    }

    func tooDeep(_ e: Event) -> YAMLReader.Failure {
        YAMLReader.Failure(message: "YAML nested deeper than \(YAMLReader.maxDepth) levels",
                           line: e.line, column: e.column)
    }

    mutating func scalarNode(_ e: Event) -> Node {
        var kind: YAMLScalar.Kind = e.plain ? e.resolved : .string
        if let tag = e.tag, tag != "?" {
            let core = "tag:yaml.org,2002:"
            if tag == "!" {
                kind = .string
            } else if tag.hasPrefix(core) {
                let name = tag.dropFirst(core.count)
                let resolved = Array(e.value.utf8).withUnsafeBufferPointer { YAMLScalar.resolvePlain($0) }
                var wanted: YAMLScalar.Kind?
                switch name {
                case "str": kind = .string
                case "int": wanted = resolved == .int ? .int : nil
                case "float": wanted = resolved == .int || resolved == .float ? .float : nil
                case "bool": if case .bool = resolved { wanted = resolved }
                case "null": wanted = resolved == .null ? .null : nil
                default: break  // binary, timestamp…: keep the plain reading
                }
                if ["int", "float", "bool", "null"].contains(name) {
                    if let wanted {
                        kind = wanted
                    } else {
                        issues.append(.init(severity: .error, message: "'\(e.value)' is not a valid !!\(name)",
                                            line: e.line, column: e.column))
                        kind = .string
                    }
                }
            }
        }
        switch kind {
        case .null: return Node(.null, line: e.line, column: e.column, text: e.value)
        case .bool(let b): return Node(.bool(b), line: e.line, column: e.column, text: e.value)
        case .int, .float: return Node(.number(e.value), line: e.line, column: e.column, text: e.value)
        case .string: return Node(.string(e.value), line: e.line, column: e.column, text: e.value)
        }
    }

    /// The libyaml error as a `Failure` at its position in the file, with a plainer message for tabs.
    func syntaxError() -> YAMLReader.Failure {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        if p.error == YAML_READER_ERROR {
            let offset = min(Int(p.problem_offset), input.count)
            let pos = TextScan.position(of: offset, in: input, from: 0, startLine: firstLine)
            return YAMLReader.Failure(message: problem, line: pos.line, column: pos.column)
        }
        let mark = p.problem_mark
        let (line, column) = position(mark)
        if lineMap == nil, let tab = tabInIndentation(line: Int(mark.line)) {
            return YAMLReader.Failure(message: "tab character used for indentation (YAML allows spaces only)",
                                      line: line, column: tab)
        }
        var message = problem
        if let context = p.context.map({ String(cString: $0) }) {
            message += " (\(context)"
            if p.context_mark.line != mark.line {
                message += " started on line \(position(p.context_mark).line)"
            }
            message += ")"
        }
        return YAMLReader.Failure(message: message, line: line, column: column)
    }

    /// When the indentation of the 0-based `line` holds a tab, the 1-based column of that tab.
    func tabInIndentation(line: Int) -> Int? {
        // Find the start of the 0-based `line`.
        var start = 0
        var current = 0
        while current < line {
            let nl = TextScan.nextNewline(input, from: start, end: input.count)
            if nl == input.count { return nil }
            start = nl + 1
            current += 1
        }
        let end = TextScan.nextNewline(input, from: start, end: input.count)
        var i = start
        var col = 1
        while i < end {
            let b = input[i]
            if b == 0x09 { return col }
            if b != 0x20 { break }
            i += 1
            col += 1
        }
        return nil
    }
}

/// libyaml counts CR, NEL (U+0085), LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks (YAML 1.1); files, and
/// YAML 1.2, break lines at LF only. When the text holds any of those, this maps each libyaml line to its file line
/// (0-based, relative to the text) and the number of characters before it on that file line.
struct LineMap {
    var fileLine: [Int] = [0]
    var columnOffset: [Int] = [0]

    init?(_ b: UnsafeBufferPointer<UInt8>) {
        var extra = false
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if (c == 0x0D && (i + 1 == n || b[i + 1] != 0x0A))
                || (c == 0xC2 && i + 1 < n && b[i + 1] == 0x85)
                || (c == 0xE2 && i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9)) {
                extra = true
                break
            }
            i += 1
        }
        guard extra else { return nil }
        var line = 0
        var column = 0  // characters since the file line start
        i = 0
        while i < n {
            let c = b[i]
            if c == 0x0A || (c == 0x0D && i + 1 < n && b[i + 1] == 0x0A) {
                i += c == 0x0D ? 2 : 1
                line += 1
                column = 0
                fileLine.append(line)
                columnOffset.append(0)
                continue
            }
            var width = 1
            if c >= 0xF0 { width = 4 } else if c >= 0xE0 { width = 3 } else if c >= 0xC0 { width = 2 }
            let isBreak = c == 0x0D
                || (c == 0xC2 && i + 1 < n && b[i + 1] == 0x85)
                || (c == 0xE2 && i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9))
            i += width
            column += 1
            if isBreak {
                fileLine.append(line)
                columnOffset.append(column)
            }
        }
    }
}
