import Foundation
import Testing
import KernelTestSupport
import KernelCore
import KernelStore
import KernelTasks
import KernelTasksServer

@Suite(.serialized) struct TriggerTests {
    @Test("API trigger: 202 with the run id, the prompt appended for that run, token scopes, expiry and revocation")
    func invoke() async throws {
        let h = try ServerHarness()
        try h.blueprint("deploy", "triggers:\n  - type: api\noverlap: allow", body: "Deploy the service.")
        try h.blueprint("other", "triggers:\n  - type: api", body: "Other.")
        try await h.start()
        let tokens = TaskTokens(store: h.store)
        let scoped = try h.token([.invoke("deploy")])
        let manage = try h.token()
        let tasks = try await h.send("GET", "/api/tasks", token: manage).json["tasks"]?.array ?? []
        func key(_ name: String) -> String? { tasks.first { $0["name"]?.string == name }?.at("triggers.0.config.invokeKey")?.string }
        let deployKey = try #require(key("deploy")), otherKey = try #require(key("other"))

        let r = try await h.send("POST", "/v1/automation/invoke/\(deployKey)", token: scoped, body: #"{"prompt": "Only the canary."}"#)
        #expect(r.status == 202 && r.json["state"]?.string == "queued")
        let id = try #require(r.json["runId"]?.string)
        try await h.eventually { try h.run(id).state.isFinal }
        let prompt = try #require(h.record.first { $0.0 == id }?.1)
        #expect(prompt.hasPrefix("Deploy the service.") && prompt.hasSuffix("Only the canary."))
        #expect(try h.run(id).triggerKind == "api" && h.run(id).state == .succeeded)

        #expect(try await h.send("POST", "/v1/automation/invoke/\(otherKey)", token: scoped, body: "{}").status == 403)
        #expect(try await h.send("POST", "/v1/automation/invoke/\(deployKey)", body: "{}").status == 401)
        #expect(try await h.send("POST", "/v1/automation/invoke/nope", token: scoped, body: "{}").status == 404)
        #expect(try await h.send("POST", "/v1/automation/invoke/\(deployKey)", token: scoped, body: #"{"prompt": "x", "extra": 1}"#).status == 400)
        #expect(try await h.send("POST", "/v1/automation/invoke/\(otherKey)", token: manage, body: "{}").status == 202)
        _ = try tokens.revoke(scoped)
        let revoked = try await h.send("POST", "/v1/automation/invoke/\(deployKey)", token: scoped, body: "{}")
        #expect(revoked.status == 401 && revoked.json.at("error.message")?.string == "the token was revoked")
        let (soon, _) = try tokens.create(name: "", scopes: [.manage], expires: Date().addingTimeInterval(1))
        #expect(try await h.send("POST", "/v1/automation/invoke/\(deployKey)", token: soon, body: "{}").status == 202)
        try await Task.sleep(nanoseconds: 1_200_000_000)
        #expect(try await h.send("POST", "/v1/automation/invoke/\(deployKey)", token: soon, body: "{}").json.at("error.message")?.string == "the token has expired")
        await h.stop()
    }

    @Test("webhooks: GitHub signature, tampered body, replayed delivery, redelivery after a failure, stale timestamp, paramMapping, caps, rate limit")
    func webhooks() async throws {
        let h = try ServerHarness()
        h.environment = ["HOOK_SECRET": "It's a Secret to Everybody"]
        try h.blueprint("sentry", """
            triggers:
              - type: webhook
                path: sentry/alerts
                secret: ${HOOK_SECRET}
                rateLimit: 7/m
              - type: webhook
                path: mapped
                paramMapping: {title: issue.title, first: labels.0}
            overlap: allow
            """, body: "Fix {{title}}.")
        try await h.start()
        let body = Array("Hello, World!".utf8)
        let vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        // GitHub's published vector signs a body that is not a JSON object: signature accepted, then 422.
        let notObject = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: body, headers: [("X-Hub-Signature-256", vector)])
        #expect(notObject.status == 400 || notObject.status == 422)
        #expect(notObject.json.at("error.code")?.string != "bad_signature")

        let json = Array(#"{"title": "Crash in checkout"}"#.utf8)
        let sig = "sha256=" + HMACSHA256.hex(key: "It's a Secret to Everybody", message: json)
        let ok = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("X-Hub-Signature-256", sig), ("X-GitHub-Delivery", "d-1")])
        #expect(ok.status == 202)
        let first = try #require(ok.json["runId"]?.string)
        try await h.eventually { try h.run(first).state.isFinal }
        #expect(h.record.first { $0.0 == first }?.1 == "Fix Crash in checkout.")

