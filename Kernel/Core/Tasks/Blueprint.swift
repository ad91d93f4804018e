import Foundation

/// A task blueprint: a saved prompt template plus agent configuration, fired by its triggers
/// (`~/.qoder/tasks/*.md`, `<project>/.qoder/tasks/*.md`, a plugin's `tasks/*.md`).
public struct TaskBlueprint: Sendable {
    /// What the overlap policy does when a run of the same blueprint is still going.
    public enum Overlap: String, Sendable, CaseIterable { case allow, skip, bufferOne = "buffer-one", replace }
    /// What happens to slots that passed while no scheduler was running.
    public enum Missed: String, Sendable, CaseIterable { case skip, latest, all }

    /// Retries of a failed run: up to `count` more attempts, waiting `backoff` × 2^(attempt−1), at most `maxBackoff`.
    public struct Retries: Sendable, Equatable {
        public var count: Int
        public var backoff: Double
        public var maxBackoff: Double
        public init(count: Int = 0, backoff: Double = 30, maxBackoff: Double = 3600) {
            self.count = count; self.backoff = backoff; self.maxBackoff = maxBackoff
        }
        /// The wait before attempt `attempt + 1` (attempt 1 is the first run).
        public func delay(after attempt: Int) -> Double {
            min(maxBackoff, backoff * pow(2, Double(max(0, attempt - 1))))
        }
    }

    /// The name: frontmatter `name`, else the file name without `.md`; plugin ones are `plugin:name`.
    public var name: String
    public var description: String?
    public var model: String?
    /// The folder a run works in, as written (relative to the project); nil: the project folder.
    public var workingDirectory: String?
    /// A repo blueprint: each run clones `repo` (at `branch`) into a fresh folder and runs `setupCommands` there.
    public var repo: String?
    public var branch: String?
    public var setupCommands: [String] = []
    /// The subagent the runner should use (`{agent}` in the runner template).
    public var agent: String?
    /// A runner command template overriding settings `tasks.runner`.
    public var runner: [String]?
    public var triggers: [TaskTrigger] = []
    public var maxRuns: Int?
    public var expires: Date?
    public var overlap: Overlap = .skip
    public var missed: Missed = .latest
    /// How far back `missed: all` catches up.
    public var catchUpWindow: Double = 86_400
    /// The most missed slots `missed: all` runs (a hard cap; the rest are recorded as skipped).
    public var catchUpLimit: Int = 10
    public var retries = Retries()
    /// Seconds before the run's process group gets SIGTERM.
    public var timeout: Double = 3600
    /// Runs of this blueprint at once; more queue.
    public var concurrency: Int = 1
    /// Consecutive failed runs (after retries) that pause the blueprint; 0 never pauses.
    public var pauseAfterFailures: Int = 3
    /// Environment for the run: literal values, or `${VAR}` references resolved from the scheduler's environment.
    public var env: [(String, String)] = []
    public var enabled = true
    /// The prompt template (the body).
    public var template: TaskTemplate
    /// Where it was read from.
    public var file: String
    public var line: Int = 1

    public init(name: String, file: String, template: TaskTemplate) {
        self.name = name
        self.file = file
        self.template = template
    }

    /// A digest of what decides the schedule of trigger `index` (its spec and the blueprint's fields that
    /// affect slots): when it changes, the next fire is recomputed from now.
    public func scheduleKey(_ index: Int) -> String {
        let t = triggers[index]
        return "\(t.kind.rawValue)|\(t.cron?.source ?? "")|\(t.timezone.identifier)|\(t.at.map { "\($0.timeIntervalSince1970)" } ?? "")|\(t.every ?? 0)|\(t.jitter)"
    }
}

