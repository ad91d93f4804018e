/// What a `prompt` or `agent` hook asks a model to decide.
public struct HookEvaluationRequest: Sendable {
    public enum Kind: String, Sendable { case prompt, agent }

    public var kind: Kind
    public var event: String
    /// The prompt with the event JSON in it: `prompt` hooks get it appended; `agent` hooks get `$ARGUMENTS`
    /// replaced (appended when the prompt has no `$ARGUMENTS`).
    public var prompt: String
    /// The prompt as configured.
    public var template: String
    /// The event input JSON.
    public var input: [UInt8]
    public var model: String?
    /// `agent` hooks: the tool whitelist (nil: inherit) and turn limit (default 50).
    public var tools: [String]?
    public var maxTurns: Int?
    /// Seconds (prompt default 30, agent 60); the engine enforces it.
    public var timeout: Double
}

/// The model's verdict: `ok` allows, `ok == false` blocks with `reason`.
public struct HookEvaluation: Sendable, Equatable {
    public var ok: Bool
    public var reason: String?

    public init(ok: Bool, reason: String? = nil) {
        self.ok = ok
        self.reason = reason
    }
}

/// The extension point for `prompt` and `agent` hooks: the kernel has no model; an embedding agent CLI (or a
/// native module, through the C ABI) supplies one. With none, such handlers are reported as skipped.
public protocol HookEvaluator: Sendable {
    func evaluate(_ request: HookEvaluationRequest) async throws -> HookEvaluation
}
