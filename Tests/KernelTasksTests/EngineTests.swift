import Foundation
import Testing
import KernelCore
import KernelStore
import KernelHooks
import KernelHost
import KernelTasks

@Suite struct SchedulerTests {
    @Test("a due slot queues one run, a second tick none; the run starts the agent and succeeds")
    func oncePerSlot() async throws {
        let h = try Harness(at: "2026-03-02T10:00:30Z")
        try h.blueprint("audit", "triggers:\n  - type: schedule\n    cron: \"*/5 * * * *\"", body: "Check {{repo}}.")
        let e = h.engine()
        try e.sync()
        #expect(iso(try e.triggers(of: "audit").first?.nextFire) == "2026-03-02T10:05:00Z")
        h.at("2026-03-02T10:02:00Z")
        #expect(try e.tick().queued.isEmpty)
        h.at("2026-03-02T10:05:01Z")
        let first = try e.tick()
        let slot = try Date("2026-03-02T10:05:00Z", strategy: .iso8601)
        #expect(first.queued.count == 1 && first.queued[0].slot == slot)
        #expect(try e.tick().queued.isEmpty)
        #expect(iso(try e.triggers(of: "audit").first?.nextFire) == "2026-03-02T10:10:00Z")
        let done = await e.drain()
        #expect(done.map(\.state) == [.succeeded])
        #expect(done[0].startedAt != nil && done[0].exitCode == 0 && done[0].triggerKind == "schedule")
        #expect(h.starts.map(\.1) == ["Check ."])
        #expect(h.dir.read("home/plugins/tasks/logs/audit/\(done[0].id).log") == "done\n")
    }

