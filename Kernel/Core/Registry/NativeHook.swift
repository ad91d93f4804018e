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

/// A native command (ABI 1.1 `register_command`): a slash command whose prompt a native module's function
/// produces from the arguments when it is invoked. Listed from the scan; the module is opened only by `render`.
public protocol NativeCommandHandler: Sendable {
    /// The command's own name (without the `plugin:` prefix).
    var name: String { get }
    /// The module file.
    var modulePath: String { get }
    /// The prompt the module produces for `/name <arguments>`.
    /// - Parameters:
    ///   - rawArguments: the argument string typed after the command name (the function's `arguments`).
    ///   - arguments: the same, split (`arguments` in the context JSON).
    ///   - context: plugin root, data folder and project folder (the module gets them as JSON).
    /// - Throws: `NativeCommandError` when the module cannot be opened or its function returns non-zero.
    func render(rawArguments: String, arguments: [String], context: RenderContext) throws(NativeCommandError) -> String
}

extension NativeCommandHandler {
    /// Renders from the raw text typed after the command name, split as `CommandRenderer.splitArguments` does.
    public func render(arguments raw: String, context: RenderContext) throws(NativeCommandError) -> String {
        try render(rawArguments: raw, arguments: CommandRenderer.splitArguments(raw), context: context)
    }

    /// Renders with already split arguments; the raw string is them joined by single spaces.
    public func render(arguments: [String], context: RenderContext) throws(NativeCommandError) -> String {
        try render(rawArguments: arguments.joined(separator: " "), arguments: arguments, context: context)
    }
}

/// Why a native command produced no prompt: the module's message (its `err` sink) or the loader's.
public struct NativeCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The function's return value; nil when it was not called (the module could not be opened).
    public var exitCode: Int32?

    public init(_ message: String, exitCode: Int32? = nil) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
