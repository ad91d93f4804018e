import Foundation
public import KernelCore

/// `kernel hooks migrate --from-claude`: Claude Code's hook settings copied into the matching Qoder settings
/// files through the settings editor.
///
/// Claude Code keeps hooks in `~/.claude/settings.json` (user), `<project>/.claude/settings.json` (project) and
/// `<project>/.claude/settings.local.json` (local); each goes to the Qoder file of the same scope. Event names
/// are the same in both hosts; an event the Qoder CLI does not fire is skipped. `${CLAUDE_PROJECT_DIR}`,
/// `${CLAUDE_PLUGIN_ROOT}`, `${CLAUDE_PLUGIN_DATA}` and `${CLAUDE_SESSION_ID}` (braced or not) become their
/// `QODER_` names in `command` and `args`. A handler already in the target (same event, same matcher, the
/// same object after the rewrite) is not added again, so a second run changes nothing.
extension PluginHost {
    /// One handler moved, or one thing skipped and why.
    public struct HookMigrationItem: Sendable {
        public var scope: Scope
        /// The Claude Code file it came from.
        public var from: String
        /// The Qoder settings file it went (or would go) to.
        public var to: String
        public var event: String
        public var matcher: String?
        /// The handler as written to the target (moved), or as found (skipped); nil when a whole event or
        /// group was skipped.
        public var handler: JSONValue?
        /// Why it was skipped; nil for a moved handler.
        public var reason: String?
    }

    /// One settings file the migration edits (or would edit): its text before and after.
    public struct HookMigrationEdit: Sendable {
        public var scope: Scope
        public var file: String
        /// Nil when the file does not exist yet.
        public var before: String?
        public var after: String
    }

    /// What `migrateClaudeHooks` did (or, dry, would do).
    public struct HookMigration: Sendable {
        /// The Claude Code files read, with their scope (missing ones are not listed).
        public var sources: [(scope: Scope, file: String)]
        public var moved: [HookMigrationItem]
        public var skipped: [HookMigrationItem]
        public var edits: [HookMigrationEdit]
        public var dryRun: Bool
    }

    /// The Claude Code settings files of each scope: `claudeDir/settings.json`, the project's
    /// `.claude/settings.json` and `.claude/settings.local.json`.
    public func claudeSettingsFiles(claudeDir: String) -> [(scope: Scope, file: String)] {
        [(.user, FileSystem.join(claudeDir, "settings.json")),
         (.project, FileSystem.join(paths.project, ".claude/settings.json")),
         (.local, FileSystem.join(paths.project, ".claude/settings.local.json"))]
    }

    /// Copies the hooks of Claude Code's settings files into the Qoder settings file of the same scope.
    /// - Parameters:
    ///   - claudeDir: Claude Code's user folder (`$CLAUDE_CONFIG_DIR`, else `~/.claude`).
    ///   - dryRun: compute the edits and report them; write nothing.
    /// - Throws: `notFound` when none of the three files exists; `settings` (with `file:line:col`) when one of
    ///   them, or a target, does not parse — checked before anything is written.
    public func migrateClaudeHooks(claudeDir: String, dryRun: Bool) throws(KernelError) -> HookMigration {
        let candidates = claudeSettingsFiles(claudeDir: claudeDir)
        var sources: [(scope: Scope, file: String, hooks: Node?)] = []
        for (scope, file) in candidates where FileSystem.isFile(file) {
            let document: Node
            do { document = try SettingsFile.read(file) } catch { throw KernelError(settings: error) }
            guard document.members != nil else {
                throw KernelError(.settings, "\(file): the top level is \(document.kindDescription), expected an object")
            }
            sources.append((scope, file, document["hooks"]))
        }
        guard !sources.isEmpty else {
            throw KernelError(.notFound, "No Claude Code settings found: looked for "
                              + candidates.map(\.file).joined(separator: ", ") + ".")
        }
        // Every target must parse before any is written.
        for source in sources {
            do { _ = try SettingsFile.read(paths.settingsFile(source.scope)) } catch { throw KernelError(settings: error) }
        }

        var result = HookMigration(sources: sources.map { ($0.scope, $0.file) }, moved: [], skipped: [], edits: [], dryRun: dryRun)
        for source in sources {
            let target = paths.settingsFile(source.scope)
            var plan = HookMigrationPlan(scope: source.scope, from: source.file, to: target)
            let edits = { (document: Node) -> [SettingsFile.Edit] in
                plan = HookMigrationPlan(scope: source.scope, from: source.file, to: target)
                return plan.edits(claude: source.hooks, qoder: document["hooks"])
            }
            do {
                if let preview = try SettingsFile.preview(target, edits) {
                    result.edits.append(HookMigrationEdit(scope: source.scope, file: target, before: preview.before, after: preview.after))
                }
                if !dryRun { try SettingsFile.update(target, edits) }
            } catch let error as SettingsError {
                throw KernelError(settings: error)
            } catch {
                throw KernelError(.io, wrapping: error)
            }
            result.moved += plan.moved
            result.skipped += plan.skipped
        }
        return result
    }
}

/// The edits of one Claude Code file into one Qoder file, and the report of what was moved and skipped.
struct HookMigrationPlan {
    let scope: Scope
    let from: String
    let to: String
    var moved: [PluginHost.HookMigrationItem] = []
    var skipped: [PluginHost.HookMigrationItem] = []

    init(scope: Scope, from: String, to: String) {
        self.scope = scope
        self.from = from
        self.to = to
    }

