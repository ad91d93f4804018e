import Foundation
public import KernelCore

/// The `tasks` key of the settings files: `{"tasks": {"runner": [...], "concurrency": 4, "retention": {"runs":
/// 1000, "days": 30}, "logLimit": 10485760, "killGrace": 5}}`. Local over project over user, per field; the
/// project and local files count only in a trusted project (the runner runs code).
public struct TaskSettings: Sendable {
    /// The agent command when no setting names one: the reference host in print mode.
    public static let defaultRunner = ["qodercli", "-p", "{prompt}", "-w", "{cwd}", "-m", "{model}"]

    public var runner: [String] = defaultRunner
    public var concurrency = 4
    public var retentionRuns = 1000
    public var retentionDays = 30.0
    public var logLimit = 10 << 20
    public var killGrace = 5.0
    /// `tasks.github`: the secret GitHub signs event deliveries with (a `${VAR}` reference) and the runner's own
    /// account, whose events are ignored (`{"webhookSecret": "${GITHUB_WEBHOOK_SECRET}", "login": "kernel-bot"}`).
    public var githubSecret: String?
    public var githubLogin: String?
    public var diagnostics: [Diagnostic] = []

    public init() {}

    /// Reads the `tasks` objects of settings files, lowest priority first.
    public init(layers: [(file: String, settings: Node)]) {
        for (file, root) in layers {
            guard let t = root["tasks"], !t.isNull else { continue }
            guard t.members != nil else {
                diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks' must be an object", at: t.location(in: file))); continue
            }
            if let r = t["runner"] {
                if let items = r.array, !items.isEmpty, items.allSatisfy({ $0.string != nil }) { runner = items.compactMap(\.string) }
                else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.runner' must be a non-empty array of strings (a command template such as [\"qodercli\", \"-p\", \"{prompt}\"])", at: r.location(in: file))) }
            }
            if let c = t["concurrency"] {
                if let v = c.int, v > 0 { concurrency = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.concurrency' must be a positive integer", at: c.location(in: file))) }
            }
            if let l = t["logLimit"] {
                if let v = l.int, v >= 1024 { logLimit = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.logLimit' must be a number of bytes (at least 1024)", at: l.location(in: file))) }
            }
            if let g = t["killGrace"] {
                if let s = g.scalarText, let v = Double(s), v >= 0 { killGrace = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.killGrace' must be seconds", at: g.location(in: file))) }
            }
            if let gh = t["github"] {
                if let s = gh["webhookSecret"] {
                    if let v = s.string, BlueprintParser.isReference(v) { githubSecret = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.github.webhookSecret' must be a reference such as ${GITHUB_WEBHOOK_SECRET}, never the secret itself", at: s.location(in: file))) }
                }
                if let l = gh["login"] {
                    if let v = l.string, !v.isEmpty { githubLogin = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.github.login' must be the runner's GitHub account name", at: l.location(in: file))) }
                }
            }
            if let ret = t["retention"] {
                if let n = ret["runs"] { if let v = n.int, v > 0 { retentionRuns = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.retention.runs' must be a positive integer", at: n.location(in: file))) } }
                if let n = ret["days"] { if let s = n.scalarText, let v = Double(s), v > 0 { retentionDays = v } else { diagnostics.append(Diagnostic(id: "settings.tasks", .error, "'tasks.retention.days' must be a positive number", at: n.location(in: file))) } }
            }
        }
    }

    /// Builds a run's argv from a template: each `{placeholder}` is replaced inside its argument. An argument
    /// that is only a placeholder whose value is empty (no `model`) is dropped together with the option before it
    /// (`-m {model}` disappears), so the agent CLI uses its default.
    public static func command(_ template: [String], values: [String: String]) -> [String] {
        var out: [String] = []
        for arg in template {
            let trimmed = arg.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{"), trimmed.hasSuffix("}"), let key = Optional(String(trimmed.dropFirst().dropLast())),
               values.keys.contains(key), values[key]!.isEmpty {
                if let last = out.last, last.hasPrefix("-"), out.count > 1 { out.removeLast() }
                continue
            }
            var s = ""
            var i = arg.startIndex
            while i < arg.endIndex {
                if arg[i] == "{", let close = arg[i...].firstIndex(of: "}") {
                    let key = String(arg[arg.index(after: i)..<close])
                    if let v = values[key] { s += v; i = arg.index(after: close); continue }
                }
                s.append(arg[i])
                i = arg.index(after: i)
            }
            out.append(s)
        }
        return out
    }
}