    @Test("two schedulers on one store race for the same slot: one run")
    func twoSchedulersRace() throws {
        let h = try Harness(at: "2026-03-02T10:00:30Z")
        try h.blueprint("race", "triggers:\n  - type: every\n    every: 1m\noverlap: allow")
        let stores = [h.store, try KernelStore(path: h.dir.file("home/plugins/kernel.sqlite"))]
        let engines = stores.map { h.engine(store: $0) }
        try engines[0].sync()
        try engines[1].sync()
        h.at("2026-03-02T10:01:00Z")
        let counts = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            if let r = try? engines[i % 2].tick() { counts.add(r.queued.count) }
        }
        #expect(counts.value == 1)
        #expect(try engines[1].runs(blueprint: "race").count == 1)
    }

    @Test("missed slots while no scheduler ran: skip, latest, all (within the window, capped)",
          arguments: [("skip", 0, 5), ("latest", 1, 4), ("all", 3, 2)])
    func missedPolicies(policy: String, queued: Int, skipped: Int) throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("m", "missed: \(policy)\ncatchUpLimit: 3\noverlap: allow\nconcurrency: 5\ntriggers:\n  - type: every\n    every: 1h")
        let e = h.engine()
        try e.sync()
        h.at("2026-03-02T05:30:00Z")
        let r = try e.tick()
        #expect(r.queued.count == queued)
        #expect(r.skipped.count == skipped)
        #expect(r.skipped.allSatisfy { $0.reason?.hasPrefix("missed: the scheduler was not running") == true })
        if policy == "latest" { #expect(iso(r.queued[0].slot) == "2026-03-02T05:00:00Z") }
        if policy == "all" { #expect(r.queued.map { iso($0.slot)! } == ["2026-03-02T03:00:00Z", "2026-03-02T04:00:00Z", "2026-03-02T05:00:00Z"]) }
        // No burst afterwards: the next fire is the next slot after now.
        #expect(iso(try e.triggers(of: "m").first?.nextFire) == "2026-03-02T06:00:00Z")
        #expect(try e.tick().queued.isEmpty)
    }

    @Test("pause and resume: nothing fires while paused, resume computes from now (no burst)")
    func pauseResume() throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("p", "triggers:\n  - type: every\n    every: 1h\n  - type: every\n    every: 30m")
        let e = h.engine()
        try e.sync()
        try e.pause("p")
        h.at("2026-03-02T05:40:00Z")
        #expect(try e.tick().queued.isEmpty)
        #expect(try e.state(of: "p").paused)
        try e.resume("p")
        #expect(try e.triggers(of: "p").map { iso($0.nextFire)! } == ["2026-03-02T06:00:00Z", "2026-03-02T06:00:00Z"])
        #expect(try e.tick().queued.isEmpty)
        // One trigger paused: only the other fires.
        try e.pause("p", trigger: 0)
        h.at("2026-03-02T06:00:05Z")
        let r = try e.tick()
        #expect(r.queued.map(\.triggerIndex) == [1])
        #expect(try e.runs(blueprint: "p").count == 1)
        // A paused blueprint refuses triggered runs but takes test runs.
        try e.pause("p")
        #expect(throws: TaskError.self) { try e.enqueue("p", trigger: 1) }
        #expect(try e.enqueue("p", test: true).test)
    }

    @Test("max runs: auto-disabled with the reason; test runs do not count")
    func maxRuns() async throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("mr", "maxRuns: 2\ntriggers:\n  - type: every\n    every: 1m\n  - type: api")
        let e = h.engine()
        try e.sync()
        _ = try e.enqueue("mr", test: true)
        _ = await e.drain()
        for minute in 1...3 {
            h.at("2026-03-02T00:0\(minute):01Z")
            _ = try e.tick()
            _ = await e.drain()
        }
        let runs = try e.runs(blueprint: "mr")
        #expect(runs.filter { !$0.test }.count == 2)
        #expect(try e.state(of: "mr").disabledReason == "reached maxRuns (2)")
        #expect(try e.triggers(of: "mr").allSatisfy { $0.nextFire == nil })
        #expect(throws: TaskError.self) { try e.enqueue("mr", trigger: 1) }
        // Resume clears the auto-disable (the count stays: the next slot is refused again).
        try e.resume("mr")
        h.at("2026-03-02T00:10:01Z")
        let r = try e.tick()
        #expect(r.queued.isEmpty && r.skipped.last?.reason == "the blueprint reached maxRuns (2)")
    }

    @Test("expiry: the slot after it is skipped and the blueprint disabled")
    func expiry() throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("ex", "expires: 2026-03-02T00:30:00Z\ntriggers:\n  - type: every\n    every: 1h")
        let e = h.engine()
        try e.sync()
        h.at("2026-03-02T01:00:05Z")
        let r = try e.tick()
        #expect(r.queued.isEmpty && r.skipped.count == 1)
        #expect(r.skipped[0].reason?.hasPrefix("the blueprint expired at 2026-03-02T00:30:00") == true)
        #expect(try e.state(of: "ex").disabledReason?.hasPrefix("expired at") == true)
        #expect(try e.triggers(of: "ex")[0].nextFire == nil)
    }

    @Test("an edited schedule is recomputed from now; a removed blueprint's triggers go")
    func editAndRemove() throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("ed", "triggers:\n  - type: every\n    every: 1h")
        try h.engine().sync()
        h.at("2026-03-02T03:10:00Z")
        try h.blueprint("ed", "triggers:\n  - type: every\n    every: 2h")
        let e = h.engine()
        let report = try e.sync()
        #expect(report.rescheduled == 1)
        #expect(iso(try e.triggers(of: "ed")[0].nextFire) == "2026-03-02T04:00:00Z")
        #expect(try e.tick().queued.isEmpty)
        try FileManager.default.removeItem(atPath: h.dir.file("home/tasks/ed.md"))
        #expect(try h.engine().sync().removed == 1)
    }
}

@Suite struct CatalogTests {
    @Test("project beats user, plugin blueprints are plugin:name, a webhook path is used once, untrusted projects' are inactive")
    func composition() throws {
        let h = try Harness()
        try h.blueprint("same", "triggers:\n  - type: api")
        try h.blueprint("hook-a", "triggers:\n  - type: webhook\n    path: shared")
        try h.dir.write("project/.qoder/tasks/same.md", "---\ntriggers:\n  - type: api\n---\nproject\n")
        try h.dir.write("plug/tasks/nightly.md", "---\ntriggers:\n  - type: webhook\n    path: shared\n---\nx\n")
        let plugin = TaskPluginRoot(id: "audits@local", name: "audits", root: h.dir.file("plug"), enabled: true, projectScoped: false)
        let trusted = BlueprintCatalog.load(userRoot: h.home, projectDir: h.project, plugins: [plugin], projectTrusted: true)
        #expect(trusted.entries.map { "\($0.name) \($0.source.rawValue) \($0.state.name)" }
                == ["hook-a user active", "same user shadowed", "same project active", "audits:nightly plugin inactive"])
        #expect(trusted.entries[3].state.reason == "webhook path 'shared' is already used by hook-a")
        #expect(trusted.resolve("nightly")?.name == "audits:nightly")
        #expect(trusted.resolve("same")?.source == .project)
        let untrusted = BlueprintCatalog.load(userRoot: h.home, projectDir: h.project, plugins: [], projectTrusted: false)
        #expect(untrusted.entries.first { $0.source == .project }?.state == .inactive(reason: "project not trusted (kernel trust)"))
        #expect(untrusted.resolve("same")?.source == .user && untrusted.resolve("same")?.state == .active)
    }
}

