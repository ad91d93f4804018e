import KernelCore

/// Reads each handler's result by the seed's rules and folds them, in configuration order, into one outcome.
///
/// - exit 0: stdout is JSON when it parses as an object, else plain text (context only for SessionStart and
///   UserPromptSubmit; WorktreeCreate's path);
/// - exit 2: blocks with stderr as the reason on events that can block; reported and ignored elsewhere;
/// - other codes, timeouts, spawn failures, output over the limit: non-blocking errors;
/// - decisions: `hookSpecificOutput.permissionDecision` wins over top-level `decision` (and its reason over
///   `reason`); deny beats ask beats allow; `updatedInput`s apply in configuration order, each replacing the
///   tool input; `additionalContext` is concatenated; `continue: false` stops.
enum Aggregator {
    struct Contribution {
        var decision: HookDecision = .none
        var reason: String?
    }

    static func canBlock(_ spec: HookEventSpec, _ scan: JSONScan) -> Bool {
        switch spec.blocking {
        case .no: false
        case .yes, .anyNonZeroExit: true
        case .unless(let field, let value): scan.string(field) != value
        }
    }

    static func label(_ r: HandlerRecord) -> String {
        let what = r.name ?? r.command ?? r.url ?? r.type
        let short = what.count > 60 ? String(what.prefix(59)) + "…" : what
        return "\(r.plugin ?? r.source) \(r.type) '\(short)'"
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The bytes as text without leading and trailing ASCII whitespace.
    static func trimmed(_ bytes: [UInt8]) -> String {
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    static func firstLine(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
    }

    static func aggregate(event: String, spec: HookEventSpec, scan: JSONScan, records: [HandlerRecord],
                          options: HookEngine.Options) -> HookOutcome {
        var outcome = HookOutcome(event: event)
        if records.isEmpty { return outcome }
        let blockable = canBlock(spec, scan)
        var contributions: [Contribution] = []
        var contexts: [String] = []
        var records = records
        var worktreeFailed = false

        for n in records.indices {
            var r = records[n]
            defer { records[n] = r }
            if r.skipped != nil || r.async { continue }
            if spec.outputIgnored {
                if r.exitCode != nil || r.evaluation != nil { r.notes.append("\(event) is notification-only: output and exit code ignored") }
                continue
            }
            if let error = r.error {
                outcome.errors.append("\(label(r)): \(error)")
                if spec.blocking == .anyNonZeroExit { worktreeFailed = true; contributions.append(Contribution(decision: .deny, reason: error)) }
                continue
            }
            if let verdict = r.evaluation {
                let c = Contribution(decision: verdict.ok ? .allow : .deny, reason: verdict.reason)
                if c.decision == .deny && !blockable && spec.event != .permissionRequest {
                    r.notes.append("\(event) cannot be blocked: ok=false reported only")
                    outcome.errors.append("\(label(r)): ok=false on \(event), which cannot be blocked")
                    continue
                }
                r.decision = c.decision
                contributions.append(c)
                continue
            }
            guard let code = r.exitCode ?? r.httpStatus.map({ _ in 0 }) else { continue }
            var stderrText: String { trimmed(r.errorOutput) }
            switch code {
            case 0:
                if r.output.allSatisfy(isSpace) { continue }
                let text = trimmed(r.output)
                if text.hasPrefix("{") {
                    do {
                        let (node, _) = try JSONReader.parse(text)
                        if node.members != nil {
                            if let c = applyJSON(node, record: &r, spec: spec, blockable: blockable, outcome: &outcome, contexts: &contexts) {
                                contributions.append(c)
                            }
                            continue
                        }
                    } catch {
                        r.notes.append("stdout is not valid JSON (\(error)); read as plain text")
                    }
                }
                if spec.plainTextIsContext {
                    contexts.append(text)
                } else if spec.event == .worktreeCreate {
                    outcome.worktreePath = firstLine(text)
                } else {
                    r.notes.append("plain-text stdout is not used by \(event)")
                }
            case 2:
                let stderrText = stderrText
                let reason = stderrText.isEmpty ? "blocked by \(label(r))" : stderrText
                if blockable {
                    r.decision = .deny
                    contributions.append(Contribution(decision: .deny, reason: reason))
                    if spec.event == .worktreeCreate { worktreeFailed = true }
                } else {
                    r.notes.append("exit 2 ignored: \(event) cannot be blocked")
                    outcome.errors.append("\(label(r)): exit 2 on \(event), which cannot be blocked: \(firstLine(stderrText))")
                }
            default:
                let stderrText = stderrText
                outcome.errors.append("\(label(r)): exit \(code)\(stderrText.isEmpty ? "" : ": \(firstLine(stderrText))")")
                if spec.blocking == .anyNonZeroExit {
                    worktreeFailed = true
                    r.decision = .deny
                    contributions.append(Contribution(decision: .deny, reason: stderrText.isEmpty ? "exit \(code)" : stderrText))
                }
            }
        }

        let final = contributions.map(\.decision).max() ?? .none
        outcome.decision = final
        if final != .none {
            let reasons = contributions.filter { $0.decision == final }.compactMap(\.reason).filter { !$0.isEmpty }
            outcome.reason = reasons.isEmpty ? nil : reasons.joined(separator: "\n")
        }
        outcome.blocked = final == .deny && blockable
        if worktreeFailed { outcome.blocked = true; outcome.decision = .deny }
        if outcome.blocked && (spec.event == .elicitation || spec.event == .elicitationResult) {
            setSpecific("action", .string("decline"), in: &outcome)
        }
        if let last = outcome.updatedInputs.last { outcome.updatedInput = last.value }
        if !contexts.isEmpty { outcome.additionalContext = contexts.joined(separator: "\n") }
        outcome.handlers = records
        return outcome
    }

    /// A handler's JSON output. Returns its decision, if it gave one that counts for this event.
    static func applyJSON(_ node: Node, record r: inout HandlerRecord, spec: HookEventSpec, blockable: Bool,
                          outcome: inout HookOutcome, contexts: inout [String]) -> Contribution? {
        let event = spec.event.rawValue
        let specific = node["hookSpecificOutput"]
        if let specific, !specific.isNull {
            guard specific.members != nil, let name = specific["hookEventName"]?.string else {
                r.failure = .output("hookSpecificOutput is missing required field \"hookEventName\"; output rejected")
                outcome.errors.append("\(label(r)): \(r.error!)")
                return nil
            }
            if name != event {
                r.notes.append("hookSpecificOutput.hookEventName is '\(name)', not '\(event)'")
            }
        }
        if node["continue"]?.bool == false {
            outcome.continueProcessing = false
            if let s = node["stopReason"]?.string, !s.isEmpty {
                outcome.stopReason = outcome.stopReason.map { $0 + "\n" + s } ?? s
            }
        }
        if let m = node["systemMessage"]?.string, !m.isEmpty { outcome.systemMessages.append(m) }
        if node["suppressOutput"]?.bool == true { outcome.suppressOutput = true }

        var c = Contribution()
        switch node["decision"]?.string {
        case "deny", "block": c.decision = .deny
        case "allow", "approve": c.decision = .allow
        case let other?: r.notes.append("decision '\(other)' ignored (allow or deny; ask is PreToolUse's permissionDecision)")
        case nil: break
        }
        c.reason = node["reason"]?.string

        if let specific, specific.members != nil {
            if spec.event == .preToolUse {
                switch specific["permissionDecision"]?.string {
                case "allow": c.decision = .allow
                case "deny": c.decision = .deny
                case "ask": c.decision = .ask
                case let other?: r.notes.append("permissionDecision '\(other)' ignored")
                case nil: break
                }
                if let reason = specific["permissionDecisionReason"]?.string { c.reason = reason }
                if let updated = specific["updatedInput"], updated.members != nil {
                    outcome.updatedInputs.append(UpdatedInput(handler: r.index, value: updated.json))
                }
            }
            if spec.event == .permissionRequest, let d = specific["decision"], d.members != nil {
                switch d["behavior"]?.string {
                case "allow": c.decision = .allow
                case "deny": c.decision = .deny
                case let other?: r.notes.append("decision.behavior '\(other)' ignored (PermissionRequest takes allow or deny)")
                case nil: break
                }
                if let message = d["message"]?.string { c.reason = message }
                if let updated = d["updatedInput"], updated.members != nil {
                    outcome.updatedInputs.append(UpdatedInput(handler: r.index, value: updated.json))
                }
                for key in ["updatedPermissions", "interrupt"] {
                    if let v = d[key] { setSpecific(key, v.json, in: &outcome) }
                }
            }
            if let ctx = specific["additionalContext"]?.string, !ctx.isEmpty { contexts.append(ctx) }
            if spec.event == .worktreeCreate, let path = specific["worktreePath"]?.string { outcome.worktreePath = path }
            let handled: Set<String> = ["hookEventName", "permissionDecision", "permissionDecisionReason", "updatedInput",
                                        "additionalContext", "decision", "worktreePath"]
            for m in specific.members! where !handled.contains(m.key) {
                if m.key == "watchPaths", let existing = outcome.hookSpecificOutput.first(where: { $0.0 == "watchPaths" }),
                   case .array(let old) = existing.1, case .array(let new) = m.value.json {
                    setSpecific("watchPaths", .array(old + new), in: &outcome)
                } else {
                    setSpecific(m.key, m.value.json, in: &outcome)
                }
            }
        }

        if c.decision == .none { return nil }
        if c.decision == .deny && !blockable && spec.event != .permissionRequest {
            r.notes.append("decision deny ignored: \(event) cannot be blocked")
            outcome.errors.append("\(label(r)): deny on \(event), which cannot be blocked")
            return nil
        }
        r.decision = c.decision
        return c
    }

    static func setSpecific(_ key: String, _ value: JSONValue, in outcome: inout HookOutcome) {
        if let i = outcome.hookSpecificOutput.firstIndex(where: { $0.0 == key }) {
            outcome.hookSpecificOutput[i].1 = value
        } else {
            outcome.hookSpecificOutput.append((key, value))
        }
    }

    /// Background results stored by earlier fires: listed, and their context and messages added.
    static func addAsyncResults(_ payloads: [String], to outcome: inout HookOutcome) {
        var contexts: [String] = outcome.additionalContext.map { [$0] } ?? []
        for p in payloads {
            guard let (node, _) = try? JSONReader.parse(p) else { continue }
            outcome.asyncResults.append(node.json)
            if let ctx = node["additionalContext"]?.string, !ctx.isEmpty { contexts.append(ctx) }
            if let m = node["systemMessage"]?.string, !m.isEmpty { outcome.systemMessages.append(m) }
        }
        if !contexts.isEmpty { outcome.additionalContext = contexts.joined(separator: "\n") }
    }
}
