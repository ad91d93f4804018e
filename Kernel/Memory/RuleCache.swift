import Foundation
import KernelCore

/// Parsed rule files as the component cache keeps them (kind `rule`, keyed by the file's stat fields): the
/// rule's fields and the diagnostics its parse reported, in `ByteWriter`'s binary form, so a start with a
/// thousand rules decodes them instead of running the frontmatter parser a thousand times.
enum RuleCache {
    static let kind = "rule"
    /// Bump when `RuleParser` changes what it produces.
    static let version = 1

    static func encode(_ rule: RuleDefinition, diagnostics: [Diagnostic]) -> Data {
        var w = ByteWriter()
        w.string(rule.mode.rawValue)
        w.string(rule.decidedBy)
        w.optionalString(rule.description)
        w.strings(rule.globs)
        w.optionalString(rule.invalid)
        w.string(rule.body)
        w.int(Int64(rule.bodyLine))
        w.int(Int64(diagnostics.count))
        for d in diagnostics {
            w.string(d.id)
            w.string(d.severity.rawValue)
            w.string(d.message)
            w.string(d.location.file)
            w.optionalInt(d.location.line)
            w.optionalInt(d.location.column)
        }
        return Data(w.bytes)
    }

    /// The rule and its diagnostics, or nil when the payload is not one this version wrote.
    static func decode(_ payload: Data, file: String) -> (RuleDefinition, [Diagnostic])? {
        payload.withUnsafeBytes { decode(ByteReader($0), file: file) }
    }

    private static func decode(_ reader: ByteReader, file: String) -> (RuleDefinition, [Diagnostic])? {
        var r = reader
        guard let modeName = r.string(), let mode = RuleMode(rawValue: modeName), let decidedBy = r.string(),
              let description = r.optionalString(), let globs = r.strings(), let invalid = r.optionalString(),
              let body = r.string(), let bodyLine = r.int(), let count = r.count() else { return nil }
        var diagnostics: [Diagnostic] = []
        for _ in 0..<count {
            guard let id = r.string(), let severityName = r.string(), let severity = Severity(rawValue: severityName),
                  let message = r.string(), let at = r.string(), let line = r.optionalInt(), let column = r.optionalInt()
            else { return nil }
            diagnostics.append(Diagnostic(id: id, severity, message, at: SourceLocation(file: at, line: line, column: column)))
        }
        guard r.isAtEnd else { return nil }
        let rule = RuleDefinition(file: file, mode: mode, decidedBy: decidedBy, description: description, globs: globs,
                                  invalid: invalid, body: body, bodyLine: Int(bodyLine))
        return (rule, diagnostics)
    }
}
