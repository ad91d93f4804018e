/// Why a handler failed (a non-blocking error unless the event blocks on any failure): a closed set, each with a
/// snake_case code (`failure` in a handler record's JSON) and the message `error` shows.
public enum HookFailure: Sendable, Equatable, CustomStringConvertible {
    /// The process could not be started (or its input not prepared).
    case spawn(String)
    /// The process ran past its timeout; its process group was terminated.
    case timeout(seconds: Double)
    /// The process was killed by a signal.
    case signal(Int32)
    /// A stream (`stdout`, `stderr`, `response`) exceeded the output limit; the output is not used.
    case outputLimit(stream: String, limit: Int)
    /// An http handler got a non-2xx status.
    case httpStatus(Int, url: String)
    /// An http handler got no response: its `HTTPError` code and message.
    case http(code: String, message: String)
    /// The evaluator of a `prompt`/`agent` handler threw, or did not answer in time (`seconds` set).
    case evaluator(String, timeoutSeconds: Double? = nil)
    /// The handler's configuration cannot run (an http hook without a url).
    case configuration(String)
    /// The handler's output breaks the contract (`hookSpecificOutput` without `hookEventName`).
    case output(String)
    /// A background handler could not be started.
    case background(String)

    /// snake_case, stable: what scripts match.
    public var code: String {
        switch self {
        case .spawn: "spawn"
        case .timeout: "timeout"
        case .signal: "signal"
        case .outputLimit: "output_limit"
        case .httpStatus: "http_status"
        case .http: "http"
        case .evaluator(_, let t): t == nil ? "evaluator" : "evaluator_timeout"
        case .configuration: "configuration"
        case .output: "invalid_output"
        case .background: "background"
        }
    }

    public var description: String {
        switch self {
        case .spawn(let message): message
        case .timeout(let s): "timed out after \(Self.seconds(s)) s (process group terminated)"
        case .signal(let s): "killed by signal \(s)"
        case .outputLimit(let stream, let limit):
            stream == "response" ? "response exceeded \(limit) bytes; output not used"
                                 : "\(stream) exceeded \(limit) bytes; output not used"
        case .httpStatus(let status, let url): "HTTP \(status) from \(url)"
        case .http(let code, let message): "\(code): \(message)"
        case .evaluator(let message, let t): t.map { "evaluator timed out after \(Self.seconds($0)) s" } ?? "evaluator failed: \(message)"
        case .configuration(let message), .output(let message), .background(let message): message
        }
    }

    static func seconds(_ t: Double) -> String { t == t.rounded() ? String(Int(t)) : String(t) }
}
