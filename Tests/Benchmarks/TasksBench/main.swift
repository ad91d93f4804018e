// `swift build -c release --product tasks-bench && .build/release/tasks-bench`
// Measures the tasks engine: a tick with 10,000 blueprints when nothing is due (the indexed read), the time from
// a due slot to the runner's process started (recorded by the engine), and the store's size after 100,000 runs.
import Foundation
import KernelCore
import KernelStore
import KernelTasks

/// The real clock shifted by `offset` seconds, so the bench can jump to a due slot and still time in real time.
final class ShiftedClock: TaskClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Double = 0
    func now() -> Date { Date().addingTimeInterval(lock.withLock { offset }) }
    func jump(to date: Date) { lock.withLock { offset = date.timeIntervalSinceNow } }
}

func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
let env = ProcessInfo.processInfo.environment
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
func ms(_ s: Double) -> String { String(format: "%.3f ms", s * 1000) }

let root = NSTemporaryDirectory() + "kernel-tasks-bench-" + UUID().uuidString
let home = root + "/home"
let project = root + "/project"
try FileManager.default.createDirectory(atPath: home + "/tasks", withIntermediateDirectories: true)
try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }

// 1. 10,000 blueprints, every one on a daily schedule in its own zone-free slot: nothing due for hours.
let count = Int(env["BLUEPRINTS"] ?? "") ?? 10_000
for i in 0..<count {
    let body = """
        ---
        description: bench \(i)
        triggers:
          - type: schedule
            cron: "\(i % 60) \(i % 24) * * *"
          - type: api
        ---
        Check {{repo}} #\(i).
        """
    try body.write(toFile: "\(home)/tasks/t\(i).md", atomically: false, encoding: .utf8)
}
let clock = ShiftedClock()
// Start just after midnight UTC so the next fires are later today.
clock.jump(to: try Date("2026-03-02T00:00:30Z", strategy: .iso8601))
var t = Date()
let catalog = BlueprintCatalog.load(userRoot: home, projectDir: project, plugins: [], projectTrusted: true)
let loadTime = Date().timeIntervalSince(t)
let store = try KernelStore(path: home + "/plugins/kernel.sqlite")
var config = TaskEngine.Configuration(logsDir: home + "/plugins/tasks/logs", workDir: home + "/plugins/tasks/work", projectDir: project)
config.runner = ["/bin/true"]
config.concurrency = 100
let engine = TaskEngine(store: store, catalog: catalog, configuration: config, clock: clock)
t = Date()
try engine.sync()
let firstSync = Date().timeIntervalSince(t)
t = Date()
try engine.sync()
let warmSync = Date().timeIntervalSince(t)
var ticks: [Double] = []
for _ in 0..<200 {
    let s = Date()
    let r = try engine.tick()
    ticks.append(Date().timeIntervalSince(s))
    precondition(r.queued.isEmpty && r.skipped.isEmpty)
}
say("blueprints: \(count) (catalog read \(ms(loadTime)), first sync \(ms(firstSync)), unchanged sync \(ms(warmSync)))")
say("tick, nothing due (200 ticks): median \(ms(median(ticks))), max \(ms(ticks.max()!))   target <= 10 ms")

