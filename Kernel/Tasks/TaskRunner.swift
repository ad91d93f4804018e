import Foundation
import Glibc
import KernelCore
import KernelHooks
import KernelProcess
internal import GRDB
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

extension TaskEngine {
    /// Claims the oldest startable queued run for this process: its `notBefore` has passed, and neither its
    /// blueprint's `concurrency` nor the overall limit is reached. Nil when nothing can start now.
    public func claimNext() throws(TaskError) -> TaskRun? {
        let now = clock.now()
        return try write { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM task_run WHERE \(Self.active) AND (state = 'running' OR supervisor IS NOT NULL)") ?? 0
            guard total < configuration.concurrency else { return nil }
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, blueprint FROM task_run WHERE state = 'queued' AND supervisor IS NULL AND not_before <= ?
                ORDER BY not_before, queued_at, rowid LIMIT 200
                """, arguments: [now.ms])
            var busy: [String: Int] = [:]
            for row in rows {
                let name: String = row["blueprint"]
                let limit = active[name]?.blueprint?.concurrency ?? 1
                let running: Int
                if let n = busy[name] { running = n } else {
                    running = try Int.fetchOne(db, sql: """
                        SELECT count(*) FROM task_run WHERE blueprint = ? AND \(Self.active) AND (state = 'running' OR supervisor IS NOT NULL)
                        """, arguments: [name]) ?? 0
                    busy[name] = running
                }
                guard running < limit else { continue }
                try db.execute(sql: "UPDATE task_run SET supervisor = ? WHERE id = ? AND state = 'queued' AND supervisor IS NULL",
                               arguments: [identity, row["id"] as String])
                if db.changesCount == 1 { return try Self.run(db, row["id"]) }
            }
            return nil
        }
    }

    /// Starts every run that can start now and waits for them (and for runs that become startable as they
    /// finish, retries whose wait has passed included). Returns the finished runs.
    public func drain() async -> [TaskRun] {
        await withTaskGroup(of: TaskRun?.self, returning: [TaskRun].self) { group in
            var finished: [TaskRun] = []
            var inFlight = 0
            while true {
                while let run = try? claimNext() {
                    inFlight += 1
                    group.addTask { await self.execute(run) }
                }
                guard inFlight > 0, let done = await group.next() else { break }
                inFlight -= 1
                if let done { finished.append(done) }
            }
            return finished
        }
    }

    /// Runs one claimed run: TaskCreated (a deny skips it), the working folder (a fresh clone for a repo
    /// blueprint, then its setup commands), the agent command in its own process group with the blueprint's env,
    /// output to the run's log, the timeout (SIGTERM, grace, SIGKILL to the group), the final state, a retry or
    /// the failure count, then TaskCompleted.
    ///
    /// - Returns: the run as recorded. Never throws: every failure is the run's state and reason.
    public func execute(_ run: TaskRun) async -> TaskRun {
        var run = run
        func finish(_ state: RunState, _ reason: String?, exit: Int32? = nil, signal: Int32? = nil) -> TaskRun {
            let now = clock.now()
            _ = try? write { db in
                try db.execute(sql: """
                    UPDATE task_run SET state = ?, reason = coalesce(?, reason), finished_at = ?, exit_code = ?, signal = ?, log_path = ?, work_dir = ?
                    WHERE id = ?
                    """, arguments: [state.rawValue, reason, now.ms, exit, signal, run.logPath, run.workDir, run.id])
            }
            return (try? self.run(run.id)) ?? run
        }
        // Cancelled (or replaced) between the claim and now: nothing to start.
        if let current = try? self.run(run.id), current.state != .queued { return current }
        guard let entry = active[run.blueprint], let b = entry.blueprint else {
            return finish(.failed, "the blueprint '\(run.blueprint)' is no longer active")
        }
        let params: JSONValue = (try? JSONReader.parse(run.parameters)).map { JSONValue(node: $0.root) } ?? .object([])
        var prompt = b.template.render(params)
        if run.triggerKind == "api" || run.triggerKind == "manual", case .string(let extra)? = TaskTemplate.lookup(["prompt"], in: params),
           !b.template.parameterNames.contains("prompt") {
            prompt += (prompt.isEmpty ? "" : "\n\n") + extra
        }
        let cwd = workingDirectory(b, entry)
        let hookInput = { (event: String, extra: [(String, JSONValue)]) -> JSONValue in
            .object([("session_id", .string("task-\(run.id)")), ("hook_event_name", .string(event)), ("cwd", .string(cwd)),
                     ("task_id", .string(run.id)), ("task_subject", .string(b.name)), ("task_description", .string(prompt)),
                     ("task_name", .string(b.name)), ("trigger", .string(run.triggerKind)), ("test", .bool(run.test)),
                     ("parameters", params)] + extra)
        }
        if let hooks {
            let outcome = await hooks.fire(event: "TaskCreated", input: hookInput("TaskCreated", []), session: "task-\(run.id)")
            if outcome.blocked {
                return finish(.skipped, "denied by a TaskCreated hook: \(outcome.reason ?? "no reason given")")
            }
        }
        // The log.
        let logDir = FileSystem.join(configuration.logsDir, KernelPaths.sanitizedID(b.name))
        try? FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        run.logPath = FileSystem.join(logDir, "\(run.id).log")
        let log = RunLog(path: run.logPath!, limit: configuration.logLimit)
        defer { log.close() }
        // The environment: the blueprint's, with references resolved; a missing one fails the run.
        var env: [String: String] = ["QODER_TASK_NAME": b.name, "QODER_TASK_RUN_ID": run.id, "QODER_TASK_TRIGGER": run.triggerKind,
                                     "QODER_TASK_PARAMS": run.parameters, "QODER_PROJECT_DIR": configuration.projectDir]
        if let root = entry.pluginRoot { env["QODER_PLUGIN_ROOT"] = root; env["CLAUDE_PLUGIN_ROOT"] = root }
        for (k, v) in b.env {
            switch resolveReferences(v) {
            case .success(let value): env[k] = value
            case .failure(let missing):
                log.write("kernel: env \(k): ${\(missing)} is not set in the scheduler's environment\n")
                return await complete(finish(.failed, "env \(k): ${\(missing)} is not set in the scheduler's environment"), b, hookInput)
            }
        }
        // The working folder: a fresh clone for a repo blueprint.
        var dir = cwd
        if let repo = b.repo {
            dir = FileSystem.join(configuration.workDir, run.id)
            run.workDir = dir
            try? FileManager.default.createDirectory(atPath: configuration.workDir, withIntermediateDirectories: true)
            var clone = ["git", "clone", "--quiet", "--depth", "1"]
            if let branch = b.branch { clone += ["--branch", branch] }
            clone += ["--", repo, dir]
            log.write("kernel: \(clone.joined(separator: " "))\n")
            let r = await spawn(clone, env: env, cwd: configuration.workDir, timeout: b.timeout, log: log, onStart: { _ in })
            if r.exit != 0 { return await complete(finish(.failed, "git clone failed: \(r.describe)"), b, hookInput) }
            for command in b.setupCommands {
                log.write("kernel: setup: \(command)\n")
                let s = await spawn(["/bin/bash", "-c", command], env: env, cwd: dir, timeout: b.timeout, log: log, onStart: { _ in })
                if s.exit != 0 { return await complete(finish(.failed, "setup command failed (\(command)): \(s.describe)"), b, hookInput) }
            }
        } else if !FileSystem.isDirectory(dir) {
            return await complete(finish(.failed, "the working directory \(dir) does not exist"), b, hookInput)
        }
        let argv = TaskSettings.command(b.runner ?? configuration.runner, values: [
            "prompt": prompt, "cwd": dir, "model": b.model == "default" ? "" : (b.model ?? ""), "agent": b.agent ?? "",
            "name": b.name, "runId": run.id,
        ])
        let runID = run.id
        let result = await spawn(argv, env: env, cwd: dir, timeout: b.timeout, log: log) { pid in
            let now = self.clock.now()
            let marked = (try? self.write { db in
                try db.execute(sql: "UPDATE task_run SET state = 'running', started_at = ?, pid = ?, log_path = ? WHERE id = ? AND state = 'queued'",
                               arguments: [now.ms, Int(pid), log.path, runID])
                return db.changesCount == 1
            }) ?? false
            // Cancelled while it was being started: stop it at once (recorded as cancelled below).
            if !marked { killpg(pid, SIGKILL) }
        }
        if let error = result.spawnError {
            log.write("kernel: \(error)\n")
            return await complete(finish(.failed, error), b, hookInput)
        }
        let latest = try? self.run(run.id)
        let cancelled = latest.map { $0.cancelRequested || $0.state == .cancelled } ?? false
        let state: RunState
        let reason: String?
        if cancelled { state = .cancelled; reason = nil }
        else if result.timedOut { state = .failed; reason = "timed out after \(TaskDuration.format(b.timeout)); the process group was killed" }
        else if result.exit == 0 { state = .succeeded; reason = nil }
        else { state = .failed; reason = result.describe }
        return await complete(finish(state, reason, exit: result.exit, signal: result.signal), b, hookInput)
    }

    /// After a run ended: retry, failure count and pause, success reset; then TaskCompleted (its decision cannot
    /// change what happened).
    func complete(_ run: TaskRun, _ b: TaskBlueprint, _ hookInput: (String, [(String, JSONValue)]) -> JSONValue) async -> TaskRun {
        let now = clock.now()
        if !run.test {
            _ = try? write { db in
                if run.state == .succeeded {
                    try db.execute(sql: "UPDATE task_state SET consecutive_failures = 0, updated_at = ? WHERE blueprint = ?", arguments: [now.ms, run.blueprint])
                } else if run.state == .failed {
                    if run.attempt <= b.retries.count {
                        let delay = b.retries.delay(after: run.attempt)
                        var r = NewRun(id: UUID().uuidString.lowercased(), blueprint: run.blueprint, triggerIndex: run.triggerIndex,
                                       kind: run.triggerKind, slot: run.slot, scheduledAt: run.scheduledAt, now: now)
                        r.attempt = run.attempt + 1
                        r.retryOf = run.retryOf ?? run.id
                        r.parameters = run.parameters
                        r.notBefore = now.addingTimeInterval(delay)
                        _ = try insert(db, r)
                    } else {
                        try db.execute(sql: """
                            INSERT INTO task_state (blueprint, consecutive_failures, updated_at) VALUES (?, 1, ?)
                            ON CONFLICT (blueprint) DO UPDATE SET consecutive_failures = consecutive_failures + 1, updated_at = excluded.updated_at
                            """, arguments: [run.blueprint, now.ms])
                        let failures = try Self.state(db, run.blueprint).consecutiveFailures
                        if b.pauseAfterFailures > 0, failures >= b.pauseAfterFailures {
                            try db.execute(sql: "UPDATE task_state SET paused = 1, paused_reason = ? WHERE blueprint = ?",
                                           arguments: ["paused after \(failures) consecutive failed runs (last: \(run.id): \(run.reason ?? "failed"))", run.blueprint])
                            try db.execute(sql: "UPDATE task_trigger SET next_slot = NULL, next_fire = NULL WHERE blueprint = ?", arguments: [run.blueprint])
                        }
                    }
                }
            }
        }
        if let hooks {
            let input = hookInput("TaskCompleted", [
                ("state", .string(run.state.rawValue)), ("reason", .optional(run.reason)),
                ("exit_code", run.exitCode.map { .int($0) } ?? .null),
                ("duration_ms", run.duration.map { .int(Int($0 * 1000)) } ?? .null), ("log_path", .optional(run.logPath)),
            ])
            _ = await hooks.fire(event: "TaskCompleted", input: input, session: "task-\(run.id)")
        }
        return run
    }

    func workingDirectory(_ b: TaskBlueprint, _ e: BlueprintEntry) -> String {
        guard let w = b.workingDirectory, !w.isEmpty else { return configuration.projectDir }
        var expanded = w
        if w == "~" || w.hasPrefix("~/") { expanded = (configuration.environment["HOME"] ?? NSHomeDirectory()) + w.dropFirst() }
        return (expanded.hasPrefix("/") ? expanded : FileSystem.join(configuration.projectDir, expanded))
            .replacingOccurrences(of: "/./", with: "/").replacingOccurrences(of: "/.", with: "", options: [.anchored, .backwards])
    }

    /// `${VAR}` (and `${VAR:-default}`) references in `text`, from the configured environment; `.failure(name)`
    /// for the first that is not set.
    func resolveReferences(_ text: String) -> Result<String, RefError> {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { out += rest[start.lowerBound...]; return .success(out) }
            let inner = String(rest[start.upperBound..<close])
            let parts = inner.components(separatedBy: ":-")
            if let v = configuration.environment[parts[0]] { out += v }
            else if parts.count > 1 { out += parts.dropFirst().joined(separator: ":-") }
            else { return .failure(RefError(name: parts[0])) }
            rest = rest[rest.index(after: close)...]
        }
        return .success(out + rest)
    }

    struct RefError: Error, CustomStringConvertible { var name: String; var description: String { name } }

    struct SpawnResult {
        var exit: Int32?
        var signal: Int32?
        var timedOut = false
        var spawnError: String?
        var describe: String {
            if let spawnError { return spawnError }
            if timedOut { return "timed out" }
            if let signal { return "killed by signal \(signal)" }
            return "exit \(exit ?? -1)"
        }
    }

    /// Runs `argv` in a new process group, stdin from /dev/null, stdout and stderr into `log`; on `timeout`
    /// the group gets SIGTERM, then SIGKILL after the grace period. `onStart` gets the pid once it started.
    func spawn(_ argv: [String], env: [String: String], cwd: String, timeout: Double, log: RunLog,
               onStart: @escaping @Sendable (Int32) -> Void) async -> SpawnResult {
        guard let exe = argv.first else { return SpawnResult(spawnError: "the runner command is empty") }
        var options = PlatformOptions()
        options.processGroupID = 0
        let grace = configuration.killGrace
        var base = configuration.environment
        for (k, v) in env { base[k] = v }
        var full: [Environment.Key: String] = [:]
        for (k, v) in base { full[Environment.Key(stringLiteral: k)] = v }
        let executable: Executable = exe.contains("/") ? .path(FilePath(exe)) : .name(exe)
        let config = Subprocess.Configuration(executable: executable, arguments: Arguments(Array(argv.dropFirst())),
                                   environment: Environment.custom(full), workingDirectory: FilePath(cwd), platformOptions: options)
        let timedOut = AtomicFlag()
        do {
            let result = try await Subprocess.run(config, input: .none, output: .sequence, error: .sequence) { execution in
                let pgid = execution.processIdentifier.value
                onStart(pgid)
                let deadline = GroupDeadline(group: pgid, timeout: timeout, grace: grace)
                async let out: Void = Self.pump(execution.standardOutput, log)
                async let err: Void = Self.pump(execution.standardError, log)
                _ = await (out, err)
                if await deadline.finish() { timedOut.set() }
            }
            var r = SpawnResult()
            r.timedOut = timedOut.isSet
            switch result.terminationStatus {
            case .exited(let code): r.exit = Int32(code)
            case .signaled(let sig): r.signal = Int32(sig)
            }
            return r
        } catch {
            return SpawnResult(spawnError: "cannot start \(exe): \(error)")
        }
    }

    static func pump(_ sequence: SubprocessOutputSequence, _ log: RunLog) async {
        do {
            for try await buffer in sequence {
                buffer.withUnsafeBytes { log.write(Array($0)) }
            }
        } catch {}
    }
}

/// A run's log file: bounded, rotated. When it reaches `limit` bytes it is renamed to `<path>.1` (replacing the
/// previous rotation) and a new file is started, so a run keeps at most twice `limit` bytes of its latest output.
final class RunLog: @unchecked Sendable {
    let path: String
    let limit: Int
    private let lock = NSLock()
    private var fd: Int32
    private var size = 0

    init(path: String, limit: Int) {
        self.path = path
        self.limit = limit
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var st = stat()
        if fd >= 0, fstat(fd, &st) == 0 { size = Int(st.st_size) }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        lock.withLock {
            guard fd >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                if size >= limit { rotate() }
                let n = min(bytes.count - offset, max(1, limit - size))
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, n) }
                if written <= 0 { return }
                offset += written
                size += written
            }
        }
    }

    private func rotate() {
        Glibc.close(fd)
        rename(path, path + ".1")
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        size = 0
    }

    func close() {
        lock.withLock {
            if fd >= 0 { Glibc.close(fd); fd = -1 }
        }
    }
}

extension TaskEngine {
    /// Claims one queued run by id for this process (a test run started by hand, or `tasks exec`), whatever
    /// the concurrency limits say. Nil when it is not queued or another process has it.
    public func claim(_ id: String) throws(TaskError) -> TaskRun? {
        try write { db in
            try db.execute(sql: "UPDATE task_run SET supervisor = ? WHERE id = ? AND state = 'queued' AND supervisor IS NULL",
                           arguments: [identity, id])
            return db.changesCount == 1 ? try Self.run(db, id) : nil
        }
    }

    /// When something is next due: the earliest next fire of a trigger or wait of an unclaimed queued run.
    public func nextWake() throws(TaskError) -> Date? {
        try read { db in
            let fire = try Int64.fetchOne(db, sql: "SELECT min(next_fire) FROM task_trigger WHERE next_fire IS NOT NULL")
            let wait = try Int64.fetchOne(db, sql: "SELECT min(not_before) FROM task_run WHERE state = 'queued' AND supervisor IS NULL")
            return [fire, wait].compactMap { $0 }.min().map { Date(ms: $0) }
        }
    }
}

extension TaskEngine {
    /// Records `identity` (`pid:starttime`) as the claimer of a queued run: what a process that claimed it and
    /// then died leaves behind (for tests of ``recover()``).
    package func recordClaim(_ id: String, by identity: String) throws(TaskError) {
        try write { db in
            try db.execute(sql: "UPDATE task_run SET supervisor = ? WHERE id = ? AND state = 'queued'", arguments: [identity, id])
        }
    }
}

extension TaskEngine {
    /// Marks every queued run finished (succeeded, exit 0, a log path), in one transaction: the benchmark's way
    /// to fill the history with finished rows without spawning 100,000 processes.
    package func finishAllQueued(logsUnder dir: String) throws(TaskError) -> Int {
        let now = clock.now().ms
        return try write { db in
            try db.execute(sql: """
                UPDATE task_run SET state = 'succeeded', started_at = ?, finished_at = ? + 4200, exit_code = 0, pid = 12345,
                    log_path = ? || '/' || blueprint || '/' || id || '.log'
                WHERE state = 'queued'
                """, arguments: [now, now, dir])
            return db.changesCount
        }
    }
}

extension TaskEngine {
    /// Queues `count` triggered runs of `name` through the same checks as ``enqueue(_:trigger:parameters:test:)``,
    /// 1,000 to a transaction: the benchmark's way to fill a history without one fsync per run.
    package func enqueueMany(_ name: String, trigger: Int, count: Int, parameters: (Int) -> JSONValue) throws(TaskError) {
        guard let entry = catalog.resolve(name), let b = entry.blueprint else { throw TaskError(.notFound, name) }
        var done = 0
        while done < count {
            let n = min(1000, count - done)
            let now = clock.now()
            try write { db in
                var signals: [Int] = []
                for i in done..<(done + n) {
                    var r = NewRun(id: UUID().uuidString.lowercased(), blueprint: entry.name, triggerIndex: trigger,
                                   kind: b.triggers[trigger].kind.rawValue, slot: nil, scheduledAt: now, now: now)
                    r.parameters = parameters(i).serialized(pretty: false)
                    _ = try queue(db, &r, b, now: now, signals: &signals)
                }
            }
            done += n
        }
    }
}
