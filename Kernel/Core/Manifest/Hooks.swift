/// Hook configuration: `hooks/hooks.json`, settings' `hooks`, a manifest's inline hooks, an agent's
/// frontmatter `hooks`.

/// Every event of the seeds' hooks reference (`seeds/cli-hooks.md`).
public enum HookEvent: String, Sendable, CaseIterable, Codable {
    case sessionStart = "SessionStart"
    case sessionEnd = "SessionEnd"
    case userPromptSubmit = "UserPromptSubmit"
    case preToolUse = "PreToolUse"
    case postToolUse = "PostToolUse"
    case postToolUseFailure = "PostToolUseFailure"
    case permissionRequest = "PermissionRequest"
    case permissionDenied = "PermissionDenied"
    case stop = "Stop"
    case stopFailure = "StopFailure"
    case subagentStart = "SubagentStart"
    case subagentStop = "SubagentStop"
    case preCompact = "PreCompact"
    case postCompact = "PostCompact"
    case notification = "Notification"
    case instructionsLoaded = "InstructionsLoaded"
    case configChange = "ConfigChange"
    case cwdChanged = "CwdChanged"
    case fileChanged = "FileChanged"
    case worktreeCreate = "WorktreeCreate"
    case worktreeRemove = "WorktreeRemove"
    case elicitation = "Elicitation"
    case elicitationResult = "ElicitationResult"
    /// Around a task run (Kernel/Tasks): before its agent process starts (a deny skips the run) and after it ended.
    case taskCreated = "TaskCreated"
    case taskCompleted = "TaskCompleted"

    /// Events Claude Code fires that the seeds do not list. Bundles written for Claude Code use them
    /// (`UserPromptExpansion` in the official marketplace); they are read with a warning, never fired.
    public static let claudeCodeOnly: [String] = [
        "Setup", "UserPromptExpansion", "PostToolBatch", "TeammateIdle",
    ]
}

public enum HookHandlerType: String, Sendable, CaseIterable, Codable {
    case command, http, prompt, agent
}

/// One hook entry of a matcher group.
public struct HookHandler: Sendable, Codable {
    public var type: HookHandlerType
    /// `command`: the shell snippet, or with `args` the program (exec form).
    public var command: String?
    /// Exec form argv (after the program); nil for shell form.
    public var args: [String]?
    public var shell: String?
    public var url: String?
    public var headers: [String: String] = [:]
    /// The variables `${VAR}` in header values may read; nil (omitted) allows every one, empty none.
    public var allowedEnvVars: [String]?
    public var prompt: String?
    public var model: String?
    /// `prompt`/`agent`: the tools the evaluator may use; nil when omitted.
    public var tools: [String]?
    /// `agent`: the most turns the evaluator may take.
    public var maxTurns: Int?
    /// `asyncRewake`: the text put before a background handler's blocking output.
    public var rewakeMessage: String?
    /// Seconds.
    public var timeout: Double?
    /// The `if` filter: `ToolName` or `ToolName(glob)`.
    public var ifCondition: String?
    public var async: Bool?
    public var asyncRewake: Bool?
    public var once: Bool?
    public var statusMessage: String?
    public var env: [String: String] = [:]
    /// The entry as written (every field the kernel uses is parsed above; this keeps the rest for embedders).
    public var node: Node
    public var line: Int
    public var column: Int

    public init(type: HookHandlerType, node: Node) {
        self.type = type
        self.node = node
        self.line = node.line
        self.column = node.column
    }
}

/// A matcher group of one event: `{"matcher": "Bash", "hooks": [...]}`.
public struct HookMatcherGroup: Sendable, Codable {
    /// The event name as written: a `HookEvent` raw value, or one of `HookEvent.claudeCodeOnly`.
    public var event: String
    public var matcher: String?
    public var handlers: [HookHandler]
    public var async: Bool?
    public var file: String
    public var line: Int
    public var column: Int

    public init(event: String, matcher: String? = nil, handlers: [HookHandler], async: Bool? = nil,
                file: String, line: Int, column: Int) {
        self.event = event
        self.matcher = matcher
        self.handlers = handlers
        self.async = async
        self.file = file
        self.line = line
        self.column = column
    }

    /// The event, when it is one the kernel fires.
    public var hookEvent: HookEvent? { HookEvent(rawValue: event) }
}

