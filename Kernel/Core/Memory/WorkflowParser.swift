/// A saved workflow (`workflows/*.js`): what its exported `meta` object says (`seeds/cli-workflows.md`).
public struct WorkflowDefinition: Sendable {
    public struct Phase: Sendable, Equatable {
        public var title: String
        public var detail: String?
        public var model: String?
    }

    public var name: String
    public var description: String
    public var title: String?
    public var whenToUse: String?
    public var phases: [Phase]
    /// `meta.inputSchema`, as JSON.
    public var inputSchema: JSONValue?
    public var file: String
    /// The script's size in bytes.
    public var scriptLength: Int
}

/// Reads a workflow script's `meta` without running it: the script must begin (after comments) with
/// `export const meta = { … }`, a pure literal read by `JSLiteralReader`. Required: `name` and `description`,
/// non-empty strings; optional `title`, `whenToUse` (strings), `phases` (`{title, detail?, model?}` each; entries
/// without a string title are skipped with a warning, as the reference host skips them) and `inputSchema` (an
/// object). Every problem is a diagnostic at `file:line:col`; nil when the meta cannot be used.
public enum WorkflowParser {
    /// The largest script read (the reference host's Workflow tool refuses larger ones too).
    public static let maxSize = 10 << 20

    public static func parse(_ bytes: [UInt8], file: String, diagnostics: inout Diagnostics) -> WorkflowDefinition? {
        func at(_ offset: Int) -> SourceLocation {
            let p = JSLiteralReader.position(of: offset, in: bytes)
            return SourceLocation(file: file, line: p.line, column: p.column)
        }
        if bytes.count > maxSize {
            diagnostics.error(id: "workflow.the_script_is_bytes_the", "the script is \(bytes.count) bytes; the limit is \(maxSize)", at: SourceLocation(file: file))
            return nil
        }
        var reader = JSLiteralReader(bytes)
        let meta: JSLiteral
        do throws(JSLiteralReader.Failure) {
            try reader.skipTrivia()
            if reader.offset + 1 < bytes.count, bytes[reader.offset] == UInt8(ascii: "#"), bytes[reader.offset + 1] == UInt8(ascii: "!") {
                while reader.offset < bytes.count, bytes[reader.offset] != 0x0A { reader.skip(1) }
                try reader.skipTrivia()
            }
            for expected in ["export", "const", "meta"] {
                let start = reader.offset
                let w = reader.word()
                if w != expected {
                    throw JSLiteralReader.Failure(
                        message: "a workflow script must begin with 'export const meta = { … }' (found \(w.map { "'\($0)'" } ?? reader.found()))",
                        offset: start)
                }
                try reader.skipTrivia()
            }
            try reader.expect(UInt8(ascii: "="), "'=' after 'export const meta'")
            try reader.skipTrivia()
            guard reader.offset < bytes.count, bytes[reader.offset] == UInt8(ascii: "{") else {
                throw JSLiteralReader.Failure(message: "meta must be an object literal, found \(reader.found())", offset: reader.offset)
            }
            meta = try reader.value()
        } catch {
            diagnostics.error(id: "workflow.meta_literal", error.message, at: at(error.offset))
            return nil
        }
        guard case .object(let members) = meta else { return nil }
        func member(_ key: String) -> (offset: Int, value: JSLiteral)? {
            members.last { $0.key == key }.map { ($0.offset, $0.value) }
        }
        func requiredText(_ key: String) -> String? {
            guard let m = member(key) else {
                diagnostics.error(id: "workflow.meta_is_required_a_non", "meta.\(key) is required (a non-empty string)", at: at(0))
                return nil
            }
            guard let s = m.value.string, !s.isEmpty else {
                diagnostics.error(id: "workflow.meta_must_be_a_non", "meta.\(key) must be a non-empty string, not \(m.value.kindDescription)", at: at(m.offset))
                return nil
            }
            return s
        }
        func optionalText(_ key: String) -> String? {
            guard let m = member(key) else { return nil }
            guard let s = m.value.string else {
                diagnostics.warning(id: "workflow.meta_should_be_a_string", "meta.\(key) should be a string, not \(m.value.kindDescription); ignored", at: at(m.offset))
                return nil
            }
            return s
        }
        let name = requiredText("name")
        let description = requiredText("description")
        var workflow = WorkflowDefinition(name: name ?? "", description: description ?? "", title: optionalText("title"),
                                          whenToUse: optionalText("whenToUse"), phases: [], inputSchema: nil,
                                          file: file, scriptLength: bytes.count)
        if let m = member("phases") {
            if case .array(let items) = m.value {
                for (index, item) in items.enumerated() {
                    guard case .object = item, let title = item["title"]?.string else {
                        diagnostics.warning(id: "workflow.meta_phases_has_no_string", "meta.phases[\(index)] has no string 'title'; skipped", at: at(m.offset))
                        continue
                    }
                    workflow.phases.append(.init(title: title, detail: item["detail"]?.string, model: item["model"]?.string))
                }
            } else {
                diagnostics.warning(id: "workflow.meta_phases_should_be_an", "meta.phases should be an array of {title, detail}, not \(m.value.kindDescription); ignored", at: at(m.offset))
            }
        }
        if let m = member("inputSchema") {
            if case .object = m.value {
                workflow.inputSchema = m.value.json
            } else {
                diagnostics.error(id: "workflow.meta_inputschema_must_be_an", "meta.inputSchema must be an object literal, not \(m.value.kindDescription)", at: at(m.offset))
                return nil
            }
        }
        guard name != nil, description != nil else { return nil }
        return workflow
    }
}

extension JSLiteralReader {
    mutating func skip(_ n: Int) { i = min(i + n, bytes.count) }
}