/// One trigger of a blueprint.
public struct TaskTrigger: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case schedule, at, every, webhook, event, api }

    public var kind: Kind
    /// `schedule`: the expression and its zone (default UTC).
    public var cron: CronExpression?
    public var timezone: TimeZone = TaskTrigger.utc
    static let utc = TimeZone(identifier: "UTC")!
    /// `at`: the one-off instant.
    public var at: Date?
    /// `every`: the interval in seconds; slots are multiples of it since 1970-01-01 UTC, so every scheduler agrees.
    public var every: Double?
    /// Random delay added to a slot, never reaching the next slot (deterministic per slot).
    public var jitter: Double = 0
    /// Per-trigger missed-run policy; nil: the blueprint's.
    public var missed: TaskBlueprint.Missed?
    /// `webhook`: the path under the server's hooks route, and the secret (a `${VAR}` reference).
    public var path: String?
    public var secret: String?
    /// `webhook`: parameter name → dotted path into the body (`issue.title`); empty: the whole body is the parameters.
    public var paramMapping: [(String, String)] = []
    /// `webhook`, `event`, `api`: at most this many accepted requests per `rateWindow` seconds (a token bucket).
    public var rateLimit: Int = 60
    public var rateWindow: Double = 60
    /// `event`: source (github, linear, jira…), event kinds and actions, labels (any of), repository, branch glob.
    public var source: String?
    public var kinds: [String] = []
    public var actions: [String] = []
    public var labels: [String] = []
    public var repository: String?
    public var branch: String?
    public var enabled = true
    public var line: Int = 1
    public var column: Int = 1

    public init(kind: Kind) { self.kind = kind }

    /// Whether the scheduler fires this trigger by time (schedule, at, every).
    public var isTimed: Bool { kind == .schedule || kind == .at || kind == .every }

    /// The first slot strictly after `date`, before jitter; nil when there is none (a past `at`).
    public func nextSlot(after date: Date) -> Date? {
        switch kind {
        case .schedule: return cron?.nextFire(after: date, in: timezone)
        case .at: return at.flatMap { $0 > date ? $0 : nil }
        case .every:
            guard let every, every > 0 else { return nil }
            let n = floor(date.timeIntervalSince1970 / every) + 1
            return Date(timeIntervalSince1970: n * every)
        default: return nil
        }
    }

    /// The jitter added to `slot`: deterministic for (key, slot), below `jitter` and ending before the next slot.
    public func jitterOffset(slot: Date, key: String) -> Double {
        guard jitter > 0 else { return 0 }
        var room = jitter
        if let next = nextSlot(after: slot) { room = min(room, next.timeIntervalSince(slot) - 1) }
        guard room >= 1 else { return 0 }
        var h: UInt64 = 1469598103934665603
        for b in "\(key)|\(Int64(slot.timeIntervalSince1970))".utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return Double(h % UInt64(room))
    }
}

extension JSONValue {
    /// A parsed JSON or YAML value as a `JSONValue` (numbers as integers when they are, else as written).
    public init(node: Node) {
        switch node.value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = Int(n).map { .int($0) } ?? .raw(n)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map { JSONValue(node: $0) })
        case .object(let members): self = .object(members.map { ($0.key, JSONValue(node: $0.value)) })
        }
    }
}

/// Reads a blueprint file: YAML frontmatter (libyaml, like every component) and the prompt template body.
public enum BlueprintParser {
    public static let maxTriggers = 5
    static let knownKeys: Set<String> = [
        "name", "description", "model", "workingDirectory", "repo", "branch", "setupCommands", "agent", "runner",
        "triggers", "maxRuns", "expires", "overlap", "missed", "catchUpWindow", "catchUpLimit", "retries", "timeout",
        "concurrency", "pauseAfterFailures", "env", "enabled",
    ]
    static let triggerKeys: [TaskTrigger.Kind: Set<String>] = [
        .schedule: ["cron", "timezone", "jitter", "missed"], .at: ["at", "timezone"],
        .every: ["every", "jitter", "missed"], .webhook: ["path", "secret", "paramMapping", "rateLimit"],
        .event: ["source", "kinds", "actions", "labels", "repo", "branch", "rateLimit"], .api: ["rateLimit"],
    ]

