/// What a native (in-process) hook handler returns: the same contract as a command hook's process — an exit
/// code (0 success, 2 block, other non-blocking error), stdout (JSON or text) and stderr.
public struct NativeHookResult: Sendable, Equatable {
    public var exitCode: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    public init(exitCode: Int32, stdout: [UInt8] = [], stderr: [UInt8] = []) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// An in-process hook handler, registered by a native module (or by an embedding host). The hook engine
/// matches it like a configured handler (event, matcher) and calls `invoke` with the event's input JSON.
///
/// `invoke` may be called from any thread and concurrently; it must not block for long (the engine applies
/// no timeout to in-process code).
public protocol NativeHookHandler: Sendable {
    /// The event name, e.g. `PreToolUse`.
    var event: String { get }
    /// The matcher, with the same forms as configured hooks (nil or `*` matches everything).
    var matcher: String? { get }
    /// A name for records and listings, e.g. `guard:rm-rf` or the module path and symbol.
    var name: String { get }
    func invoke(input: [UInt8]) -> NativeHookResult
}

/// A model for `prompt` and `agent` hooks registered by a native module (ABI 1.1 `register_evaluator`). The
/// hook engine wraps it as its evaluator when the embedder gives none.
///
/// `evaluate` may block (a model call): callers run it off the cooperative pool. The result has command-hook
/// shape: exit code 0 with the reply JSON (`{"ok": …, "reason": …}`) on stdout; any other exit code is an
/// evaluator error (stderr is its message).
public protocol NativeEvaluatorHandler: Sendable {
    /// A name for records and listings, e.g. `judge` or `<module>#evaluator0`.
    var name: String { get }
    /// - Parameters:
    ///   - kind: `prompt` or `agent`.
    ///   - event: the event name.
    ///   - request: the request JSON (kind, event, prompt, template, input, model, tools, maxTurns, timeout).
    func evaluate(kind: String, event: String, request: [UInt8]) -> NativeHookResult
}
