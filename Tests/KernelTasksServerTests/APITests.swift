import Foundation
import Testing
import KernelTestSupport
import KernelCore
import KernelStore
import KernelTasks
import KernelTasksServer

@Suite(.serialized) struct APITests {
    @Test("management API end to end: auth, tasks CRUD as files, triggers, runs, logs, cancel, errors")
    func management() async throws {
        let h = try ServerHarness()
        try h.blueprint("audit", "triggers:\n  - type: api\noverlap: allow", body: "Audit {{thing}}.")
        try h.dir.write("plugin/tasks/nightly.md", "---\ntriggers:\n  - type: every\n    every: 1h\n---\nPlugin task.\n")
        h.plugin = TaskPluginRoot(id: "acme@local", name: "acme", root: h.dir.file("plugin"), enabled: true, projectScoped: false)
        try await h.start()
        defer { Task { await h.stop() } }
        let manage = try h.token()
        let invoke = try h.token([.invoke("audit")])

        #expect(try await h.send("GET", "/healthz").status == 200)
        let openapi = try await h.send("GET", "/openapi.json")
        #expect(openapi.status == 200 && openapi.json["openapi"]?.string == "3.1.0" && openapi.json.at("paths./api/tasks") != nil)

        // Auth: none, garbage, a scope that does not grant it.
        let none = try await h.send("GET", "/api/tasks")
        #expect(none.status == 401 && none.json.at("error.code")?.string == "unauthorized")
        #expect(try await h.send("GET", "/api/tasks", token: "kt-aaaaaaaaaaaa_" + String(repeating: "b", count: 52)).status == 401)
        let forbidden = try await h.send("GET", "/api/tasks", token: invoke)
        #expect(forbidden.status == 403 && forbidden.json.at("error.code")?.string == "forbidden")

        let list = try await h.send("GET", "/api/tasks", token: manage)
        #expect(list.status == 200)
        let names = (list.json["tasks"]?.array ?? []).compactMap { $0["name"]?.string }
        #expect(names == ["audit", "acme:nightly"])

        // Create: written as a file, validated, unknown fields and bad values refused.
        let bad = try await h.send("POST", "/api/tasks", token: manage, body: #"{"name": "x", "priority": 50}"#)
        #expect(bad.status == 400 && bad.json.at("error.code")?.string == "unknown_field")
        let notJSON = try await h.send("POST", "/api/tasks", token: manage, body: #"{"name": "#)
        #expect(notJSON.status == 400 && notJSON.json.at("error.code")?.string == "invalid_json")
        let badCron = try await h.send("POST", "/api/tasks", token: manage, body: """
            {"name": "daily", "prompt": "p", "triggers": [{"type": "schedule", "config": {"cronExpression": "0 25 * * *"}}]}
            """)
        #expect(badCron.status == 422 && badCron.json.at("error.message")?.string?.contains("hour field: 25 is out of range") == true)
        #expect(!FileManager.default.fileExists(atPath: h.dir.file("home/tasks/daily.md")))
        let created = try await h.send("POST", "/api/tasks", token: manage, body: """
            {"type": "standalone", "name": "daily", "title": "Daily check", "prompt": "Check {{repo}}.",
             "triggers": [{"type": "schedule", "config": {"cronExpression": "0 9 * * *"}, "enabled": true}]}
            """)
        #expect(created.status == 201)
        #expect(created.json["name"]?.string == "daily" && created.json.at("triggers.0.config.cronExpression")?.string == "0 9 * * *")
        #expect(created.json.at("triggers.0.nextFire")?.string != nil)
        let file = h.dir.text("home/tasks/daily.md")
        #expect(file.contains("description: \"Daily check\"") && file.contains("Check {{repo}}."))
        let again = try await h.send("POST", "/api/tasks", token: manage, body: #"{"name": "daily", "prompt": "x"}"#)
        #expect(again.status == 409)
        let project = try await h.send("POST", "/api/tasks", token: manage, body: #"{"name": "proj", "prompt": "x", "scope": "project"}"#)
        #expect(project.status == 201 && FileManager.default.fileExists(atPath: h.dir.file("project/.qoder/tasks/proj.md")))

        // Read one, patch fields and the enabled state.
        let one = try await h.send("GET", "/api/tasks/daily", token: manage)
        #expect(one.status == 200 && one.json["title"]?.string == "Daily check" && one.json["recentRuns"]?.array?.isEmpty == true)
        #expect(try await h.send("GET", "/api/tasks/daly", token: manage).json.at("error.message")?.string?.contains("did you mean") == true)
        let patched = try await h.send("PATCH", "/api/tasks/daily", token: manage, body: #"{"prompt": "Check again.", "model": "fast"}"#)
        #expect(patched.status == 200 && patched.json["prompt"]?.string == "Check again.\n" && patched.json["model"]?.string == "fast")
        #expect(try await h.send("PATCH", "/api/tasks/daily", token: manage, body: #"{"maxRuns": "many"}"#).status == 422)
        #expect(h.dir.text("home/tasks/daily.md").contains("Check again."))
        let paused = try await h.send("PATCH", "/api/tasks/daily", token: manage, body: #"{"enabled": false}"#)
        #expect(paused.json["state"]?.string == "paused" && paused.json.at("triggers.0.nextFire")?.isNull == true)
        #expect(try await h.send("PATCH", "/api/tasks/daily", token: manage, body: #"{"enabled": true}"#).json["state"]?.string == "active")

        // Plugin blueprints: read-only except enabled.
        let ro = try await h.send("PATCH", "/api/tasks/acme:nightly", token: manage, body: #"{"prompt": "x"}"#)
        #expect(ro.status == 403 && ro.json.at("error.code")?.string == "read_only")
        #expect(try await h.send("PATCH", "/api/tasks/acme:nightly", token: manage, body: #"{"enabled": false}"#).json["state"]?.string == "paused")
        #expect(try await h.send("DELETE", "/api/tasks/acme:nightly", token: manage).status == 403)

        // Triggers: add, pause one, edit its config, remove.
        let added = try await h.send("POST", "/api/tasks/daily/triggers", token: manage, body: #"{"type": "webhook", "config": {"path": "daily-hook"}}"#)
        #expect(added.status == 201 && added.json["id"]?.int == 2 && added.json.at("config.url")?.string == "/api/hooks/daily-hook")
        let pausedTrigger = try await h.send("PATCH", "/api/tasks/daily/triggers/1", token: manage, body: #"{"enabled": false}"#)
        #expect(pausedTrigger.status == 200 && pausedTrigger.json["enabled"]?.bool == false)
        let edited = try await h.send("PATCH", "/api/tasks/daily/triggers/2", token: manage, body: #"{"config": {"path": "daily-hook-2"}}"#)
        #expect(edited.json.at("config.path")?.string == "daily-hook-2")
        #expect(try await h.send("PATCH", "/api/tasks/daily/triggers/9", token: manage, body: "{}").status == 404)
        #expect(try await h.send("DELETE", "/api/tasks/daily/triggers/2", token: manage).status == 204)
        #expect(try await h.send("GET", "/api/tasks/daily", token: manage).json["triggers"]?.array?.count == 1)

        // Runs: queue one with params, list with filters, read it, its log, cancel a queued one.
        let queued = try await h.send("POST", "/api/tasks/audit/runs", token: manage, body: #"{"params": {"thing": "deps"}}"#)
        #expect(queued.status == 202 && queued.json["type"]?.string == "manual")
        let runID = try #require(queued.json["runId"]?.string)
        #expect(try await h.send("POST", "/api/tasks/audit/runs", token: manage, body: #"{"params": [1]}"#).status == 422)
        #expect(try await h.send("POST", "/api/tasks/audit/runs", token: manage, body: #"{"parameters": {}}"#).status == 400)
        try await h.eventually { try h.run(runID).state == .succeeded }
        #expect(h.record.contains { $0.0 == runID && $0.1 == "Audit deps." })
        let run = try await h.send("GET", "/api/runs/\(runID)", token: manage)
        #expect(run.status == 200 && run.json["state"]?.string == "succeeded" && run.json.at("parameters.thing")?.string == "deps")
        let log = try await h.send("GET", "/api/runs/\(runID)/log", token: manage)
        #expect(log.status == 200 && log.body.contains("agent output for audit"))
        let runs = try await h.send("GET", "/api/runs?task=audit&state=succeeded&limit=5", token: manage)
        #expect(runs.json["runs"]?.array?.map { $0["id"]?.string } == [runID])
        #expect(try await h.send("GET", "/api/runs?state=nope", token: manage).status == 400)
        #expect(try await h.send("GET", "/api/runs?limit=0", token: manage).status == 400)
        #expect(try await h.send("GET", "/api/runs/00000000-dead", token: manage).status == 404)
        try h.blueprint("slow", "triggers:\n  - type: api\nenv:\n  SLEEP: \"30\"", body: "slow")
        try await Task.sleep(nanoseconds: 300_000_000)
        let slow = try await h.send("POST", "/api/tasks/slow/runs", token: manage, body: "{}")
        let slowID = try #require(slow.json["runId"]?.string)
        try await h.eventually { try h.run(slowID).state == .running }
        let cancelled = try await h.send("POST", "/api/runs/\(slowID)/cancel", token: manage)
        #expect(cancelled.status == 200)
        try await h.eventually { try h.run(slowID).state == .cancelled }
        #expect(try h.run(slowID).state == .cancelled)

        // Delete a file blueprint.
        #expect(try await h.send("DELETE", "/api/tasks/daily", token: manage).status == 204)
        #expect(!FileManager.default.fileExists(atPath: h.dir.file("home/tasks/daily.md")))
        #expect(try await h.send("GET", "/api/tasks/daily", token: manage).status == 404)

        // A body over the API cap is refused before it is read.
        let big = try await h.send("POST", "/api/tasks", token: manage, bytes: [UInt8](repeating: 0x20, count: 2 << 20))
        #expect(big.status == 413 && big.json.at("error.code")?.string == "too_large")

        // Tokens never reach the log.
        let logged = h.dir.text("server.log")
        #expect(!logged.isEmpty && !logged.contains(manage) && !logged.contains(String(manage.split(separator: "_")[1])))
        await h.stop()
    }
}