@Suite struct OverlapTests {
    @Test("overlap policy while a run is still going", arguments: ["skip", "buffer-one", "allow", "replace"])
    func overlap(policy: String) async throws {
        let h = try Harness(at: "2026-03-02T00:00:10Z")
        try h.blueprint("ov", "overlap: \(policy)\nenv:\n  SLEEP: \"30\"\ntriggers:\n  - type: every\n    every: 1m")
        let e = h.engine()
        try e.sync()
        h.at("2026-03-02T00:01:01Z")
        _ = try e.tick()
        let first = try #require(try e.claimNext())
        let running = Task { await e.execute(first) }
        #expect(try await eventually { try e.run(first.id).state == .running })
        h.at("2026-03-02T00:02:01Z")
        let second = try e.tick()
        h.at("2026-03-02T00:03:01Z")
        let third = try e.tick()
        switch policy {
        case "skip":
            #expect(second.skipped.first?.reason == "overlap: a previous run is still running (overlap: skip)")
            #expect(third.skipped.count == 1)
        case "buffer-one":
            #expect(second.queued.count == 1)
            #expect(third.skipped.first?.reason == "overlap: one run is already waiting (overlap: buffer-one)")
        case "allow":
            #expect(second.queued.count == 1 && third.queued.count == 1)
            #expect(try e.claimNext() == nil)  // concurrency 1: they wait
        default:
            #expect(second.queued.count == 1 && third.queued.count == 1)
            let ended = await running.value
            #expect(ended.state == .cancelled)
            #expect(ended.reason?.hasPrefix("replaced by run \(second.queued[0].id)") == true)
            #expect(try e.run(second.queued[0].id).state == .cancelled)  // replaced by the third while queued
        }
        for r in try e.runs(blueprint: "ov", states: [.running, .queued]) { _ = try e.cancel(r.id) }
        let last = await running.value
        #expect(last.state == .cancelled)
    }

    @Test("a queued run is cancelled at once; a running one is stopped through its process group")
    func cancel() async throws {
        let h = try Harness()
        try h.blueprint("c", "env:\n  SLEEP: \"30\"\ntriggers:\n  - type: api")
        let e = h.engine()
        let queued = try e.enqueue("c", trigger: 0)
        #expect(try e.cancel(queued.id).state == .cancelled)
        let again = try e.enqueue("c", trigger: 0)
        let claimed = try #require(try e.claimNext())
        #expect(claimed.id == again.id)
        let task = Task { await e.execute(claimed) }
        #expect(try await eventually { try e.run(claimed.id).state == .running })
        _ = try e.cancel(String(claimed.id.prefix(8)))
        let done = await task.value
        #expect(done.state == .cancelled && (done.signal == Int(SIGTERM) || done.signal == Int(SIGKILL)))
        #expect(try e.runs(blueprint: "c").map(\.state) == [.cancelled, .cancelled])
    }

