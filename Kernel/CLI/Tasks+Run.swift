import ArgumentParser
import Dispatch
import Foundation
import Glibc
import KernelCore
import KernelHost
import KernelTasks

extension KernelCommand.Tasks {
    /// `kernel tasks run <name>`: a one-off test run.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Start a one-off test run (it consumes no schedule slot and no max-runs count).",
            discussion: "Without --wait the run is started by a detached `kernel tasks exec` and its id printed; with --wait it runs here and the exit status is 0 only when it succeeded.")
        @OptionGroup var options: TaskOptions
        @Argument var name: String
        @Option(name: .customLong("param"), help: ArgumentHelp("A parameter, key=value (dotted keys nest).", valueName: "k=v"))
        var params: [String] = []
        @Option(name: .customLong("params-json"), help: ArgumentHelp("A file holding a JSON object of parameters.", valueName: "file"))
        var paramsJSON: String?
        @Flag(help: "Run in the foreground and wait for the result.")
        var wait = false

        func run() async throws {
            let ctx = try options.context(hooks: wait)
            let entry = try options.entry(name, in: ctx.catalog)
            let parameters = try TaskParameters.build(params, file: paramsJSON, options.global)
            let queued = try options.run { () throws(TaskError) in try ctx.engine.enqueue(entry.name, parameters: parameters, test: true) }
            guard wait else {
                try TaskLauncher.detach(["tasks", "exec", queued.id], options.global)
                Output.out(options.global.json ? queued.json.serialized() : "Started run \(queued.id) of \(entry.name) (kernel tasks logs \(queued.id) --follow).")
                return
            }
            guard let claimed = try options.run({ () throws(TaskError) in try ctx.engine.claim(queued.id) }) else {
                throw options.global.fail(KernelError(.unavailable, "run \(queued.id) was taken by another process"))
            }
            let done = await ctx.engine.execute(claimed)
            Output.out(options.global.json ? done.json.serialized() : TaskReport.runLine(done))
            if done.state != .succeeded { throw ExitCode(1) }
        }
    }

    /// `kernel tasks exec <run id>` (internal): runs one queued run in this process.
    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "exec", abstract: "Run one queued run in this process (used by 'tasks run').", shouldDisplay: false)
        @OptionGroup var options: TaskOptions
        @Argument var id: String

        func run() async throws {
            let ctx = try options.context()
            guard let claimed = try options.run({ () throws(TaskError) in try ctx.engine.claim(id) }) else { return }
            let done = await ctx.engine.execute(claimed)
            if options.global.json { Output.out(done.json.serialized()) }
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a blueprint, or one of its triggers.")
        @OptionGroup var options: TaskOptions
        @Argument var name: String
        @Option(help: "Pause only this trigger (1-based, as `tasks show` numbers them).")
        var trigger: Int?

        func run() throws {
            let ctx = try options.context(hooks: false)
            let e = try options.entry(name, in: ctx.catalog)
            try options.run { () throws(TaskError) in
                try ctx.engine.sync()
                try ctx.engine.pause(e.name, trigger: trigger.map { $0 - 1 })
            }
            Output.out(options.global.json ? JSONValue.object([("ok", true), ("name", .string(e.name)), ("trigger", trigger.map { .int($0) } ?? .null), ("paused", true)]).serialized()
                                           : "Paused \(e.name)\(trigger.map { " trigger \($0)" } ?? "").")
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Resume a blueprint or one trigger; the next fire is computed from now (no burst of missed slots).")
        @OptionGroup var options: TaskOptions
        @Argument var name: String
        @Option(help: "Resume only this trigger (1-based).")
        var trigger: Int?

        func run() throws {
            let ctx = try options.context(hooks: false)
            let e = try options.entry(name, in: ctx.catalog)
            let row = try options.run { () throws(TaskError) in
                try ctx.engine.sync()
                try ctx.engine.resume(e.name, trigger: trigger.map { $0 - 1 })
                return try TaskReport.row(e, ctx.engine)
            }
            Output.out(options.global.json ? JSONValue.object([("ok", true), ("name", .string(e.name)), ("trigger", trigger.map { .int($0) } ?? .null),
                                                               ("paused", false), ("nextFire", row.nextFire.map { .string(Format.date($0)) } ?? .null)]).serialized()
                                           : "Resumed \(e.name)\(trigger.map { " trigger \($0)" } ?? "")\(row.nextFire.map { "; next fire \(Format.date($0))" } ?? "").")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Runs, newest first: skipped and missed slots too.")
        @OptionGroup var options: TaskOptions
        @Argument var name: String?
        @Option(help: "At most this many runs.") var limit = 20
        @Option(help: "Only runs in this state (queued, running, succeeded, failed, cancelled, skipped).") var state: [String] = []

        func run() throws {
            let ctx = try options.context(hooks: false)
            var blueprint: String?
            if let name { blueprint = (ctx.catalog.resolve(name)?.name) ?? name }
            var states: [RunState]?
            if !state.isEmpty {
                states = try state.map { s in
                    guard let r = RunState(rawValue: s) else { throw ValidationError("unknown state '\(s)' (one of \(RunState.allCases.map(\.rawValue).joined(separator: ", ")))") }
                    return r
                }
            }
            let runs = try options.run { () throws(TaskError) in try ctx.engine.runs(blueprint: blueprint, states: states, limit: limit) }
            if options.global.json { Output.out(JSONValue.array(runs.map(\.json)).serialized()); return }
            if runs.isEmpty { Output.out("No runs."); return }
            for r in runs { Output.out(TaskReport.runLine(r)) }
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a run's output (stdout and stderr, as one log).")
        @OptionGroup var options: TaskOptions
        @Argument var id: String
        @Flag(help: "Keep printing output until the run ends.") var follow = false

        func run() async throws {
            let ctx = try options.context(hooks: false)
            var run = try options.run { () throws(TaskError) in try ctx.engine.run(id) }
            var offset = 0
            func pump() {
                guard let path = run.logPath, let fh = FileHandle(forReadingAtPath: path) else { return }
                defer { try? fh.close() }
                let size = (try? fh.seekToEnd()) ?? 0
                if size < UInt64(offset) { offset = 0 }  // rotated
                try? fh.seek(toOffset: UInt64(offset))
                let data = fh.readDataToEndOfFile()
                offset += data.count
                FileHandle.standardOutput.write(data)
            }
            if options.global.json, !follow {
                let text = run.logPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
                let rotated = run.logPath.flatMap { try? String(contentsOfFile: $0 + ".1", encoding: .utf8) }
                Output.out(JSONValue.object([("id", .string(run.id)), ("state", .string(run.state.rawValue)), ("logPath", .optional(run.logPath)),
                                             ("rotated", .optional(rotated)), ("log", .string(text))]).serialized())
                return
            }
            pump()
            while follow && !run.state.isFinal {
                try await Task.sleep(nanoseconds: 200_000_000)
                run = try options.run { () throws(TaskError) in try ctx.engine.run(run.id) }
                pump()
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a queued run, or stop a running one (SIGTERM to its process group, SIGKILL after the grace).")
        @OptionGroup var options: TaskOptions
        @Argument var id: String

        func run() throws {
            let ctx = try options.context(hooks: false)
            let r = try options.run { () throws(TaskError) in try ctx.engine.cancel(id) }
            if r.state == .running { usleep(UInt32(min(ctx.engine.configuration.killGrace, 10) * 1_000_000) + 100_000) }
            let after = (try? ctx.engine.run(r.id)) ?? r
            Output.out(options.global.json ? after.json.serialized() : "Run \(after.id): \(after.state == .running ? "stopping (signalled)" : after.state.rawValue).")
        }
    }

    /// `kernel tasks tick`: what a cron line or a systemd timer runs.
    struct Tick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tick", abstract: "Process every slot due now, run what was queued, and exit.",
            discussion: "For system cron or a systemd timer: `* * * * * kernel tasks tick`. Runs it starts are supervised by it: it exits when they end.")
        @OptionGroup var options: TaskOptions

        func run() async throws {
            let ctx = try options.context()
            let report = try options.run { () throws(TaskError) in
                try ctx.engine.recover()
                try ctx.engine.sync()
                return try ctx.engine.tick()
            }
            let finished = await ctx.engine.drain()
            let pruned = (try? ctx.engine.prune()) ?? 0
            if options.global.json {
                Output.out(JSONValue.object([("queued", .array(report.queued.map(\.json))), ("skipped", .array(report.skipped.map(\.json))),
                                             ("finished", .array(finished.map(\.json))), ("pruned", .int(pruned))]).serialized())
                return
            }
            Output.out("Queued \(report.queued.count), skipped \(report.skipped.count), finished \(finished.count).")
            for r in finished + report.skipped { Output.out("  " + TaskReport.runLine(r)) }
        }
    }

    /// `kernel tasks scheduler`: the loop in the foreground.
    struct Scheduler: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scheduler", abstract: "Run the scheduler in the foreground until SIGTERM or SIGINT (then it drains: no new runs, running ones finish).",
            discussion: "A second signal cancels the running runs. --print-systemd-unit prints a user unit that runs it.")
        @OptionGroup var options: TaskOptions
        @Flag(name: .customLong("print-systemd-unit"), help: "Print a systemd unit running this scheduler and exit.")
        var printUnit = false
        @Option(help: "Longest sleep between checks, in seconds (blueprint files are re-read then).")
        var poll: Double = 30

        func run() async throws {
            if printUnit { Output.out(TaskLauncher.systemdUnit(options.global)); return }
            let first = try options.context()
            Output.err("kernel tasks scheduler: \(first.catalog.active.count) active blueprint(s); store \(first.host.paths.databaseFile)")
            nonisolated(unsafe) let options = self.options  // read-only values parsed from the command line
            let scheduler = TaskScheduler(poll: poll) { try options.context().engine }
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                s.setEventHandler {
                    Output.err("kernel tasks scheduler: stopping; waiting for \(scheduler.running) run(s) (signal again to cancel them)")
                    scheduler.stop()
                }
                s.resume()
                sources.append(s)
            }
            await scheduler.run()
            sources.forEach { $0.cancel() }
        }
    }
}

