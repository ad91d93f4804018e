import Foundation
import KernelCore
@testable import KernelHooks
import Testing

/// The aggregation rules on synthetic handler records: no process runs; each record is what a handler
/// returned (exit code, stdout, stderr), in configuration order.
@Suite("Aggregation rules (synthetic records)")
struct AggregatorTests {
    func record(_ index: Int, exit: Int32? = 0, stdout: String = "", stderr: String = "") -> HandlerRecord {
        var r = HandlerRecord(index: index, source: "user", type: "command")
        r.exitCode = exit
        r.output = Array(stdout.utf8)
        r.errorOutput = Array(stderr.utf8)
        r.stdout = stdout
        r.stderr = stderr
        return r
    }

    func aggregate(_ event: HookEvent, _ records: [HandlerRecord], input: String = #"{"tool_name": "Bash"}"#) -> HookOutcome {
        Aggregator.aggregate(event: event.rawValue, spec: HookEventSpec.spec(event), scan: JSONScan(bytes: Array(input.utf8)),
                             records: records, options: HookEngine.Options())
    }

    func permission(_ decision: String, _ reason: String) -> String {
        #"{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "\#(decision)", "permissionDecisionReason": "\#(reason)"}}"#
    }

    @Test func denyBeatsAskBeatsAllowWhateverTheOrder() {
        let o = aggregate(.preToolUse, [record(0, stdout: permission("allow", "fine")), record(1, stdout: permission("deny", "no")),
                                        record(2, stdout: permission("ask", "maybe"))])
        #expect(o.decision == .deny && o.blocked && o.reason == "no")
        let ask = aggregate(.preToolUse, [record(0, stdout: permission("ask", "maybe")), record(1, stdout: permission("allow", "ok"))])
        #expect(ask.decision == .ask && !ask.blocked)
        let allow = aggregate(.preToolUse, [record(0, stdout: permission("allow", "ok"))])
        #expect(allow.decision == .allow && !allow.blocked)
    }

    @Test func permissionDecisionWinsOverTopLevelDecision() {
        let both = #"{"decision": "block", "reason": "top", "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow", "permissionDecisionReason": "specific"}}"#
        let o = aggregate(.preToolUse, [record(0, stdout: both)])
        #expect(o.decision == .allow && !o.blocked)
    }

    @Test func exitTwoBlocksWithStderrAsTheReason() {
        let o = aggregate(.preToolUse, [record(0, exit: 2, stderr: "Dangerous command\n")])
        #expect(o.blocked && o.decision == .deny && o.reason?.hasPrefix("Dangerous command") == true)
        #expect(o.exitCode == 2)
    }

    @Test func otherExitCodesAndFailuresAreNonBlockingErrors() {
        var failed = record(1, exit: nil)
        failed.failure = .timeout(seconds: 5)
        let o = aggregate(.preToolUse, [record(0, exit: 1, stdout: permission("deny", "ignored"), stderr: "oops"), failed])
        #expect(!o.blocked && o.decision == .none)
        #expect(o.errors.count == 2 && o.errors[1].contains("timed out after 5 s"))
    }

    @Test func exitTwoOnAnEventThatCannotBlockIsReportedNotBlocked() {
        let o = aggregate(.postToolUse, [record(0, exit: 2, stderr: "too late")], input: #"{"tool_name": "Write"}"#)
        #expect(!o.blocked)
        #expect(o.errors.count == 1 || !o.handlers[0].notes.isEmpty)
    }

    @Test func updatedInputsApplyInConfigurationOrderTheLastWins() {
        func updated(_ command: String) -> String {
            #"{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow", "updatedInput": {"command": "\#(command)"}}}"#
        }
        let o = aggregate(.preToolUse, [record(0, stdout: updated("first")), record(1, stdout: updated("second"))])
        #expect(o.updatedInputs.map(\.handler) == [0, 1])
        #expect(o.updatedInput == .object([("command", .string("second"))]))
    }

    @Test func additionalContextJoinsWithNewlinesAndPlainTextCountsOnSessionStart() {
        let json = #"{"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "from json"}}"#
        let o = aggregate(.sessionStart, [record(0, stdout: json), record(1, stdout: "plain text\n")], input: #"{"source": "startup"}"#)
        #expect(o.additionalContext == "from json\nplain text")
    }

    @Test func continueFalseStopsWithTheReason() {
        let o = aggregate(.stop, [record(0, stdout: #"{"continue": false, "stopReason": "done for today"}"#), record(1, stdout: "{}")],
                          input: "{}")
        #expect(!o.continueProcessing && o.stopReason == "done for today")
    }

    @Test func hookSpecificOutputWithoutItsEventNameIsRejected() {
        let o = aggregate(.preToolUse, [record(0, stdout: #"{"hookSpecificOutput": {"permissionDecision": "deny"}}"#)])
        #expect(!o.blocked && o.decision == .none)
        #expect(o.handlers[0].failure == .output("hookSpecificOutput is missing required field \"hookEventName\"; output rejected"))
        #expect(o.handlers[0].failure?.code == "invalid_output")
    }

    @Test func notificationOnlyEventsIgnoreOutputAndExitCodes() {
        let o = aggregate(.stopFailure, [record(0, exit: 2, stdout: #"{"decision": "block"}"#, stderr: "no")], input: "{}")
        #expect(!o.blocked && o.errors.isEmpty && o.decision == .none)
    }
}