// 2. Fire to runner spawn: one blueprint due, tick → claim → execute until the process started.
let spawnRoot = root + "/spawn"
try FileManager.default.createDirectory(atPath: spawnRoot + "/tasks", withIntermediateDirectories: true)
try "---\ntriggers:\n  - type: every\n    every: 1m\noverlap: allow\n---\nGo.\n".write(toFile: spawnRoot + "/tasks/go.md", atomically: false, encoding: .utf8)
let spawnCatalog = BlueprintCatalog.load(userRoot: spawnRoot, projectDir: project, plugins: [], projectTrusted: true)
let spawnStore = try KernelStore(path: spawnRoot + "/plugins/kernel.sqlite")
var spawnConfig = config
spawnConfig.logsDir = spawnRoot + "/logs"
let spawnEngine = TaskEngine(store: spawnStore, catalog: spawnCatalog, configuration: spawnConfig, clock: clock)
try spawnEngine.sync()
var latencies: [Double] = []
var base = try Date("2026-03-02T00:00:30Z", strategy: .iso8601)
for _ in 0..<50 {
    guard let next = try spawnEngine.triggers(of: "go").first?.nextFire else { fatalError("no next fire") }
    base = next
    clock.jump(to: next.addingTimeInterval(0.001))
    let start = clock.now()
    let report = try spawnEngine.tick()
    precondition(report.queued.count == 1)
    guard let run = try spawnEngine.claimNext() else { fatalError("nothing to claim") }
    let done = await spawnEngine.execute(run)
    guard let started = done.startedAt else { fatalError("not started: \(done.reason ?? "")") }
    latencies.append(started.timeIntervalSince(start))
}
say("fire to runner spawn (tick, claim, log, spawn; 50 fires): median \(ms(median(latencies))), max \(ms(latencies.max()!))   target <= 50 ms")

// 3. The store after 100,000 runs (finished rows with parameters and log paths), retention off.
let histRoot = root + "/history"
try FileManager.default.createDirectory(atPath: histRoot + "/tasks", withIntermediateDirectories: true)
for i in 0..<10 {
    try "---\ntriggers:\n  - type: api\noverlap: allow\n---\nCheck {{repo}}.\n".write(toFile: "\(histRoot)/tasks/h\(i).md", atomically: false, encoding: .utf8)
}
let histCatalog = BlueprintCatalog.load(userRoot: histRoot, projectDir: project, plugins: [], projectTrusted: true)
let dbPath = histRoot + "/plugins/kernel.sqlite"
let histStore = try KernelStore(path: dbPath)
let histEngine = TaskEngine(store: histStore, catalog: histCatalog, configuration: config, clock: clock)
let runs = Int(env["RUNS"] ?? "") ?? 100_000
// One run per transaction (as triggers enqueue): the rate is bound by the WAL's fsync per commit.
t = Date()
for i in 0..<500 { _ = try histEngine.enqueue("h\(i % 10)", trigger: 0, parameters: .object([("repo", .string("acme/web-\(i % 97)")), ("severity", "high")])) }
let singleRate = 500 / Date().timeIntervalSince(t)
_ = try histEngine.finishAllQueued(logsUnder: histRoot + "/logs")
t = Date()
var filled = 500
while filled < runs {
    // 200 at a time, then finished: a history of finished runs, as retention-free use leaves it.
    let n = min(200, runs - filled)
    try histEngine.enqueueMany("h\(filled / 200 % 10)", trigger: 0, count: n) { i in
        .object([("repo", .string("acme/web-\(i % 97)")), ("severity", "high")])
    }
    _ = try histEngine.finishAllQueued(logsUnder: histRoot + "/logs")
    filled += n
}
let insertTime = Date().timeIntervalSince(t)
_ = try histEngine.finishAllQueued(logsUnder: histRoot + "/logs")
// Checkpoint the WAL into the main file so the size is the database's.
let sizeBefore = (try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? Int) ?? 0
let wal = (try? FileManager.default.attributesOfItem(atPath: dbPath + "-wal")[.size] as? Int) ?? 0
t = Date()
let recent = try histEngine.runs(blueprint: "h3", limit: 50)
let historyRead = Date().timeIntervalSince(t)
precondition(recent.count == 50)
say("store after \(runs) runs: \(sizeBefore / 1024) KiB database + \(wal / 1024) KiB WAL = \((sizeBefore + wal) / runs) bytes per run; "
      + "enqueue \(String(format: "%.0f", singleRate)) runs/s one per transaction, \(String(format: "%.0f", Double(runs - 500) / insertTime)) runs/s batched; history of one blueprint (50 rows) \(ms(historyRead))")
