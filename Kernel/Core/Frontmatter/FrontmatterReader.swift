/// A Markdown file split into its YAML frontmatter and its body.
public struct Frontmatter: Sendable {
    /// The YAML mapping; nil when the file has no frontmatter.
    public var fields: Node?
    /// The Markdown after the closing fence (the whole text when there is no frontmatter).
    public var body: String
    /// 1-based line in the file where `body` starts.
    public var bodyLine: Int
    /// True when the file starts with a `---` fence.
    public var hasFence: Bool

    public init(fields: Node?, body: String, bodyLine: Int, hasFence: Bool) {
        self.fields = fields
        self.body = body
        self.bodyLine = bodyLine
        self.hasFence = hasFence
    }
}

/// Reads the YAML frontmatter of a Markdown file (SKILL.md, commands, agents, output styles).
///
/// The file must start with a `---` line (trailing blanks allowed) and the frontmatter ends at the next line
/// holding only `---`. CRLF line ends are accepted; a UTF-8 byte order mark is skipped with a warning.
///
/// Strict YAML first; when that fails, one lenient retry (see `LenientFrontmatter`) quotes top-level plain
/// values that hosts accept but YAML rejects (`description: Use when: …`), with a warning per line changed.
public enum FrontmatterReader {
    /// The largest frontmatter read, in bytes (fences excluded). Larger is an error before any YAML parsing.
    public static let maxSize = 64 * 1024

    /// Splits `bytes` into frontmatter and body.
    ///
    /// Never throws: problems go to `diagnostics`, with `file:line:col` positions in the Markdown file.
    /// A file that does not start with `---` is not an error here (`fields` nil, `hasFence` false): the caller
    /// decides whether frontmatter is required.
    /// - Returns: nil when the frontmatter is present but unusable: unclosed fence, a YAML error that the lenient
    ///   retry cannot fix, a limit exceeded, a root that is not a mapping, invalid UTF-8.
    public static func read(_ bytes: [UInt8], file: String, diagnostics: inout Diagnostics) -> Frontmatter? {
        bytes.withUnsafeBufferPointer { read($0, file: file, diagnostics: &diagnostics) }
    }

    static func read(_ buf: UnsafeBufferPointer<UInt8>, file: String, diagnostics: inout Diagnostics) -> Frontmatter? {
        let count = buf.count
        var start = 0
        if count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
            diagnostics.warning(id: "frontmatter.file_starts_utf_8_byte", "file starts with a UTF-8 byte order mark; remove it",
                                at: SourceLocation(file: file, line: 1, column: 1))
            start = 3
        }
        let firstEnd = TextScan.nextNewline(buf, from: start, end: count)
        guard TextScan.isFence(buf, start: start, end: firstEnd) else {
            return Frontmatter(fields: nil, body: decode(buf, from: start), bodyLine: 1, hasFence: false)
        }

        // Find the closing fence.
        let yamlStart = min(firstEnd + 1, count)
        var lineStart = yamlStart
        var line = 2
        var closing: (start: Int, end: Int, line: Int)?
        while lineStart < count {
            let lineEnd = TextScan.nextNewline(buf, from: lineStart, end: count)
            if buf[lineStart] == 0x2D, TextScan.isFence(buf, start: lineStart, end: lineEnd) {
                closing = (lineStart, lineEnd, line)
                break
            }
            lineStart = lineEnd + 1
            line += 1
        }
        guard let closing else {
            diagnostics.error(id: "frontmatter.frontmatter_opened_line_1_never", "frontmatter opened on line 1 is never closed: add a line holding only '---'",
                              at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        let size = closing.start - yamlStart
        if size > maxSize {
            diagnostics.error(id: "frontmatter.frontmatter_bytes_limit", "frontmatter is \(size) bytes; the limit is \(maxSize)",
                              at: SourceLocation(file: file, line: 2, column: 1))
            return nil
        }
        if let bad = TextScan.firstInvalidUTF8(buf, in: yamlStart..<closing.start) {
            let pos = TextScan.position(of: bad, in: buf, from: yamlStart, startLine: 2)
            diagnostics.error(id: "frontmatter.frontmatter_not_valid_utf_8", "frontmatter is not valid UTF-8 (byte 0x\(String(buf[bad], radix: 16, uppercase: true)))",
                              at: SourceLocation(file: file, line: pos.line, column: pos.column))
            return nil
        }

        let bodyStart = min(closing.end + 1, count)
        let body = decode(buf, from: bodyStart)
        let bodyLine = closing.line + 1
        let yaml = Array(buf[yamlStart..<closing.start])

        guard let root = parseYAML(yaml, file: file, diagnostics: &diagnostics) else { return nil }
        let fields: Node
        switch root?.value {
        case nil, .null?:
            fields = Node(.object([]), line: 2, column: 1)
        case .object?:
            fields = root!
        case .some:
            let r = root!
            diagnostics.error(id: "frontmatter.frontmatter_yaml_mapping_key_value", "frontmatter must be a YAML mapping of 'key: value' lines, not \(r.kindDescription)",
                              at: SourceLocation(file: file, line: r.line, column: r.column))
            return nil
        }
        return Frontmatter(fields: fields, body: body, bodyLine: bodyLine, hasFence: true)
    }

    /// Strict parse, then the lenient retry. Returns `.some(nil)` for an empty document, nil on failure.
    private static func parseYAML(_ yaml: [UInt8], file: String, diagnostics: inout Diagnostics) -> Node?? {
        let strictFailure: YAMLReader.Failure
        do {
            let (root, issues) = try YAMLReader.parse(yaml, firstLine: 2)
            report(issues, file: file, into: &diagnostics)
            return .some(root)
        } catch {
            strictFailure = error
        }
        if let rewrite = LenientFrontmatter.rewrite(yaml),
           let (root, issues) = try? YAMLReader.parse(rewrite.yaml, firstLine: 2) {
            for change in rewrite.changes {
                let why = change.reason == LenientFrontmatter.commentReason
                    ? "contains ' #', which YAML reads as the start of a comment; as the frontmatter is not valid "
                        + "YAML, the whole value was read as a quoted string"
                    : "\(change.reason) and is not valid YAML; it was read as a quoted string"
                diagnostics.warning(id: "frontmatter.value_quote", "value of '\(change.key)' \(why) — quote it: \(change.key): \"...\"",
                                    at: SourceLocation(file: file, line: change.line + 2, column: change.column))
            }
            report(issues, file: file, into: &diagnostics)
            return .some(root)
        }
        diagnostics.error(id: "frontmatter.yaml_error", strictFailure.message,
                          at: SourceLocation(file: file, line: strictFailure.line, column: strictFailure.column))
        return nil
    }

    private static func report(_ issues: [YAMLReader.Issue], file: String, into diagnostics: inout Diagnostics) {
        for issue in issues {
            diagnostics.append(Diagnostic(id: "frontmatter.yaml_value", issue.severity, issue.message,
                                          at: SourceLocation(file: file, line: issue.line, column: issue.column)))
        }
    }

    private static func decode(_ buf: UnsafeBufferPointer<UInt8>, from start: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[start...]), as: UTF8.self)
    }
}