public enum HooksParser {
    /// `hooks/hooks.json`: requires the `{"hooks": {...}}` wrapper; a bare event map is an error that says to
    /// wrap it (its groups are still read, so the rest of the file is checked too).
    public static func parseHooksFile(_ bytes: [UInt8], file: String, diagnostics d: inout Diagnostics) -> [HookMatcherGroup] {
        guard let root = JSONFile.read(bytes: bytes, file: file, diagnostics: &d) else { return [] }
        let r = FieldReader(file: file)
        guard let members = r.members(root, what: "hooks file", &d) else { return [] }
        if let wrapped = root["hooks"] {
            for m in members where m.key != "hooks" && m.key != "description" && m.key != "$schema" {
                if isEventName(m.key) {
                    d.error(id: "hooks.event_inside_hooks_object", "event '\(m.key)' must be inside the 'hooks' object", at: r.at(m))
                } else {
                    d.warning(id: "hooks.unknown_key_hooks_file_expected", "unknown key '\(m.key)' in hooks file (expected 'hooks' and 'description')", at: r.at(m))
                }
            }
            return parseEventMap(wrapped, file: file, diagnostics: &d)
        }
        if members.contains(where: { isEventName($0.key) || closestMatch($0.key, in: allEventNames) != nil }) {
            d.error(id: "hooks.hooks_file_wrap_events_hooks", "hooks file must wrap its events in {\"hooks\": {...}}: write {\"hooks\": {\"\(members[0].key)\": …}}",
                    at: r.at(root))
            return parseEventMap(root, file: file, diagnostics: &d)
        }
        d.error(id: "hooks.hooks_file_missing_required_key", "hooks file is missing required key 'hooks'", at: r.at(root))
        return []
    }

    /// The inner event map, as in settings.json `hooks`, a manifest's inline hooks, or an agent's frontmatter
    /// `hooks` (the Node may come from YAML).
    public static func parseEventMap(_ node: Node, file: String, diagnostics d: inout Diagnostics) -> [HookMatcherGroup] {
        let r = FieldReader(file: file)
        guard let members = node.members else {
            r.typeError("hooks", expected: "an object mapping event names to arrays of matcher groups", got: node, &d)
            return []
        }
        var groups: [HookMatcherGroup] = []
        for m in members {
            if HookEvent(rawValue: m.key) == nil {
                if HookEvent.claudeCodeOnly.contains(m.key) {
                    d.warning(id: "hooks.hook_event_claude_code_event", "hook event '\(m.key)' is a Claude Code event that this host never fires", at: r.at(m))
                } else {
                    d.error(id: "hooks.unknown_hook_event", "unknown hook event '\(m.key)'\(didYouMean(m.key, in: allEventNames))", at: r.at(m))
                    continue
                }
            }
            guard let items = m.value.array else {
                d.error(id: "hooks.array_matcher_groups", "'\(m.key)' must be an array of matcher groups, got \(m.value.kindDescription)", at: r.at(m.value))
                continue
            }
            for item in items {
                if let group = parseGroup(item, event: m.key, reader: r, &d) { groups.append(group) }
            }
        }
        return groups
    }

    static let allEventNames: [String] = HookEvent.allCases.map(\.rawValue) + HookEvent.claudeCodeOnly

    static func isEventName(_ key: String) -> Bool { allEventNames.contains(key) }

    static func parseGroup(_ node: Node, event: String, reader r: FieldReader, _ d: inout Diagnostics) -> HookMatcherGroup? {
        guard node.members != nil else {
            d.error(id: "hooks.matcher_group_object_hooks", "a matcher group of '\(event)' must be an object with 'hooks', got \(node.kindDescription)", at: r.at(node))
            return nil
        }
        var matcher: String?
        if let mNode = node["matcher"], !mNode.isNull, let m = r.string(mNode, label: "matcher", &d) {
            matcher = m
            checkMatcher(m, at: r.at(mNode), &d)
        }
        let async = r.bool(node, "async", &d)
        var handlers: [HookHandler] = []
        if let hooksNode = node["hooks"], !hooksNode.isNull {
            if let items = hooksNode.array {
                for item in items {
                    if let h = parseHandler(item, reader: r, &d) { handlers.append(h) }
                }
            } else {
                r.typeError("hooks", expected: "an array of hook entries", got: hooksNode, &d)
            }
        } else {
            d.error(id: "hooks.matcher_group_missing_required_key", "matcher group of '\(event)' is missing required key 'hooks'", at: r.at(node))
        }
        return HookMatcherGroup(event: event, matcher: matcher, handlers: handlers, async: async,
                                file: r.file, line: node.line, column: node.column)
    }