    @Test("cancelling a run whose agent ignores SIGTERM kills its process group after the grace (SIGKILL)")
    func cancelEscalates() async throws {
        let h = try Harness()
        try h.blueprint("stubborn", "env:\n  IGNORE_TERM: \"1\"\n  SLEEP: \"300\"\n  CHILD: \(h.dir.file("child.pid"))\ntriggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("stubborn", trigger: 0)
        let claimed = try #require(try e.claimNext())
        let task = Task { await e.execute(claimed) }
        #expect(try await eventually { try e.run(claimed.id).state == .running && !h.dir.read("child.pid").isEmpty })
        _ = try e.cancel(claimed.id)
        let done = await task.value
        #expect(done.state == .cancelled && done.signal == Int(SIGKILL))
        let child = try #require(Int32(h.dir.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await eventually(5) { kill(child, 0) != 0 })
    }
}

@Suite struct RunnerTests {
    @Test("retries with exponential backoff, then the failure is counted once")
    func retries() async throws {
        let h = try Harness()
        try h.blueprint("r", "retries: {count: 2, backoff: 10s}\npauseAfterFailures: 0\nenv:\n  EXIT: \"3\"\ntriggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("r", trigger: 0, parameters: .object([("thing", "x")]))
        #expect(await e.drain().map(\.exitCode) == [3])
        #expect(await e.drain().isEmpty)  // the retry waits 10 s
        h.clock.advance(by: 10)
        let second = await e.drain()
        #expect(second.map(\.attempt) == [2])
        h.clock.advance(by: 19)
        #expect(await e.drain().isEmpty)  // 20 s this time
        h.clock.advance(by: 1)
        let third = await e.drain()
        #expect(third.map(\.attempt) == [3] && third[0].state == .failed && third[0].reason == "exit 3")
        h.clock.advance(by: 3600)
        #expect(await e.drain().isEmpty)
        let runs = try e.runs(blueprint: "r")
        #expect(runs.count == 3 && Set(runs.compactMap(\.retryOf)).count == 1)
        #expect(runs.allSatisfy { $0.parameters == "{\"thing\":\"x\"}" })
        #expect(try e.state(of: "r").consecutiveFailures == 1)
        #expect(h.starts.map(\.1) == ["Do x.", "Do x.", "Do x."])
    }

    @Test("pause after repeated failures, with the reason; a success resets the count")
    func pauseAfterFailures() async throws {
        let h = try Harness()
        try h.blueprint("pf", "pauseAfterFailures: 2\nenv:\n  EXIT: \"1\"\ntriggers:\n  - type: every\n    every: 1h\n  - type: api")
        let e = h.engine()
        try e.sync()
        _ = try e.enqueue("pf", trigger: 1)
        _ = await e.drain()
        #expect(try e.state(of: "pf").paused == false)
        _ = try e.enqueue("pf", trigger: 1)
        let last = await e.drain()
        let state = try e.state(of: "pf")
        #expect(state.paused && state.pausedReason?.hasPrefix("paused after 2 consecutive failed runs (last: \(last[0].id): exit 1)") == true)
        #expect(try e.triggers(of: "pf")[0].nextFire == nil)
    }

    @Test("a timeout kills the whole process group: SIGTERM, grace, SIGKILL")
    func timeoutKillsGroup() async throws {
        let h = try Harness()
        try h.blueprint("to", "timeout: 1s\nenv:\n  SLEEP: \"300\"\n  CHILD: \(h.dir.file("child.pid"))\ntriggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("to", trigger: 0)
        let done = await e.drain()
        #expect(done.first?.state == .failed)
        #expect(done.first?.reason == "timed out after 1s; the process group was killed")
        let child = try #require(Int32(h.dir.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await eventually(5) { kill(child, 0) != 0 })
        #expect(kill(try #require(done.first?.pid.map(Int32.init)), 0) != 0)
    }

    @Test("a TaskCreated hook's deny vetoes the run: recorded as skipped with the reason, the agent never starts")
    func taskCreatedVeto() async throws {
        let h = try Harness()
        try h.dir.write("home/settings.json", """
            {"hooks": {"TaskCreated": [{"matcher": "veto", "hooks": [{"type": "command", "command": "echo 'not today' >&2; exit 2"}]}],
                       "TaskCompleted": [{"hooks": [{"type": "command", "command": "cat > \(h.dir.file("completed.json"))"}]}]}}
            """)
        try h.blueprint("veto", "triggers:\n  - type: api")
        try h.blueprint("fine", "triggers:\n  - type: api")
        let host = try PluginHost(paths: KernelPaths(home: h.home, project: h.project))
        h.hooks = HookEngine(host: host, composition: try host.compose())
        let e = h.engine()
        _ = try e.enqueue("veto", trigger: 0)
        let vetoed = await e.drain()
        #expect(vetoed.first?.state == .skipped)
        #expect(vetoed.first?.reason == "denied by a TaskCreated hook: not today")
        #expect(vetoed.first?.startedAt == nil && h.starts.isEmpty)
        _ = try e.enqueue("fine", trigger: 0, parameters: .object([("thing", "it")]))
        let ok = await e.drain()
        #expect(ok.first?.state == .succeeded)
        let completed = h.dir.read("completed.json")
        #expect(completed.contains("\"hook_event_name\":\"TaskCompleted\"") || completed.contains("\"hook_event_name\": \"TaskCompleted\""))
        #expect(completed.contains("\"succeeded\""))
    }

    @Test("payload values containing {{ reach the agent as written")
    func payloadPassesThrough() async throws {
        let h = try Harness()
        try h.blueprint("wh", "triggers:\n  - type: webhook\n    path: hook", body: "Title: {{issue.title}}{{#if urgent}} URGENT{{/if}}")
        let e = h.engine()
        let run = try e.enqueue("wh", trigger: 0, parameters: .object([("issue", .object([("title", "{{urgent}} {{#if x}}")]))]))
        #expect(run.triggerKind == "webhook")
        _ = await e.drain()
        #expect(h.starts.map(\.1) == ["Title: {{urgent}} {{#if x}}"])
    }

    @Test("output over the log limit is rotated: at most twice the limit is kept")
    func logRotation() async throws {
        let h = try Harness()
        h.configure = { $0.logLimit = 1024 }
        try h.blueprint("big", "env:\n  BYTES: \"5000\"\ntriggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("big", trigger: 0)
        let done = try #require(await e.drain().first)
        let log = try #require(done.logPath)
        let size = (try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? -1
        let rotated = (try FileManager.default.attributesOfItem(atPath: log + ".1")[.size] as? Int) ?? -1
        #expect(size > 0 && size <= 1024 && rotated == 1024)
        #expect(h.dir.read(String(log.dropFirst(h.dir.path.count + 1))).hasSuffix("done\n"))
    }

    @Test("a missing secret reference fails the run with the reason; the agent never starts")
    func missingSecret() async throws {
        let h = try Harness()
        try h.blueprint("s", "env:\n  API_TOKEN: ${NOT_SET_ANYWHERE}\ntriggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("s", trigger: 0)
        let done = await e.drain()
        #expect(done.first?.reason == "env API_TOKEN: ${NOT_SET_ANYWHERE} is not set in the scheduler's environment")
        #expect(h.starts.isEmpty)
    }

    @Test("a runner that cannot start: failed, never counted as started")
    func spawnFailure() async throws {
        let h = try Harness()
        h.configure = { $0.runner = ["/nonexistent/agent", "{prompt}"] }
        try h.blueprint("nf", "triggers:\n  - type: api")
        let e = h.engine()
        _ = try e.enqueue("nf", trigger: 0)
        let done = try #require(await e.drain().first)
        #expect(done.state == .failed && done.startedAt == nil)
        #expect(done.reason?.hasPrefix("cannot start /nonexistent/agent") == true)
    }

    @Test("retention keeps the newest runs per blueprint and deletes their logs")
    func retention() async throws {
        let h = try Harness()
        h.configure = { $0.retentionRuns = 2 }
        try h.blueprint("ret", "overlap: allow\ntriggers:\n  - type: api")
        let e = h.engine()
        for _ in 0..<4 {
            _ = try e.enqueue("ret", trigger: 0)
            _ = await e.drain()
            h.clock.advance(by: 1)
        }
        let before = try e.runs(blueprint: "ret")
        #expect(try e.prune() == 2)
        let after = try e.runs(blueprint: "ret")
        #expect(after.map(\.id) == Array(before.prefix(2)).map(\.id))
        #expect(!FileManager.default.fileExists(atPath: before[3].logPath!))
        #expect(FileManager.default.fileExists(atPath: before[0].logPath!))
    }

    @Test("a run claimed by a process that died is released and runs once")
    func recoverDeadSupervisor() async throws {
        let h = try Harness()
        try h.blueprint("rc", "triggers:\n  - type: api")
        let e = h.engine()
        let run = try e.enqueue("rc", trigger: 0)
        // Another engine process claimed it and died: use a real process that has exited.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        try e.recordClaim(run.id, by: "\(p.processIdentifier):1")
        #expect(try e.claimNext() == nil)
        #expect(try e.recover() == 1)
        #expect(await e.drain().map(\.id) == [run.id])
        #expect(h.starts.count == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}