enum TaskLauncher {
    static var executable: String { DetachedProcess.currentExecutable }

    /// The global options as arguments, so a child sees the same home and project.
    static func globalArguments(_ g: GlobalOptions) -> [String] {
        let paths = g.paths
        return ["--home", paths.home, "--project", paths.project]
    }

    /// Starts `kernel <arguments>` detached: it outlives this command.
    static func detach(_ arguments: [String], _ g: GlobalOptions) throws {
        do { try DetachedProcess.start([executable] + arguments + globalArguments(g)) } catch {
            throw g.fail(KernelError(.io, error.message))
        }
    }

    static func systemdUnit(_ g: GlobalOptions) -> String {
        let paths = g.paths
        return """
            # ~/.config/systemd/user/kernel-tasks.service — then: systemctl --user daemon-reload && systemctl --user enable --now kernel-tasks
            [Unit]
            Description=Kernel task scheduler (\(paths.project))
            After=network-online.target

            [Service]
            Type=simple
            ExecStart=\(executable) tasks scheduler --home \(paths.home) --project \(paths.project)
            WorkingDirectory=\(paths.project)
            Environment=QODER_HOME=\(paths.home)
            # SIGTERM drains: no new runs start, running ones finish (each within its timeout).
            KillSignal=SIGTERM
            KillMode=mixed
            TimeoutStopSec=3600
            Restart=on-failure
            RestartSec=5

            [Install]
            WantedBy=default.target
            """
    }
}
