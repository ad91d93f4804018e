/// A blueprint's prompt template: `{{param}}`, dotted paths `{{issue.title}}` (array items by index,
/// `{{labels.0}}`), and `{{#if path}}…{{else}}…{{/if}}` blocks, nestable.
///
/// Rendering never escapes (these are prompts, not HTML), renders a missing key as nothing, and substitutes
/// parameter values as data: a value holding `{{…}}` is inserted as written, never read as template syntax.
/// Truthiness of `#if`: false, null, missing, "", 0, "false", "0" and [] are false; everything else is true
/// (an empty object too).
public struct TaskTemplate: Sendable, Equatable {
    indirect enum Piece: Sendable, Equatable {
        case text(String)
        case value([String])
        case condition(path: [String], then: [Piece], otherwise: [Piece])
    }

    let pieces: [Piece]
    /// The template text as written.
    public let source: String

    /// Parses `text`, reporting malformed tags (`{{#if}}` without a path, an unclosed block, a stray
    /// `{{else}}` or `{{/if}}`, an unknown `{{#helper}}`) at their line and column. Text after the body's
    /// first line is counted from `line`.
    ///
    /// - Parameters:
    ///   - file: the file named in diagnostics; `line` is the template's first line in it (1-based).
    /// - Returns: the template; a malformed tag is kept as literal text, so rendering still works.
    public static func parse(_ text: String, file: String = "", line: Int = 1, diagnostics: inout Diagnostics) -> TaskTemplate {
        var parser = Parser(chars: Array(text), file: file, firstLine: line)
        let pieces = parser.parseBlock(closers: [], diagnostics: &diagnostics).pieces
        return TaskTemplate(pieces: pieces, source: text)
    }

    /// Renders the template with `parameters` (a JSON object; anything else renders every key as missing).
    public func render(_ parameters: JSONValue) -> String {
        var out = ""
        Self.render(pieces, parameters, into: &out)
        return out
    }

    /// The parameter paths the template reads, in order of first use (`issue.title`).
    public var parameterNames: [String] {
        var names: [String] = []
        func walk(_ ps: [Piece]) {
            for p in ps {
                switch p {
                case .text: break
                case .value(let path): let n = path.joined(separator: "."); if !names.contains(n) { names.append(n) }
                case .condition(let path, let a, let b):
                    let n = path.joined(separator: "."); if !names.contains(n) { names.append(n) }
                    walk(a); walk(b)
                }
            }
        }
        walk(pieces)
        return names
    }

    static func render(_ pieces: [Piece], _ params: JSONValue, into out: inout String) {
        for p in pieces {
            switch p {
            case .text(let t): out += t
            case .value(let path): out += Self.text(lookup(path, in: params))
            case .condition(let path, let a, let b):
                render(isTruthy(lookup(path, in: params)) ? a : b, params, into: &out)
            }
        }
    }

    /// The value at a dotted path, or nil when any step is missing.
    public static func lookup(_ path: [String], in value: JSONValue) -> JSONValue? {
        var current = value
        for key in path {
            switch current {
            case .object(let members):
                guard let v = members.last(where: { $0.0 == key })?.1 else { return nil }
                current = v
            case .array(let items):
                guard let i = Int(key), items.indices.contains(i) else { return nil }
                current = items[i]
            default: return nil
            }
        }
        return current
    }

