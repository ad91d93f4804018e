import Foundation
import Testing
import KernelTestSupport

/// The reference host's hook keys: `disableAllHooks`, `hooksConfig.enabled`, `allowedHttpHookUrls`.
@Suite struct HookSettingsTests {
    let input = #"{"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#

    func fire(_ box: Sandbox) async throws -> (KernelRun, [String: Any]) {
        let run = try await kernel(["hooks", "fire", "PreToolUse", "--json"], cwd: box.projectDir.fileURL,
                                   environment: ["QODER_HOME": box.home], stdin: input)
        return (run, try parseJSON(run.stdout))
    }

    @Test func disableAllHooksAndHooksConfigEnabledStopEveryHook() async throws {
        let box = try Sandbox()
        let hooks = #""hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": "touch ran; exit 2"}]}]}"#
        try write(box.settingsPath(.user), "{\(hooks), \"disableAllHooks\": true}")
        let (run, json) = try await fire(box)
        #expect(run.status == 0)
        #expect((json["handlers"] as? [Any])?.isEmpty == true)
        #expect(!exists(box.project + "/ran"))
        let list = try await box.listing(["hooks", "list"])
        #expect(list.first?["reason"] as? String == "hooks are off: disableAllHooks is true in user settings (\(box.settingsPath(.user)))")
        let text = try await box.ok(["hooks", "list"])
        #expect(text.contains("inactive: hooks are off: disableAllHooks is true"), "\(text)")

        // The most specific file decides: local turns them back on.
        try write(box.settingsPath(.local), #"{"disableAllHooks": false}"#)
        try await box.ok(["trust"])
        #expect(try await fire(box).0.status == 2)

        try write(box.settingsPath(.local), #"{"hooksConfig": {"enabled": false}}"#)
        try write(box.settingsPath(.user), "{\(hooks)}")
        let (run2, json2) = try await fire(box)
        #expect(run2.status == 0 && (json2["handlers"] as? [Any])?.isEmpty == true)
        #expect(try await box.listing(["hooks", "list"]).first?["reason"] as? String
                == "hooks are off: hooksConfig.enabled is false in local settings (\(box.settingsPath(.local)))")
    }

    @Test func allowedHttpHookUrls() async throws {
        let server = try LoopbackServer(routes: ["/hook": { _ in .text(#"{"decision": "block", "reason": "from http"}"#) }])
        let box = try Sandbox()
        let hooks = #""hooks": {"PreToolUse": [{"hooks": [{"type": "http", "url": "\#(server.url("/hook"))"}]}]}"#
        // A pattern that matches: the hook runs (and blocks).
        try write(box.settingsPath(.user), "{\(hooks), \"allowedHttpHookUrls\": [\"https://other/*\", \"http://127.0.0.1:*/hook\"]}")
        #expect(try await fire(box).0.status == 2)
        // None matches: refused with the reason, nothing sent.
        try write(box.settingsPath(.user), "{\(hooks), \"allowedHttpHookUrls\": [\"https://hooks.example.com/*\"]}")
        let (run, json) = try await fire(box)
        #expect(run.status == 0)
        let handler = try #require((json["handlers"] as? [[String: Any]])?.first)
        #expect("\(handler)".contains("HTTP hook blocked: \(server.url("/hook")) does not match any pattern in allowedHttpHookUrls"), "\(handler)")
        // [] refuses every http hook; the lists of the files are united.
        try write(box.settingsPath(.user), "{\(hooks), \"allowedHttpHookUrls\": []}")
        #expect(try await fire(box).0.status == 0)
        try write(box.settingsPath(.local), #"{"allowedHttpHookUrls": ["http://127.0.0.1*"]}"#)
        try await box.ok(["trust"])
        #expect(try await fire(box).0.status == 2)
    }
}
