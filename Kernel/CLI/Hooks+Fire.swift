import ArgumentParser
import Foundation
import KernelCore
import KernelHooks
import KernelHost

extension KernelCommand.Hooks {
    /// `kernel hooks fire <Event> [--json] [--session ID]`
    struct Fire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fire",
            abstract: "Fire a hook event: read its input JSON on stdin, run every matching handler, print the decision.",
            discussion: """
                Exit status: 2 when the event is blocked (a deny on an event that can block), 0 otherwise \
                (including non-blocking handler errors), 1 when the kernel cannot fire (unknown event, input that \
                is not a JSON object, unreadable settings).
                """)
        @OptionGroup var options: InspectOptions

        @Argument(help: "The event, e.g. PreToolUse.")
        var event: String

        @Option(help: "The session: `once` handlers and background results are per session (default: the input's session_id).")
        var session: String?

        func run() async throws {
            let global = options.global
            guard HookEngine.isKnownEvent(event) else {
                let names = HookEvent.allCases.map(\.rawValue)
                let hint = closestMatch(event, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw global.fail(KernelError(.notFound, "unknown hook event '\(event)'\(hint)"))
            }
            let input = Array(FileHandle.standardInput.readDataToEndOfFile())
            let text = input.isEmpty ? [UInt8]("{}".utf8) : input
            do {
                let (node, _) = try JSONReader.parse(text)
                guard node.members != nil else { throw global.fail(KernelError(.invalidInput, "the event input must be a JSON object")) }
            } catch let error as JSONReader.SyntaxError {
                throw global.fail(KernelError(.invalidInput, "the event input is not valid JSON: \(error)", underlying: error))
            }
            let (host, composition) = try options.compose(needs: .hooks)
            var engineOptions = HookEngine.Options()
            engineOptions.asyncMode = .detachedSelf(arguments: ["hooks", "run-async"])
            let engine = HookEngine(host: host, composition: composition, options: engineOptions)
            let outcome = await engine.fire(event: event, input: text, session: session)
            if global.json {
                Output.out(outcome.json.serialized())
            } else {
                Self.printText(outcome)
            }
            if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
        }

        static func printText(_ o: HookOutcome) {
            var lines = ["\(o.event): \(o.decision.rawValue)\(o.blocked ? " (blocked)" : "")\(o.reason.map { ": \($0)" } ?? "")"]
            if !o.continueProcessing { lines.append("continue: false\(o.stopReason.map { " (\($0))" } ?? "")") }
            if let u = o.updatedInput { lines.append("updatedInput: \(u.serialized(pretty: false))") }
            if let c = o.additionalContext { lines.append("additionalContext: \(c)") }
            for m in o.systemMessages { lines.append("systemMessage: \(m)") }
            for e in o.errors { lines.append("error: \(e)") }
            for r in o.handlers {
                let what = r.name ?? r.command ?? r.url ?? ""
                var status = r.skipped.map { "skipped: \($0)" } ?? (r.async ? "started in background" : "exit \(r.exitCode.map(String.init) ?? "-")")
                if r.timedOut { status += ", timed out" }
                lines.append(String(format: "  [%d] %@ %@ %@ — %@ (%.1f ms)", r.index, r.plugin ?? r.source, r.type, what, status, r.durationMs))
            }
            Output.out(lines.joined(separator: "\n"))
        }
    }

    /// `kernel hooks run-async SPEC` (internal): runs one background handler for a finished fire.
    struct RunAsync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-async", abstract: "Internal: run a background hook handler.",
                                                        shouldDisplay: false)
        @Argument var spec: String

        func run() async throws {
            if !(await HookEngine.runDetachedAsync(specFile: spec)) { throw ExitCode(1) }
        }
    }
}
