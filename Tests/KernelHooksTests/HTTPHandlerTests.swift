import Foundation
import KernelCore
import KernelHooks
import Testing
import KernelTestSupport

@Suite("http handlers against a loopback server")
struct HTTPHandlerTests {
    func http(_ url: String, _ extra: String = "") -> String {
        "{\"type\": \"http\", \"url\": \(JSONValue.string(url).serialized(pretty: false)), \"timeout\": 5\(extra.isEmpty ? "" : ", " + extra)}"
    }

    @Test("a handler answering deny blocks; the event JSON is POSTed with interpolated headers")
    func deny() async throws {
        let server = try LoopbackServer(routes: [
            "/deny": { _ in .text(#"{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "server says no"}}"#) },
        ])
        setenv("KERNEL_TEST_TOKEN", "s3cret", 1)
        setenv("KERNEL_TEST_OTHER", "leak", 1)
        let headers = #""headers": {"Authorization": "Bearer ${KERNEL_TEST_TOKEN}", "X-Other": "[${KERNEL_TEST_OTHER}]"}, "allowedEnvVars": ["KERNEL_TEST_TOKEN"]"#
        let e = try engine(hooks("PreToolUse", [(nil, [http(server.url("/deny"), headers)])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", [("command", "rm -rf /")]))
        #expect(o.decision == .deny && o.blocked && o.reason == "server says no")
        #expect(o.handlers[0].httpStatus == 200 && o.handlers[0].type == "http")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.header("Authorization") == "Bearer s3cret")
        #expect(request.header("X-Other") == "[]")
        #expect(request.header("Content-Type") == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self).contains(#""tool_name":"Bash""#))
    }

    @Test("a 500 is a non-blocking error")
    func serverError() async throws {
        let server = try LoopbackServer(routes: ["/boom": { _ in .text(#"{"decision": "deny"}"#, status: 500) }])
        let e = try engine(hooks("PreToolUse", [(nil, [http(server.url("/boom"))])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(!o.blocked && o.decision == .none)
        #expect(o.handlers[0].httpStatus == 500 && o.handlers[0].error?.contains("HTTP 500") == true)
        #expect(o.errors.count == 1)
    }

    @Test("a refused connection is a non-blocking error")
    func refused() async throws {
        let port = try LoopbackServer.unusedPort()
        let e = try engine(hooks("PreToolUse", [(nil, [http("http://127.0.0.1:\(port)/hook")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput("Bash", []))
        #expect(!o.blocked && o.decision == .none)
        #expect(o.handlers[0].error?.contains("connection") == true)
        #expect(o.handlers[0].httpStatus == nil)
    }
}
