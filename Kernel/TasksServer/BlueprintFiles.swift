import Foundation
import KernelCore
import KernelTasks

/// API-created blueprints, written as files in the user's or the project's `tasks/` folder: the frontmatter one
/// key per line with a JSON value (JSON is YAML), the prompt as the body. An edit re-reads the file, changes
/// the fields and writes it back in that form (temporary file, rename); the file is checked by the blueprint
/// parser before it replaces the old one, so a bad edit leaves it as it was.
struct BlueprintFiles {
    var userDir: String
    var projectDir: String

    /// Frontmatter fields an API body may set, by API name → file name.
    static let fieldNames: [(api: String, file: String)] = [
        ("description", "description"), ("title", "description"), ("model", "model"),
        ("workingDirectory", "workingDirectory"), ("repo", "repo"), ("repoUrl", "repo"), ("branch", "branch"),
        ("repoBranch", "branch"), ("setupCommands", "setupCommands"), ("agent", "agent"), ("agentType", "agent"),
        ("maxRuns", "maxRuns"), ("expires", "expires"), ("overlap", "overlap"), ("missed", "missed"),
        ("timeout", "timeout"), ("concurrency", "concurrency"), ("retries", "retries"), ("env", "env"),
        ("pauseAfterFailures", "pauseAfterFailures"),
    ]
    static let createFields: Set<String> = Set(fieldNames.map(\.api)).union(["name", "prompt", "type", "enabled", "scope", "triggers"])
    static let patchFields: Set<String> = Set(fieldNames.map(\.api)).union(["prompt", "enabled"])
    static let triggerFields: Set<String> = ["type", "config", "enabled"]

    /// A file as fields and body.
    struct Document {
        var fields: [(String, JSONValue)]
        var body: String

        subscript(key: String) -> JSONValue? {
            get { fields.first { $0.0 == key }?.1 }
            set {
                if let i = fields.firstIndex(where: { $0.0 == key }) {
                    if let newValue { fields[i].1 = newValue } else { fields.remove(at: i) }
                } else if let newValue { fields.append((key, newValue)) }
            }
        }

        var text: String {
            var out = "---\n"
            for (k, v) in fields { out += "\(k): \(v.serialized(pretty: false))\n" }
            out += "---\n"
            out += body.hasSuffix("\n") || body.isEmpty ? body : body + "\n"
            return out
        }
    }

    static func read(_ file: String) throws(APIError) -> Document {
        guard let bytes = try? FileSystem.read(file) else { throw APIError(.internalServerError, "io", "cannot read \(file)") }
        var d = Diagnostics()
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &d), let members = fm.fields?.members else {
            throw APIError(.conflict, "invalid_file", "\(file) has no readable frontmatter; fix it by hand")
        }
        return Document(fields: members.map { ($0.key, JSONValue(node: $0.value)) }, body: fm.body)
    }

    /// Applies an API body's fields to a document.
    static func apply(_ body: Node, to doc: inout Document) throws(APIError) {
        for (api, file) in fieldNames {
            guard let v = body[api] else { continue }
            doc[file] = v.isNull ? nil : JSONValue(node: v)
        }
        if let p = body["prompt"] {
            guard let s = p.string else { throw APIError.badRequest("'prompt' must be a string") }
            doc.body = s
        }
    }

    /// The file form of an API trigger (`{"type", "config", "enabled"}`; Optio's `cronExpression` is `cron`).
    static func trigger(_ n: Node) throws(APIError) -> JSONValue {
        guard n.members != nil else { throw APIError.badRequest("a trigger must be an object {\"type\", \"config\", \"enabled\"}") }
        for m in n.members! where !triggerFields.contains(m.key) {
            throw APIError(.badRequest, "unknown_field", "unknown trigger field '\(m.key)' (allowed: config, enabled, type)")
        }
        guard let type = n["type"]?.string else { throw APIError.badRequest("a trigger needs 'type'") }
        var fields: [(String, JSONValue)] = [("type", .string(type))]
        if let config = n["config"], !config.isNull {
            guard let members = config.members else { throw APIError.badRequest("a trigger's 'config' must be an object") }
            for m in members { fields.append((m.key == "cronExpression" ? "cron" : m.key, JSONValue(node: m.value))) }
        }
        if let e = n["enabled"], !e.isNull { fields.append(("enabled", JSONValue(node: e))) }
        return .object(fields)
    }

    /// Checks the document as the blueprint parser would read it; errors are 422 with their `line:col`.
    static func check(_ doc: Document, file: String, name: String) throws(APIError) {
        var d = Diagnostics()
        let parsed = BlueprintParser.parse(Array(doc.text.utf8), file: file, defaultName: name, diagnostics: &d)
        let errors = d.items.filter { $0.severity == .error }
        if parsed == nil || !errors.isEmpty {
            throw APIError(.unprocessableContent, "invalid_blueprint", errors.map(\.description).joined(separator: "; "))
        }
    }

    static func write(_ doc: Document, to file: String) throws(APIError) {
        do {
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(doc.text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw APIError(.internalServerError, "io", "cannot write \(file): \(error.localizedDescription)")
        }
    }
}
