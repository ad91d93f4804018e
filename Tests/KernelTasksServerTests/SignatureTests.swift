import Foundation
import Testing
import KernelTestSupport
import KernelStore
import KernelTasks
import KernelTasksServer

@Suite struct SignatureTests {
    @Test("GitHub's published X-Hub-Signature-256 test vector")
    func githubVector() throws {
        // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
        let body = Array("Hello, World!".utf8)
        #expect(HMACSHA256.hex(key: "It's a Secret to Everybody", message: body) == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        try WebhookSignature.verify(secret: "It's a Secret to Everybody", body: body, header: { $0 == "X-Hub-Signature-256" ? header : nil }, now: Date())
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(secret: "It's a Secret to Everybody", body: Array("Hello, World?".utf8),
                                        header: { $0 == "X-Hub-Signature-256" ? header : nil }, now: Date())
        }
    }

    @Test("RFC 4231 test cases 2 and 6 (a key longer than the block)")
    func rfc4231() {
        #expect(HMACSHA256.hex(key: "Jefe", message: Array("what do ya want for nothing?".utf8)) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let key = [UInt8](repeating: 0xaa, count: 131)
        let mac = HMACSHA256.mac(key: key, message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("generic X-Kernel-Signature, Stripe-style timestamps within the tolerance, missing and malformed headers")
    func genericAndStripe() throws {
        let body = Array(#"{"a":1}"#.utf8)
        let hex = HMACSHA256.hex(key: "k", message: body)
        try WebhookSignature.verify(secret: "k", body: body, header: { $0 == "X-Kernel-Signature" ? hex : nil }, now: Date())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let t = "1800000000"
        let v1 = HMACSHA256.hex(key: "k", message: Array("\(t).".utf8) + body)
        try WebhookSignature.verify(secret: "k", body: body, header: { $0 == "Kernel-Signature" ? "t=\(t),v1=deadbeef,v1=\(v1)" : nil }, now: now)
        #expect(throws: WebhookSignature.Failure.stale(301)) {
            try WebhookSignature.verify(secret: "k", body: body, header: { $0 == "Kernel-Signature" ? "t=\(t),v1=\(v1)" : nil },
                                        now: now.addingTimeInterval(301))
        }
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(secret: "other", body: body, header: { $0 == "Kernel-Signature" ? "t=\(t),v1=\(v1)" : nil }, now: now)
        }
        #expect(throws: WebhookSignature.Failure.missing) { try WebhookSignature.verify(secret: "k", body: body, header: { _ in nil }, now: now) }
        #expect(throws: WebhookSignature.Failure.malformed) {
            try WebhookSignature.verify(secret: "k", body: body, header: { $0 == "X-Hub-Signature-256" ? "sha256=abc" : nil }, now: now)
        }
    }
}

@Suite struct TokenTests {
    @Test("a token: prefix, 260 random bits, only its hash stored, scopes, expiry, revocation, last use")
    func lifecycle() throws {
        let dir = try TemporaryDirectory(prefix: "kernel-server")
        let store = try KernelStore(path: dir.file("k.sqlite"))
        let tokens = TaskTokens(store: store)
        let (token, record) = try tokens.create(name: "ci", scopes: [.invoke("deploy")], expires: nil)
        #expect(token.hasPrefix("kt-" + record.id + "_") && token.count == 3 + 12 + 1 + 52)
        let (other, _) = try tokens.create(name: "x", scopes: [.manage], expires: nil)
        #expect(other != token)
        // Only the hash is in the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("k.sqlite")))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: dir.file("k.sqlite-wal")))) ?? Data()
        let secret = Data(token.split(separator: "_")[1].utf8)
        #expect(bytes.range(of: secret) == nil && wal.range(of: secret) == nil)
        #expect(try tokens.verify(token, for: .invoke("deploy")).id == record.id)
        #expect(throws: TaskTokens.Refusal.scope) { try tokens.verify(token, for: .invoke("other")) }
        #expect(throws: TaskTokens.Refusal.scope) { try tokens.verify(token, for: .manage) }
        #expect(try tokens.verify(other, for: .invoke("anything")).scopes == [.manage])
        // A token with one character changed is unknown; a garbled one malformed.
        var chars = Array(token); chars[chars.count - 1] = chars.last == "a" ? "b" : "a"
        #expect(throws: TaskTokens.Refusal.unknown) { try tokens.verify(String(chars), for: .invoke("deploy")) }
        #expect(throws: TaskTokens.Refusal.malformed) { try tokens.verify("pt-nope", for: .manage) }
        #expect(try tokens.list().first { $0.id == record.id }?.lastUsedAt != nil)
        _ = try tokens.revoke(record.prefix)
        #expect(throws: TaskTokens.Refusal.revoked) { try tokens.verify(token, for: .invoke("deploy")) }
        let clock = ManualClock(Date())
        let expiring = TaskTokens(store: store, clock: clock)
        let (soon, _) = try expiring.create(name: "", scopes: [.manage], expires: clock.now().addingTimeInterval(60))
        _ = try expiring.verify(soon, for: .manage)
        clock.advance(by: 61)
        #expect(throws: TaskTokens.Refusal.expired) { try expiring.verify(soon, for: .manage) }
        #expect(TaskTokens.constantTimeEqual([1, 2, 3], [1, 2, 3]) && !TaskTokens.constantTimeEqual([1, 2, 3], [1, 2, 4]) && !TaskTokens.constantTimeEqual([1], [1, 2]))
    }
}

@Suite struct ServerLogTests {
    @Test("the access log is buffered: its lines wait until a flush, an ordinary line or the timer; order is kept")
    func bufferedAccessLog() async throws {
        let dir = try TemporaryDirectory(prefix: "kernel-log")
        let path = dir.url("log")
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let log = ServerLog(json: false, fd: fd)
        func lines() -> [String] { ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        log.log("info", "request", [("path", .string("/a"))], deferred: true)
        log.log("info", "request", [("path", .string("/b"))], deferred: true)
        #expect(lines().isEmpty)
        log.log("warning", "slow", [("ms", .int(12))])
        var written = lines()
        #expect(written.count == 3)
        #expect(written.map { $0.split(separator: " ").dropFirst().joined(separator: " ") } == ["info request path=/a", "info request path=/b", "warning slow ms=12"])
        // The date and time of day (formatted once per second) and the milliseconds: ISO 8601 in UTC.
        let stamp = try #require(written.first?.split(separator: " ").first.map(String.init))
        #expect(stamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(iso.date(from: stamp))
        #expect(abs(date.timeIntervalSinceNow) < 3600)
        log.log("info", "request", [("path", .string("/c"))], deferred: true)
        for _ in 0..<400 where lines().count < 4 { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(lines().last?.hasSuffix("info request path=/c") == true)  // the timer flushed it
        log.log("info", "request", [("path", .string("/d"))], deferred: true)
        log.flush()
        written = lines()
        #expect(written.count == 5 && written.last?.hasSuffix("path=/d") == true)
    }
}