        var tampered = json; tampered[tampered.count - 3] = UInt8(ascii: "X")
        let bad = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: tampered, headers: [("X-Hub-Signature-256", sig)])
        #expect(bad.status == 401 && bad.json.at("error.code")?.string == "bad_signature")
        #expect(try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json).status == 401)

        let replay = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("X-Hub-Signature-256", sig), ("X-GitHub-Delivery", "d-1")])
        #expect(replay.status == 200 && replay.json["duplicate"]?.bool == true && replay.json["runId"]?.string == first)
        #expect(try h.runs("sentry").count == 1)

        // A delivery that fails before a run is queued (the blueprint is paused) is not remembered.
        try h.makeEngine().pause("sentry")
        let failed = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("X-Hub-Signature-256", sig), ("X-GitHub-Delivery", "d-2")])
        #expect(failed.status == 409)
        try h.makeEngine().resume("sentry")
        let redelivered = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("X-Hub-Signature-256", sig), ("X-GitHub-Delivery", "d-2")])
        #expect(redelivered.status == 202 && redelivered.json["runId"]?.string != first)

        // Stripe-style: fresh accepted, stale refused.
        let now = Int(Date().timeIntervalSince1970)
        func stripe(_ t: Int) -> String { "t=\(t),v1=" + HMACSHA256.hex(key: "It's a Secret to Everybody", message: Array("\(t).".utf8) + json) }
        #expect(try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("Kernel-Signature", stripe(now))]).status == 202)
        let stale = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("Kernel-Signature", stripe(now - 600))])
        #expect(stale.status == 401 && stale.json.at("error.message")?.string?.contains("tolerance 300 s") == true)

        // Rate limit: 7 a minute on this trigger. Six well-signed requests took a token so far (a bad or stale
        // signature is refused before the bucket); the seventh passes, then 429 with Retry-After and no run.
        var statuses: [Int] = []
        var retryAfter: String?
        for i in 0..<3 {
            let r = try await h.send("POST", "/api/hooks/sentry/alerts", bytes: json, headers: [("X-Hub-Signature-256", sig), ("X-GitHub-Delivery", "rl-\(i)")])
            statuses.append(r.status)
            retryAfter = r.header("Retry-After") ?? retryAfter
        }
        #expect(statuses == [202, 429, 429] && retryAfter != nil)
        #expect(try h.runs("sentry").count == 4)

        // paramMapping picks dotted paths out of the body.
        let mapped = try await h.send("POST", "/api/hooks/mapped", body: #"{"issue": {"title": "Slow page"}, "labels": ["perf", "web"], "noise": 1}"#)
        #expect(mapped.status == 202)
        let mappedRun = try h.run(try #require(mapped.json["runId"]?.string))
        #expect(mappedRun.parameters == #"{"title":"Slow page","first":"perf"}"#)

        #expect(try await h.send("POST", "/api/hooks/none", body: "{}").status == 404)
        let huge = try await h.send("POST", "/api/hooks/mapped", bytes: [UInt8](repeating: 0x20, count: 10 << 20))
        #expect(huge.status == 413)
        await h.stop()
    }

    @Test("a webhook whose secret is not set in the server's environment refuses (no unsigned pass)")
    func secretUnset() async throws {
        let h = try ServerHarness()
        try h.blueprint("s", "triggers:\n  - type: webhook\n    path: s\n    secret: ${UNSET_SECRET}")
        try await h.start()
        let r = try await h.send("POST", "/api/hooks/s", body: "{}")
        #expect(r.status == 503 && r.json.at("error.code")?.string == "not_configured")
        #expect(try h.runs().isEmpty)
        await h.stop()
    }

    @Test("GitHub events: repository, kind, action, labels (any of), branch glob; the runner's own events ignored")
    func githubEvents() async throws {
        let h = try ServerHarness()
        h.configure = { $0.githubSecret = "gh-secret"; $0.githubLogin = "kernel-bot" }
        try h.blueprint("triage", """
            triggers:
              - type: event
                source: github
                kinds: [issues]
                actions: [opened, labeled]
                labels: [bug, crash]
                repo: acme/web
            overlap: allow
            """, body: "Triage #{{number}}: {{title}} ({{labels}})")
        try h.blueprint("review", """
            triggers:
              - type: event
                source: github
                kinds: [pull_request]
                branch: release/*
            overlap: allow
            """, body: "Review {{url}}")
        try await h.start()
        func deliver(_ kind: String, _ payload: String, id: String = UUID().uuidString) async throws -> Reply {
            let bytes = Array(payload.utf8)
            return try await h.send("POST", "/api/events/github", bytes: bytes, headers: [
                ("X-GitHub-Event", kind), ("X-GitHub-Delivery", id),
                ("X-Hub-Signature-256", "sha256=" + HMACSHA256.hex(key: "gh-secret", message: bytes))])
        }
        func issue(_ action: String, labels: [String], repo: String = "acme/web", sender: String = "ada") -> String {
            """
            {"action": "\(action)", "repository": {"full_name": "\(repo)"}, "sender": {"login": "\(sender)"},
             "issue": {"number": 7, "title": "Crash on save", "body": "It crashes", "html_url": "https://github.com/acme/web/issues/7",
                       "state": "open", "user": {"login": "ada"}, "labels": [\(labels.map { "{\"name\": \"\($0)\"}" }.joined(separator: ","))]}}
            """
        }
        let hit = try await deliver("issues", issue("opened", labels: ["crash", "ui"]))
        #expect(hit.status == 202 && hit.json["runs"]?.array?.count == 1 && hit.json.at("runs.0.task")?.string == "triage")
        let id = try #require(hit.json.at("runs.0.runId")?.string)
        try await h.eventually { try h.run(id).state.isFinal }
        #expect(h.record.first { $0.0 == id }?.1 == #"Triage #7: Crash on save (["crash","ui"])"#)
        #expect(try await deliver("issues", issue("closed", labels: ["bug"])).json["runs"]?.array?.isEmpty == true)
        #expect(try await deliver("issues", issue("opened", labels: ["docs"])).json["runs"]?.array?.isEmpty == true)
        #expect(try await deliver("issues", issue("opened", labels: ["bug"], repo: "acme/api")).json["runs"]?.array?.isEmpty == true)
        let own = try await deliver("issues", issue("opened", labels: ["bug"], sender: "kernel-bot"))
        #expect(own.status == 200 && own.json["ignored"]?.string?.contains("own account") == true)
        #expect(try await deliver("push", "{}").json["ignored"] != nil)
        #expect(try await deliver("ping", "{}").status == 200)
        func pr(_ base: String) -> String {
            #"{"action": "opened", "repository": {"full_name": "acme/web"}, "sender": {"login": "ada"}, "pull_request": {"number": 3, "title": "Fix", "html_url": "https://x/pr/3", "base": {"ref": "\#(base)"}, "labels": []}}"#
        }
        let release = try await deliver("pull_request", pr("release/2.1"))
        #expect(release.json["runs"]?.array?.map { $0["task"]?.string } == ["review"])
        #expect(try await deliver("pull_request", pr("main")).json["runs"]?.array?.isEmpty == true)
        #expect(try await deliver("pull_request", pr("release/2.1/hotfix")).json["runs"]?.array?.isEmpty == true)
        // The same delivery id again: no second run.
        let again = try await deliver("issues", issue("opened", labels: ["bug"]), id: "same")
        let replay = try await deliver("issues", issue("opened", labels: ["bug"]), id: "same")
        #expect(again.json.at("runs.0.duplicate")?.bool == false && replay.json.at("runs.0.duplicate")?.bool == true)
        #expect(again.json.at("runs.0.runId")?.string == replay.json.at("runs.0.runId")?.string)
        // Unsigned or wrongly signed: 401.
        let unsigned = try await h.send("POST", "/api/events/github", body: issue("opened", labels: ["bug"]), headers: [("X-GitHub-Event", "issues")])
        #expect(unsigned.status == 401)
        #expect(try h.runs("triage").count == 2)
        await h.stop()
    }

    @Test("graceful shutdown: a run in flight finishes within the grace; past it, it is cancelled and recorded")
    func gracefulShutdown() async throws {
        let h = try ServerHarness()
        try h.blueprint("short", "triggers:\n  - type: api\nenv:\n  SLEEP: \"1\"", body: "short")
        try await h.start()
        let manage = try h.token()
        let id = try #require(try await h.send("POST", "/api/tasks/short/runs", token: manage, body: "{}").json["runId"]?.string)
        try await h.eventually { try h.run(id).state == .running }
        await h.stop()
        #expect(try h.run(id).state == .succeeded)
        // The port is closed.
        await #expect(throws: (any Error).self) { _ = try await h.send("GET", "/healthz") }

        let h2 = try ServerHarness()
        try h2.blueprint("long", "triggers:\n  - type: api\nenv:\n  SLEEP: \"60\"", body: "long")
        h2.configure = { $0.grace = 0.5 }
        try await h2.start()
        let t2 = try h2.token()
        let long = try #require(try await h2.send("POST", "/api/tasks/long/runs", token: t2, body: "{}").json["runId"]?.string)
        try await h2.eventually { try h2.run(long).state == .running }
        await h2.stop()
        let r = try h2.run(long)
        #expect(r.state == .cancelled && r.finishedAt != nil)
    }

    @Test("two servers on one store fire one run per slot")
    func twoServers() async throws {
        let a = try ServerHarness()
        try a.blueprint("tick", "triggers:\n  - type: every\n    every: 1s\noverlap: allow\nmissed: skip", body: "tick")
        let b = try ServerHarness(store: try KernelStore(path: a.dir.file("home/plugins/kernel.sqlite")), dir: a.dir)
        a.configure = { $0.poll = 0.05 }
        b.configure = { $0.poll = 0.05 }
        try await a.start()
        try await b.start()
        try await Task.sleep(nanoseconds: 3_500_000_000)
        await a.stop()
        await b.stop()
        let runs = try a.runs("tick")
        let slots = runs.compactMap(\.slot)
        #expect(slots.count >= 2)
        #expect(Set(slots).count == slots.count)
        #expect(a.record.count == Set(a.record.map(\.0)).count)
    }
}