    /// The stated truthiness: false, null, missing, "", 0, "false", "0" and [] are false.
    public static func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: false
        case .bool(let b)?: b
        case .int(let i)?: i != 0
        case .double(let d)?: d != 0
        case .string(let s)?: !(s.isEmpty || s == "false" || s == "0")
        case .array(let a)?: !a.isEmpty
        case .object?: true
        case .raw(let r)?: !(r.isEmpty || r == "false" || r == "0" || r == "null" || r == "[]" || r == "\"\"")
        }
    }

    /// How a value is written into the prompt: strings as they are, numbers and booleans as JSON writes
    /// them, null and missing as nothing, arrays and objects as compact JSON.
    public static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let s)?: s
        case .bool(let b)?: b ? "true" : "false"
        case .int(let i)?: String(i)
        case .raw(let r)?: r
        case let v?: v.serialized(pretty: false)
        }
    }

    struct Parser {
        let chars: [Character]
        let file: String
        let firstLine: Int
        var i = 0
        var line = 0
        var column = 1

        init(chars: [Character], file: String, firstLine: Int) {
            self.chars = chars
            self.file = file
            self.firstLine = firstLine
        }

        var location: SourceLocation { SourceLocation(file: file, line: firstLine + line, column: column) }

        mutating func advance(_ n: Int = 1) {
            for _ in 0..<n where i < chars.count {
                if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
        }

        func startsTag(at k: Int) -> Bool { k + 1 < chars.count && chars[k] == "{" && chars[k + 1] == "{" }

        /// Parses pieces until one of `closers` (`else`, `/if`) or the end; returns which closer ended it.
        mutating func parseBlock(closers: [String], diagnostics d: inout Diagnostics) -> (pieces: [Piece], closer: String?) {
            var pieces: [Piece] = []
            var text = ""
            func flush() { if !text.isEmpty { pieces.append(.text(text)); text = "" } }
            while i < chars.count {
                guard startsTag(at: i), let end = tagEnd(from: i + 2) else {
                    text.append(chars[i]); advance(); continue
                }
                let tagLocation = location
                let raw = String(chars[(i + 2)..<end])
                let inner = raw.trimmingCharacters(in: .whitespaces)
                let literal = String(chars[i..<(end + 2)])
                if inner == "else" || inner == "/if" {
                    if closers.contains(inner) {
                        advance(end + 2 - i)
                        flush()
                        return (pieces, inner)
                    }
                    d.error(id: "task.template_syntax", "'{{\(inner)}}' without an open '{{#if}}'", at: tagLocation)
                    text += literal; advance(end + 2 - i); continue
                }
                if inner.hasPrefix("#") {
                    let words = inner.dropFirst().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                    guard words.first == "if" else {
                        d.error(id: "task.template_syntax", "unknown block '{{\(inner)}}': only {{#if path}}…{{else}}…{{/if}} is supported", at: tagLocation)
                        text += literal; advance(end + 2 - i); continue
                    }
                    guard words.count == 2, let path = Self.path(words[1]) else {
                        d.error(id: "task.template_syntax", "'{{\(inner)}}' needs one parameter path, as in {{#if severity}}", at: tagLocation)
                        text += literal; advance(end + 2 - i); continue
                    }
                    advance(end + 2 - i)
                    flush()
                    let (then, closer) = parseBlock(closers: ["else", "/if"], diagnostics: &d)
                    var otherwise: [Piece] = []
                    if closer == "else" {
                        let (o, c2) = parseBlock(closers: ["/if"], diagnostics: &d)
                        otherwise = o
                        if c2 == nil { d.error(id: "task.template_syntax", "'{{#if \(words[1])}}' is never closed with {{/if}}", at: tagLocation) }
                    } else if closer == nil {
                        d.error(id: "task.template_syntax", "'{{#if \(words[1])}}' is never closed with {{/if}}", at: tagLocation)
                    }
                    pieces.append(.condition(path: path, then: then, otherwise: otherwise))
                    continue
                }
                guard let path = Self.path(inner) else {
                    d.error(id: "task.template_syntax", "'{{\(inner)}}' is not a parameter path (letters, digits, '_', '-', joined by '.')", at: tagLocation)
                    text += literal; advance(end + 2 - i); continue
                }
                advance(end + 2 - i)
                flush()
                pieces.append(.value(path))
            }
            flush()
            return (pieces, nil)
        }

        /// The index of the `}}` closing a tag whose content starts at `k`, if it closes on the same line.
        func tagEnd(from k: Int) -> Int? {
            var j = k
            while j + 1 < chars.count {
                if chars[j] == "\n" { return nil }
                if chars[j] == "}" && chars[j + 1] == "}" { return j }
                if chars[j] == "{" && chars[j + 1] == "{" { return nil }
                j += 1
            }
            return nil
        }

        static func path(_ text: String) -> [String]? {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for p in parts {
                if p.isEmpty { return nil }
                if !p.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { return nil }
            }
            return parts.isEmpty ? nil : parts
        }
    }
}