    /// A matcher is `*`, empty, plain names separated by `|`, or a regular expression that must compile with
    /// `MatcherRegex`, the engine the hook engine matches with. Nested quantifiers are a warning: harmless in
    /// the kernel, catastrophic on hosts whose engine backtracks.
    static func checkMatcher(_ matcher: String, at location: SourceLocation, _ d: inout Diagnostics) {
        if isPlainMatcher(matcher) { return }
        do {
            let regex = try MatcherRegex(matcher)
            if regex.hasNestedQuantifiers {
                d.warning(id: "hooks.matcher_nested_quantifiers", "matcher '\(matcher)' nests quantifiers (a repeated group holding a repetition): "
                          + "hosts with a backtracking regex engine can take exponential time on it", at: location)
            }
        } catch {
            d.error(id: "hooks.matcher_not_valid_regular_expression", "matcher '\(matcher)' is not a valid regular expression: \(error)", at: location)
        }
    }

    /// `*`, empty, or plain names (ASCII letters, digits, `_`, `-`) separated by `|`: matched literally.
    static func isPlainMatcher(_ s: String) -> Bool {
        if s.isEmpty || s == "*" { return true }
        return s.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "|" || $0 == "-"
        }
    }

    static func parseHandler(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> HookHandler? {
        guard node.members != nil else {
            d.error(id: "hooks.hook_entry_object_type", "a hook entry must be an object with 'type', got \(node.kindDescription)", at: r.at(node))
            return nil
        }
        let typeNames = HookHandlerType.allCases.map(\.rawValue)
        guard let typeNode = node["type"], !typeNode.isNull else {
            d.error(id: "hooks.hook_entry_missing_required_key", "hook entry is missing required key 'type' (one of \(typeNames.joined(separator: ", ")))", at: r.at(node))
            return nil
        }
        guard let typeName = r.string(typeNode, label: "type", &d) else { return nil }
        guard let type = HookHandlerType(rawValue: typeName) else {
            d.error(id: "hooks.unknown_hook_type_expected_one", "unknown hook type '\(typeName)'\(didYouMean(typeName, in: typeNames)); expected one of \(typeNames.joined(separator: ", "))",
                    at: r.at(typeNode))
            return nil
        }
        var h = HookHandler(type: type, node: node)
        var valid = true
        h.command = r.string(node, "command", &d)
        h.args = r.stringArray(node, "args", &d)
        h.shell = r.string(node, "shell", &d)
        h.url = r.string(node, "url", &d)
        h.headers = r.stringMap(node, "headers", &d) ?? [:]
        h.allowedEnvVars = r.stringArray(node, "allowedEnvVars", &d)
        h.tools = r.stringArray(node, "tools", &d)
        h.rewakeMessage = r.string(node, "rewakeMessage", &d)
        if let (turns, turnsNode) = r.number(node, "maxTurns", &d) {
            if turns >= 1, turns == turns.rounded(), turns < 1e9 {
                h.maxTurns = Int(turns)
            } else {
                d.error(id: "hooks.maxturns_positive_integer", "'maxTurns' must be a positive integer, got \(turnsNode.text ?? "\(turns)")", at: r.at(turnsNode))
            }
        }
        h.prompt = r.string(node, "prompt", &d)
        h.model = r.string(node, "model", &d)
        h.ifCondition = r.string(node, "if", &d)
        h.statusMessage = r.string(node, "statusMessage", &d)
        h.env = r.stringMap(node, "env", &d) ?? [:]
        h.async = r.bool(node, "async", &d)
        h.asyncRewake = r.bool(node, "asyncRewake", &d)
        h.once = r.bool(node, "once", &d)
        if let (t, tNode) = r.number(node, "timeout", &d) {
            if t > 0 && t.isFinite {
                h.timeout = t
            } else {
                d.error(id: "hooks.timeout_positive_number_seconds", "'timeout' must be a positive number of seconds, got \(tNode.text ?? "\(t)")", at: r.at(tNode))
            }
        }
        func require(_ key: String, _ present: Bool) {
            guard !present else { return }
            valid = false
            if node[key] == nil || node[key]?.isNull == true {
                d.error(id: "hooks.hook_missing_required_key", "\(type.rawValue) hook is missing required key '\(key)'", at: r.at(node))
            }
        }
        switch type {
        case .command:
            require("command", h.command.map { !$0.isEmpty } ?? false)
            if h.command?.isEmpty == true { d.error(id: "hooks.command_not_empty", "'command' must not be empty", at: r.at(node["command"]!)) }
        case .http:
            require("url", h.url != nil)
        case .prompt, .agent:
            require("prompt", h.prompt != nil)
        }
        return valid ? h : nil
    }
}
