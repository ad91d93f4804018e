import KernelCore
@testable import KernelHooks
import Testing

/// Issue 8, defects 6 (a catastrophic matcher stalled every fire) and 7 (JSONScan disagreed with JSONReader).
@Suite("Hostile hook input")
struct HostileHookInputTests {
    /// `(a+)+$` against 100 `a`s and a `!`: NSRegularExpression never finished; the fire now answers (the
    /// matcher does not match) and a matching name still fires.
    @Test func catastrophicMatcherDoesNotStallTheFire() async throws {
        let e = try engine(hooks("PreToolUse", [("(a+)+$", [cmd("echo ran")])]))
        let o = await e.fire(event: "PreToolUse", input: toolInput(String(repeating: "a", count: 100) + "!", []))
        #expect(o.handlers.isEmpty && o.errors.isEmpty)
        let hit = await e.fire(event: "PreToolUse", input: toolInput(String(repeating: "a", count: 100), []))
        #expect(hit.handlers.count == 1 && hit.handlers.first?.stdout == "ran\n")
    }

    /// Whatever the parser accepts, the engine compiles: a `(?:…)` group and `\d` (a matcher the parser's old
    /// `Regex` and the engine's old NSRegularExpression read differently could match nothing).
    @Test func theParserAndTheEngineShareOneEngine() async throws {
        let e = try engine(hooks("PreToolUse", [("^mcp__(?:a|b)\\d+__", [cmd("echo ran")])]))
        #expect(await e.fire(event: "PreToolUse", input: toolInput("mcp__b12__x", [])).handlers.count == 1)
        #expect(await e.fire(event: "PreToolUse", input: toolInput("mcp__c12__x", [])).handlers.isEmpty)
    }

    /// The exact inputs: duplicate keys (the reader keeps the last), an escaped key, a 0xEF that is no BOM.
    @Test func jsonScanAgreesWithTheReader() throws {
        let cases: [(String, [UInt8])] = [
            ("tool_name", Array(#"{"tool_name": "Read", "tool_name": "Bash"}"#.utf8)),
            ("tool_name", Array(#"{"tool\u005fname": "Bash"}"#.utf8)),
            ("tool_name", Array(#"{"tool_name": "Bash", "x": 1, "tool\u005Fname": "Edit"}"#.utf8)),
            ("a", [0xEF, 0xBB, 0xBF] + Array(#"{"a": "bom"}"#.utf8)),
            ("a", [0xEF] + Array(#"{"a": "x"}"#.utf8)),
            ("a", [0x20, 0xEF, 0xBB, 0xBF] + Array(#"{"a": "x"}"#.utf8)),
            ("a", Array(#"{"a": "\ud83d\ude00 \u00e9\n\/"}"#.utf8)),
            ("a", Array(#"{"a": "\ud83d"}"#.utf8)),
            ("a", Array(#"{"a": "x" "b": 1}"#.utf8)),
        ]
        for (key, bytes) in cases {
            let scan = JSONScan(bytes: bytes)
            let reader = (try? JSONReader.parse(bytes))?.root
            let expected = reader?[key]?.string
            #expect(scan.string(key) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            if let reader { #expect(scan.isObject == (reader.members != nil)) }
        }
        let nested = Array(#"{"tool_input": {"command": "ls", "comm\u0061nd": "rm"}}"#.utf8)
        let scan = JSONScan(bytes: nested)
        let range = scan.value("tool_input")
        #expect(range != nil && scan.string("command", in: range) == "rm")
    }
}