    /// Parses one blueprint.
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - file: its path, for diagnostics.
    ///   - defaultName: the name when the frontmatter has none (the file name without `.md`).
    /// - Returns: nil when the file cannot be a blueprint (unusable frontmatter, or none); problems go to
    ///   `diagnostics` with `file:line:col` (a bad cron names the field and the column).
    public static func parse(_ bytes: [UInt8], file: String, defaultName: String,
                             diagnostics d: inout Diagnostics) -> TaskBlueprint? {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &d) else { return nil }
        guard let fields = fm.fields, fm.hasFence else {
            d.error(id: "task.invalid_field", "a task blueprint needs YAML frontmatter (a '---' fenced block with at least 'triggers')",
                    at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let r = Reader(file: file, lines: lines)
        for m in fields.members ?? [] where !knownKeys.contains(m.key) {
            d.warning(id: "task.unknown_field", "unknown blueprint field '\(m.key)'\(didYouMean(m.key, in: Array(knownKeys)))",
                      at: SourceLocation(file: file, line: m.keyLine, column: m.keyColumn))
        }
        let template = TaskTemplate.parse(fm.body, file: file, line: fm.bodyLine, diagnostics: &d)
        var b = TaskBlueprint(name: defaultName, file: file, template: template)
        if let n = r.string(fields, "name", &d) {
            if isValidName(n) { b.name = n } else {
                d.error(id: "task.invalid_field", "'name' must be letters, digits, '-', '_' or '.', starting with a letter or digit, got \"\(n)\"",
                        at: r.at(fields["name"]!))
            }
        } else if !isValidName(defaultName) {
            d.error(id: "task.invalid_field", "the file name '\(defaultName)' is not a valid task name; set 'name'", at: r.start)
        }
        b.description = r.string(fields, "description", &d)
        b.model = r.string(fields, "model", &d)
        b.workingDirectory = r.string(fields, "workingDirectory", &d)
        b.repo = r.string(fields, "repo", &d)
        b.branch = r.string(fields, "branch", &d)
        for (key, value) in [("repo", b.repo), ("branch", b.branch)] {
            if let value, value.hasPrefix("-") {
                d.error(id: "task.invalid_field", "'\(key)' may not start with '-'", at: r.at(fields[key]!))
            }
        }
        if b.repo != nil, b.workingDirectory != nil {
            d.error(id: "task.invalid_field", "a blueprint has either 'workingDirectory' or 'repo', not both", at: r.at(fields["repo"]!))
        }
        b.setupCommands = r.strings(fields, "setupCommands", &d) ?? []
        if !b.setupCommands.isEmpty, b.repo == nil {
            d.warning(id: "task.ignored_field", "'setupCommands' run only for a repo blueprint ('repo' is not set); they are ignored",
                      at: r.at(fields["setupCommands"]!))
        }
        b.agent = r.string(fields, "agent", &d)
        if let runner = r.strings(fields, "runner", &d) {
            if runner.isEmpty { d.error(id: "task.invalid_field", "'runner' must name a command", at: r.at(fields["runner"]!)) } else { b.runner = runner }
        }
        b.maxRuns = r.positiveInt(fields, "maxRuns", &d)
        if let n = fields["expires"], !n.isNull {
            if let s = n.scalarText, let date = parseDate(s, zone: TimeZone(identifier: "UTC")!) { b.expires = date } else {
                d.error(id: "task.invalid_field", "'expires' must be a date or date-time (2026-12-31, 2026-12-31T18:00:00Z), got \(n.quotedForDiagnostic)", at: r.at(n))
            }
        }
        if let o = r.oneOf(fields, "overlap", TaskBlueprint.Overlap.allCases.map(\.rawValue), &d) { b.overlap = .init(rawValue: o)! }
        if let m = r.oneOf(fields, "missed", TaskBlueprint.Missed.allCases.map(\.rawValue), &d) { b.missed = .init(rawValue: m)! }
        if let w = r.duration(fields, "catchUpWindow", &d) { b.catchUpWindow = w }
        if let n = r.positiveInt(fields, "catchUpLimit", &d) { b.catchUpLimit = n }
        if let t = r.duration(fields, "timeout", &d) {
            if t > 0 { b.timeout = t } else { d.error(id: "task.invalid_field", "'timeout' must be more than 0", at: r.at(fields["timeout"]!)) }
        }
        if let c = r.positiveInt(fields, "concurrency", &d) { b.concurrency = c }
        if let n = fields["pauseAfterFailures"], !n.isNull {
            if let s = n.scalarText, let v = Int(s), v >= 0 { b.pauseAfterFailures = v } else {
                d.error(id: "task.invalid_field", "'pauseAfterFailures' must be 0 (never) or a positive integer, got \(n.quotedForDiagnostic)", at: r.at(n))
            }
        }
        if let n = fields["retries"], !n.isNull { b.retries = parseRetries(n, r, &d) }
        if let n = fields["enabled"], !n.isNull {
            if let v = n.flexibleBool { b.enabled = v } else { d.error(id: "task.invalid_field", "'enabled' must be a boolean, got \(n.quotedForDiagnostic)", at: r.at(n)) }
        }
        if let n = fields["env"], !n.isNull { b.env = parseEnv(n, r, &d) }
        if let n = fields["triggers"], !n.isNull {
            if let items = n.array {
                if items.count > maxTriggers {
                    d.error(id: "task.invalid_field", "a blueprint has at most \(maxTriggers) triggers, got \(items.count)", at: r.at(items[maxTriggers]))
                }
                for item in items.prefix(maxTriggers) {
                    if let t = parseTrigger(item, r, &d) { b.triggers.append(t) }
                }
                var paths: [String: Int] = [:]
                for t in b.triggers where t.kind == .webhook {
                    if let p = t.path {
                        if let first = paths[p] {
                            d.error(id: "task.invalid_field", "webhook path '\(p)' is already used by the trigger on line \(first)",
                                    at: SourceLocation(file: file, line: t.line, column: t.column))
                        } else { paths[p] = t.line }
                    }
                }
            } else {
                d.error(id: "task.invalid_field", "'triggers' must be a list of triggers, got \(n.kindDescription)", at: r.at(n))
            }
        }
        if b.template.source.trimmingBlanks.isEmpty {
            d.warning(id: "task.ignored_field", "the prompt (the body after the frontmatter) is empty", at: SourceLocation(file: file, line: fm.bodyLine, column: 1))
        }
        return b
    }

    /// Letters, digits, `-`, `_`, `.`; starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    }

    static func parseRetries(_ n: Node, _ r: Reader, _ d: inout Diagnostics) -> TaskBlueprint.Retries {
        var retries = TaskBlueprint.Retries()
        if let s = n.scalarText {
            if let v = Int(s), v >= 0 { retries.count = v } else {
                d.error(id: "task.invalid_field", "'retries' must be a count (0 or more) or {count, backoff, maxBackoff}, got \(n.quotedForDiagnostic)", at: r.at(n))
            }
            return retries
        }
        guard n.members != nil else {
            d.error(id: "task.invalid_field", "'retries' must be a count or an object, got \(n.kindDescription)", at: r.at(n)); return retries
        }
        for m in n.members! where !["count", "backoff", "maxBackoff"].contains(m.key) {
            d.warning(id: "task.unknown_field", "unknown 'retries' field '\(m.key)'", at: SourceLocation(file: r.file, line: m.keyLine, column: m.keyColumn))
        }
        if let c = n["count"] {
            if let s = c.scalarText, let v = Int(s), v >= 0 { retries.count = v } else {
                d.error(id: "task.invalid_field", "'retries.count' must be 0 or more, got \(c.quotedForDiagnostic)", at: r.at(c))
            }
        }
        if let v = r.duration(n, "backoff", &d, label: "retries.backoff") { retries.backoff = v }
        if let v = r.duration(n, "maxBackoff", &d, label: "retries.maxBackoff") { retries.maxBackoff = v }
        return retries
    }

    static let secretWords = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL"]

    static func parseEnv(_ n: Node, _ r: Reader, _ d: inout Diagnostics) -> [(String, String)] {
        guard let members = n.members else {
            d.error(id: "task.invalid_field", "'env' must be an object of NAME: value, got \(n.kindDescription)", at: r.at(n)); return []
        }
        var out: [(String, String)] = []
        for m in members {
            guard let v = m.value.scalarText else {
                d.error(id: "task.invalid_field", "env '\(m.key)' must be a string, got \(m.value.kindDescription)", at: r.at(m.value)); continue
            }
            let upper = m.key.uppercased()
            if secretWords.contains(where: { upper.contains($0) }), !isReference(v) {
                d.error(id: "task.invalid_field", "env '\(m.key)' looks like a secret written inline: pass it by reference, as ${\(m.key)}, and set it in the scheduler's environment",
                        at: r.at(m.value))
                continue
            }
            out.append((m.key, v))
        }
        return out
    }

    /// Whether `text` is exactly one `${VAR}` reference.
    public static func isReference(_ text: String) -> Bool {
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.count > 3 else { return false }
        let name = text.dropFirst(2).dropLast()
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(name.first?.isNumber ?? true)
    }

    static func parseTrigger(_ n: Node, _ r: Reader, _ d: inout Diagnostics) -> TaskTrigger? {
        guard n.members != nil else {
            d.error(id: "task.invalid_field", "a trigger must be an object with a 'type', got \(n.kindDescription)", at: r.at(n)); return nil
        }
        guard let typeNode = n["type"], let typeText = typeNode.scalarText else {
            d.error(id: "task.invalid_field", "a trigger needs 'type' (one of \(TaskTrigger.Kind.allCases.map(\.rawValue).joined(separator: ", ")))", at: r.at(n))
            return nil
        }
        let aliases = ["cron": TaskTrigger.Kind.schedule, "interval": .every, "ticket": .event]
        guard let kind = TaskTrigger.Kind(rawValue: typeText) ?? aliases[typeText] else {
            d.error(id: "task.invalid_field", "unknown trigger type '\(typeText)' (one of \(TaskTrigger.Kind.allCases.map(\.rawValue).joined(separator: ", ")))\(didYouMean(typeText, in: TaskTrigger.Kind.allCases.map(\.rawValue)))",
                    at: r.at(typeNode))
            return nil
        }
        var t = TaskTrigger(kind: kind)
        t.line = n.line; t.column = n.column
        let allowed = triggerKeys[kind]!.union(["type", "enabled"])
        for m in n.members! where !allowed.contains(m.key) {
            d.warning(id: "task.unknown_field", "'\(m.key)' is not a field of a \(kind.rawValue) trigger", at: SourceLocation(file: r.file, line: m.keyLine, column: m.keyColumn))
        }
        var ok = true
        if let e = n["enabled"], !e.isNull {
            if let v = e.flexibleBool { t.enabled = v } else { d.error(id: "task.invalid_field", "'enabled' must be a boolean", at: r.at(e)) }
        }
        if let z = r.string(n, "timezone", &d) {
            if let zone = TimeZone(identifier: z) { t.timezone = zone } else {
                d.error(id: "task.invalid_field", "unknown time zone '\(z)' (a name from the tz database, such as Europe/Berlin or UTC)", at: r.at(n["timezone"]!))
                ok = false
            }
        }
        if let j = r.duration(n, "jitter", &d) { t.jitter = j }
        if let m = r.oneOf(n, "missed", TaskBlueprint.Missed.allCases.map(\.rawValue), &d) { t.missed = .init(rawValue: m)! }
        switch kind {
        case .schedule:
            guard let c = n["cron"], let text = c.scalarText else {
                d.error(id: "task.invalid_field", "a schedule trigger needs 'cron' (five fields: minute hour day-of-month month day-of-week)", at: r.at(n))
                return nil
            }
            do { t.cron = try CronExpression(text) } catch {
                let loc = r.valueLocation(c, offset: error.offset)
                d.error(id: "task.bad_cron", "cron \"\(text)\": \(error.message)", at: loc)
                ok = false
            }
        case .at:
            guard let a = n["at"], let text = a.scalarText else { d.error(id: "task.invalid_field", "an 'at' trigger needs 'at' (a date-time)", at: r.at(n)); return nil }
            if let date = parseDate(text, zone: t.timezone) { t.at = date } else {
                d.error(id: "task.invalid_field", "'at' must be a date-time (2026-12-31T09:00:00Z, or 2026-12-31 09:00 with 'timezone'), got \"\(text)\"", at: r.at(a))
                ok = false
            }
        case .every:
            if let v = r.duration(n, "every", &d) {
                if v >= 1 { t.every = v } else { d.error(id: "task.invalid_field", "'every' must be at least 1s", at: r.at(n["every"]!)); ok = false }
            } else if n["every"] == nil {
                d.error(id: "task.invalid_field", "an 'every' trigger needs 'every' (an interval such as 15m)", at: r.at(n)); return nil
            } else { ok = false }
        case .webhook:
            guard let p = r.string(n, "path", &d) else { d.error(id: "task.invalid_field", "a webhook trigger needs 'path'", at: r.at(n)); return nil }
            if p.isEmpty || p.hasPrefix("/") || p.contains("..") || !p.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) {
                d.error(id: "task.invalid_field", "webhook 'path' must be letters, digits, '-', '_', '.', '/' (not starting with '/', no '..'), got \"\(p)\"", at: r.at(n["path"]!))
                ok = false
            }
            t.path = p
            if let s = r.string(n, "secret", &d) {
                if isReference(s) { t.secret = s } else {
                    d.error(id: "task.invalid_field", "webhook 'secret' must be a reference such as ${SENTRY_WEBHOOK_SECRET}, never the secret itself", at: r.at(n["secret"]!))
                    ok = false
                }
            }
            if let m = n["paramMapping"], !m.isNull {
                if let members = m.members {
                    for member in members {
                        if let path = member.value.scalarText, !path.isEmpty { t.paramMapping.append((member.key, path)) } else {
                            d.error(id: "task.invalid_field", "paramMapping '\(member.key)' must be a dotted path into the body (issue.title), got \(member.value.quotedForDiagnostic)", at: r.at(member.value))
                            ok = false
                        }
                    }
                } else {
                    d.error(id: "task.invalid_field", "'paramMapping' must be an object of parameter: dotted.path, got \(m.kindDescription)", at: r.at(m))
                    ok = false
                }
            }
        case .event:
            t.source = r.string(n, "source", &d)
            if t.source == nil { d.error(id: "task.invalid_field", "an event trigger needs 'source' (github, linear, jira, notion…)", at: r.at(n)); ok = false }
            t.kinds = r.strings(n, "kinds", &d) ?? []
            t.actions = r.strings(n, "actions", &d) ?? []
            t.labels = r.strings(n, "labels", &d) ?? []
            t.repository = r.string(n, "repo", &d)
            t.branch = r.string(n, "branch", &d)
        case .api:
            break
        }
        if let rl = n["rateLimit"], !rl.isNull {
            if let text = rl.scalarText, let rate = parseRate(text) { t.rateLimit = rate.0; t.rateWindow = rate.1 } else {
                d.error(id: "task.invalid_field", "'rateLimit' must be requests per second, minute or hour (120/m, 10/s, 1000/h), got \(rl.quotedForDiagnostic)", at: r.at(rl))
                ok = false
            }
        }
        return ok ? t : nil
    }

