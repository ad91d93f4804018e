import Testing
import KernelCore

@Suite struct HookSettingsPatternTests {
    @Test func wildcardsMatchTheWholeURL() {
        let s = HookSettings(allowedHTTPURLs: ["https://hooks.example.com/*", "http://localhost:*/x", "exact"])
        #expect(s.allowsHTTP("https://hooks.example.com/a/b?c"))
        #expect(s.allowsHTTP("http://localhost:8080/x"))
        #expect(!s.allowsHTTP("http://localhost:8080/x/y"))
        #expect(!s.allowsHTTP("https://hooks.example.com.evil.net/"))
        #expect(s.allowsHTTP("exact") && !s.allowsHTTP("exactly"))
        #expect(!HookSettings(allowedHTTPURLs: []).allowsHTTP("http://a"))
        #expect(HookSettings().allowsHTTP("http://a"))
        #expect(HookSettings(allowedHTTPURLs: ["*"]).allowsHTTP(""))
        // Many stars against a long miss finish (no exponential backtracking).
        let stars = String(repeating: "*a", count: 40) + "b"
        #expect(!HookSettings(allowedHTTPURLs: [stars]).allowsHTTP(String(repeating: "a", count: 5000)))
    }
}