    /// Claude Code names and the Qoder names they become.
    static let variables = ["PROJECT_DIR", "PLUGIN_ROOT", "PLUGIN_DATA", "SESSION_ID"].map { ("CLAUDE_" + $0, "QODER_" + $0) }

    mutating func skip(_ event: String, _ matcher: String?, _ handler: JSONValue?, _ reason: String) {
        skipped.append(.init(scope: scope, from: from, to: to, event: event, matcher: matcher, handler: handler, reason: reason))
    }

    /// One `hooks.<event>` edit per event that gains a handler: the target's groups, with each new handler
    /// appended to the group of its matcher (a new group at the end when there is none).
    mutating func edits(claude: Node?, qoder: Node?) -> [SettingsFile.Edit] {
        guard let claude else { return [] }
        guard let events = claude.members else {
            skip("*", nil, nil, "'hooks' is \(claude.kindDescription), expected an object of events")
            return []
        }
        var result: [SettingsFile.Edit] = []
        for member in events {
            let event = member.key
            guard HookEvent(rawValue: event) != nil else {
                skip(event, nil, nil, HookEvent.claudeCodeOnly.contains(event)
                     ? "'\(event)' is a Claude Code event the Qoder CLI does not fire"
                     : "'\(event)' is not a hook event")
                continue
            }
            guard let groups = member.value.array else {
                skip(event, nil, nil, "the event's value is \(member.value.kindDescription), expected a list of matcher groups")
                continue
            }
            let existing = qoder?[event]
            var targetGroups: [JSONValue] = existing?.array?.map(\.json) ?? []
            if existing != nil, existing?.array == nil {
                skip(event, nil, nil, "hooks.\(event) in \(to) is \(existing!.kindDescription), not a list: left as it is")
                continue
            }
            var changed = false
            for group in groups {
                guard group.members != nil else {
                    skip(event, nil, group.json, "a matcher group must be an object, got \(group.kindDescription)")
                    continue
                }
                let matcher = group["matcher"]?.string
                guard let handlers = group["hooks"]?.array else {
                    skip(event, matcher, group.json, "the group has no 'hooks' list")
                    continue
                }
                for handler in handlers {
                    guard handler.members != nil, handler["type"]?.string != nil else {
                        skip(event, matcher, handler.json, "a handler must be an object with a 'type'")
                        continue
                    }
                    let converted = Self.rewrite(handler.json)
                    let index = targetGroups.firstIndex { Self.matcher(of: $0) == (matcher ?? "") }
                    if let index, Self.handlers(of: targetGroups[index]).contains(where: { Self.canonical($0) == Self.canonical(converted) }) {
                        skip(event, matcher, converted, "already in \(to)")
                        continue
                    }
                    if let index {
                        targetGroups[index] = Self.appending(converted, to: targetGroups[index])
                    } else {
                        var members: [(String, JSONValue)] = []
                        if let matcher { members.append(("matcher", .string(matcher))) }
                        members.append(("hooks", .array([converted])))
                        targetGroups.append(.object(members))
                    }
                    moved.append(.init(scope: scope, from: from, to: to, event: event, matcher: matcher, handler: converted, reason: nil))
                    changed = true
                }
            }
            if changed { result.append((keyPath: ["hooks", event], value: .array(targetGroups))) }
        }
        return result
    }

    /// `CLAUDE_` variables of `command` and `args` renamed.
    static func rewrite(_ handler: JSONValue) -> JSONValue {
        guard case .object(let members) = handler else { return handler }
        return .object(members.map { key, value in
            switch (key, value) {
            case ("command", .string(let s)): (key, .string(renameVariables(s)))
            case ("args", .array(let items)): (key, .array(items.map { if case .string(let s) = $0 { .string(renameVariables(s)) } else { $0 } }))
            default: (key, value)
            }
        })
    }

    /// `$CLAUDE_X` / `${CLAUDE_X}` → `QODER_X` for the kernel's variables; a longer name (`CLAUDE_PROJECT_DIRS`)
    /// is left alone.
    static func renameVariables(_ text: String) -> String {
        var out = text
        for (old, new) in variables {
            var result = ""
            var rest = Substring(out)
            while let range = rest.range(of: old) {
                let after = rest[range.upperBound...].first
                let boundary = after.map { !($0.isLetter || $0.isNumber || $0 == "_") } ?? true
                result += rest[..<range.lowerBound]
                result += boundary ? new : old
                rest = rest[range.upperBound...]
            }
            out = result + rest
        }
        return out
    }

    static func matcher(of group: JSONValue) -> String {
        guard case .object(let members) = group else { return "" }
        if case .string(let m)? = members.first(where: { $0.0 == "matcher" })?.1 { return m }
        return ""
    }

    static func handlers(of group: JSONValue) -> [JSONValue] {
        guard case .object(let members) = group, case .array(let items)? = members.first(where: { $0.0 == "hooks" })?.1 else { return [] }
        return items
    }

    static func appending(_ handler: JSONValue, to group: JSONValue) -> JSONValue {
        guard case .object(var members) = group else { return group }
        if let i = members.firstIndex(where: { $0.0 == "hooks" }), case .array(let items) = members[i].1 {
            members[i].1 = .array(items + [handler])
        } else {
            members.append(("hooks", .array([handler])))
        }
        return .object(members)
    }

    /// The value with object keys sorted, for comparing handlers whatever their key order.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.map { ($0.0, canonical($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let items): .array(items.map(canonical))
        default: value
        }
    }
}
