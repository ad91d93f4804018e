public import KernelCore

/// An aggregated permission decision. Ranked `deny` > `ask` > `allow` > `none`: the strongest wins.
public enum HookDecision: String, Sendable, Comparable, CaseIterable {
    case none, allow, ask, deny

    var rank: Int {
        switch self {
        case .none: 0
        case .allow: 1
        case .ask: 2
        case .deny: 3
        }
    }

    public static func < (a: HookDecision, b: HookDecision) -> Bool { a.rank < b.rank }
}

/// One handler run (or skipped), as `kernel hooks fire` reports it.
public struct HandlerRecord: Sendable {
    /// Position in configuration order among the handlers that matched.
    public var index: Int
    /// `user`, `project`, `local`, `plugin`, `flag` (a `--plugin-dir` plugin), `agent`, `native`.
    public var source: String
    public var scope: String?
    public var plugin: String?
    public var file: String?
    public var line: Int?
    public var matcher: String?
    /// `command`, `http`, `prompt`, `agent`, `native`.
    public var type: String
    public var command: String?
    public var args: [String]?
    public var url: String?
    /// Native handlers' names.
    public var name: String?
    public var exitCode: Int32?
    /// The signal that ended the process, if one did.
    public var signal: Int32?
    /// An http handler's response status.
    public var httpStatus: Int?
    public var durationMs: Double = 0
    /// Excerpts (the first `HookEngine.Options.excerptLimit` bytes) of what the handler wrote.
    public var stdout: String = ""
    public var stderr: String = ""
    public var timedOut = false
    /// Why the handler did not run (no evaluator, `once` already ran, duplicate…); nil when it ran.
    public var skipped: String?
    /// What went wrong: a non-blocking error (timeout, spawn failure, signal, output over the limit, HTTP
    /// status, evaluator…), typed.
    public var failure: HookFailure?
    /// `failure`'s message.
    public var error: String? { failure?.description }
    /// Started in the background, not awaited (its result comes with a later fire).
    public var async = false
    /// What this handler contributed to the decision.
    public var decision: HookDecision = .none
    public var notes: [String] = []

    /// The full stdout, for parsing (not reported).
    var output: [UInt8] = []
    /// The full stderr (not reported beyond the excerpt).
    var errorOutput: [UInt8] = []
    /// A stable identity for `once` and async bookkeeping.
    var key: String = ""
    /// A `prompt`/`agent` handler's verdict.
    var evaluation: HookEvaluation?

    public init(index: Int, source: String, type: String) {
        self.index = index
        self.source = source
        self.type = type
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("index", .int(index)), ("source", .string(source)), ("scope", .optional(scope)), ("plugin", .optional(plugin)),
            ("file", .optional(file)), ("line", line.map { .int($0) } ?? .null), ("matcher", .optional(matcher)),
            ("type", .string(type)),
        ]
        if let command { m.append(("command", .string(command))) }
        if let args { m.append(("args", .strings(args))) }
        if let url { m.append(("url", .string(url))) }
        if let name { m.append(("name", .string(name))) }
        m += [
            ("exitCode", exitCode.map { .int(Int($0)) } ?? .null),
            ("signal", signal.map { .int(Int($0)) } ?? .null),
            ("httpStatus", httpStatus.map { .int($0) } ?? .null),
            ("durationMs", .double((durationMs * 1000).rounded() / 1000)),
            ("stdout", .string(stdout)), ("stderr", .string(stderr)),
            ("timedOut", .bool(timedOut)), ("async", .bool(async)),
            ("skipped", .optional(skipped)), ("error", .optional(error)), ("failure", .optional(failure?.code)),
            ("decision", .string(decision.rawValue)),
        ]
        if !notes.isEmpty { m.append(("notes", .strings(notes))) }
        return .object(m)
    }
}

/// One `updatedInput` in the chain, with the handler that produced it.
public struct UpdatedInput: Sendable, Equatable {
    public var handler: Int
    public var value: JSONValue
}

/// The result of firing one event: what the agent CLI acts on.
public struct HookOutcome: Sendable {
    public var event: String
    public var decision: HookDecision = .none
    /// The reasons of the handlers that gave the final decision, joined by newlines.
    public var reason: String?
    /// True when the event is blocked: a `deny` on an event that can block.
    public var blocked = false
    /// False when a handler returned `continue: false`.
    public var continueProcessing = true
    public var stopReason: String?
    /// The tool input after every `updatedInput`, applied in configuration order (each replaces the whole input).
    public var updatedInput: JSONValue?
    public var updatedInputs: [UpdatedInput] = []
    /// `additionalContext` (and plain-text stdout where the event takes it), in configuration order.
    public var additionalContext: String?
    public var systemMessages: [String] = []
    public var suppressOutput = false
    /// Other `hookSpecificOutput` fields (`updatedToolOutput`, `action`, `watchPaths`…), later handlers winning
    /// per key (`watchPaths` concatenated).
    public var hookSpecificOutput: [(String, JSONValue)] = []
    /// WorktreeCreate: the path a handler printed or returned as `worktreePath`.
    public var worktreePath: String?
    /// Non-blocking errors, one line per handler.
    public var errors: [String] = []
    /// Every matching handler, in configuration order.
    public var handlers: [HandlerRecord] = []
    /// Background handlers of earlier fires that finished since (taken from the store).
    public var asyncResults: [JSONValue] = []

    public init(event: String) {
        self.event = event
    }

    /// The CLI's exit code: 2 when blocked, else 0.
    public var exitCode: Int32 { blocked ? 2 : 0 }

    public var json: JSONValue {
        .object([
            ("event", .string(event)),
            ("decision", .string(decision.rawValue)),
            ("reason", .optional(reason)),
            ("blocked", .bool(blocked)),
            ("continue", .bool(continueProcessing)),
            ("stopReason", .optional(stopReason)),
            ("updatedInput", updatedInput ?? .null),
            ("updatedInputs", .array(updatedInputs.map { .object([("handler", .int($0.handler)), ("updatedInput", $0.value)]) })),
            ("additionalContext", .optional(additionalContext)),
            ("systemMessages", .strings(systemMessages)),
            ("suppressOutput", .bool(suppressOutput)),
            ("hookSpecificOutput", .object(hookSpecificOutput)),
            ("worktreePath", .optional(worktreePath)),
            ("errors", .strings(errors)),
            ("asyncResults", .array(asyncResults)),
            ("handlers", .array(handlers.map(\.json))),
        ])
    }
}
