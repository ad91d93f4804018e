import Foundation
public import KernelCore

/// A native module's evaluator (ABI 1.1 `register_evaluator`) as a `HookEvaluator`: the request serialized as
/// JSON, the C function called on a Dispatch thread (it may block for a model's answer; the engine's timeout
/// stops waiting for it), the reply `{"ok": bool, "reason": "…"}` parsed. A non-zero return or an unreadable
/// reply is an error (the handler is then a non-blocking error, never an allow).
public struct ModuleHookEvaluator: HookEvaluator {
    public let handler: any NativeEvaluatorHandler

    public init(_ handler: any NativeEvaluatorHandler) {
        self.handler = handler
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func evaluate(_ request: HookEvaluationRequest) async throws -> HookEvaluation {
        let body = Array(Self.requestJSON(request).utf8)
        let handler = self.handler
        let kind = request.kind.rawValue, event = request.event
        let result: NativeHookResult = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: handler.evaluate(kind: kind, event: event, request: body))
            }
        }
        return try Self.verdict(result, name: handler.name)
    }

    /// The request JSON: kind, event, prompt, template, input (the event input as JSON), model, tools,
    /// maxTurns, timeout.
    public static func requestJSON(_ r: HookEvaluationRequest) -> String {
        let input: JSONValue = (try? JSONReader.parse(r.input)) != nil
            ? .raw(String(decoding: r.input, as: UTF8.self)) : .string(String(decoding: r.input, as: UTF8.self))
        return JSONValue.object([
            ("kind", .string(r.kind.rawValue)), ("event", .string(r.event)), ("prompt", .string(r.prompt)),
            ("template", .string(r.template)), ("input", input), ("model", .optional(r.model)),
            ("tools", r.tools.map { .array($0.map(JSONValue.string)) } ?? .null),
            ("maxTurns", r.maxTurns.map(JSONValue.int) ?? .null), ("timeout", .double(r.timeout)),
        ]).serialized(pretty: false)
    }

    static func verdict(_ result: NativeHookResult, name: String) throws -> HookEvaluation {
        let stderr = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.exitCode == 0 else {
            throw Failure(description: "\(name) returned \(result.exitCode)" + (stderr.isEmpty ? "" : ": \(stderr)"))
        }
        guard let root = try? JSONReader.parse(result.stdout).root, let ok = root["ok"]?.bool else {
            let text = String(decoding: result.stdout.prefix(200), as: UTF8.self)
            throw Failure(description: "\(name) replied without a boolean \"ok\": \(text.isEmpty ? "(empty)" : text)")
        }
        return HookEvaluation(ok: ok, reason: root["reason"]?.string)
    }
}