    /// `N/s`, `N/m`, `N/h` (N > 0): the count and the window in seconds.
    public static func parseRate(_ text: String) -> (Int, Double)? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), n > 0 else { return nil }
        switch parts[1] {
        case "s": return (n, 1)
        case "m", "min": return (n, 60)
        case "h": return (n, 3600)
        default: return nil
        }
    }

    /// ISO 8601 with an offset or `Z` (`2026-12-31T09:00:00Z`), or a local `2026-12-31T09:00[:00]` /
    /// `2026-12-31 09:00` / `2026-12-31` read in `zone`.
    public static func parseDate(_ text: String, zone: TimeZone) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let d = try? Date(t, strategy: .iso8601) { return d }
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = zone
        for pattern in ["yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss",
                        "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            fmt.dateFormat = pattern
            if let d = fmt.date(from: t) { return d }
        }
        return nil
    }

    struct Reader {
        let file: String
        let lines: [Substring]

        var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }
        func at(_ n: Node) -> SourceLocation { n.location(in: file) }

        /// The location `offset` characters into a scalar's text (past its opening quote when quoted).
        func valueLocation(_ n: Node, offset: Int) -> SourceLocation {
            var column = n.column
            if n.line >= 1, n.line <= lines.count {
                let chars = Array(lines[n.line - 1])
                if column - 1 < chars.count, chars[column - 1] == "\"" || chars[column - 1] == "'" { column += 1 }
            }
            return SourceLocation(file: file, line: n.line, column: column + offset)
        }

        func string(_ o: Node, _ key: String, _ d: inout Diagnostics) -> String? {
            guard let n = o[key], !n.isNull else { return nil }
            if let s = n.scalarText { return s }
            d.error(id: "task.invalid_field", "'\(key)' must be a string, got \(n.kindDescription)", at: at(n))
            return nil
        }

        func strings(_ o: Node, _ key: String, _ d: inout Diagnostics) -> [String]? {
            guard let n = o[key], !n.isNull else { return nil }
            if let s = n.scalarText { return [s] }
            guard let items = n.array else {
                d.error(id: "task.invalid_field", "'\(key)' must be a list of strings, got \(n.kindDescription)", at: at(n)); return nil
            }
            var out: [String] = []
            for item in items {
                if let s = item.scalarText { out.append(s) } else {
                    d.error(id: "task.invalid_field", "entries of '\(key)' must be strings, got \(item.kindDescription)", at: at(item))
                }
            }
            return out
        }

        func positiveInt(_ o: Node, _ key: String, _ d: inout Diagnostics) -> Int? {
            guard let n = o[key], !n.isNull else { return nil }
            if let s = n.scalarText, let v = Int(s), v > 0 { return v }
            d.error(id: "task.invalid_field", "'\(key)' must be a positive integer, got \(n.quotedForDiagnostic)", at: at(n))
            return nil
        }

        func duration(_ o: Node, _ key: String, _ d: inout Diagnostics, label: String? = nil) -> Double? {
            guard let n = o[key], !n.isNull else { return nil }
            if let s = n.scalarText, let v = TaskDuration.parse(s) { return v }
            d.error(id: "task.invalid_field", "'\(label ?? key)' must be a duration such as 90s, 15m, 2h, 1d (or seconds), got \(n.quotedForDiagnostic)", at: at(n))
            return nil
        }

        func oneOf(_ o: Node, _ key: String, _ allowed: [String], _ d: inout Diagnostics) -> String? {
            guard let n = o[key], !n.isNull else { return nil }
            if let s = n.scalarText, allowed.contains(s) { return s }
            d.error(id: "task.invalid_field", "'\(key)' must be one of \(allowed.joined(separator: ", ")), got \(n.quotedForDiagnostic)", at: at(n))
            return nil
        }
    }
}
