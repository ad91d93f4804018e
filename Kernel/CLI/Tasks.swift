import ArgumentParser
import Foundation
import KernelCore
import KernelHooks
import KernelHost
import KernelTasks

/// Options of every `tasks` command: the global ones and `--plugin-dir`.
struct TaskOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption, help: "Plugin folders to add for this run only.")
    var pluginDirs: [String] = []

    /// The composed host, the blueprints and the engine over the kernel store.
    func context(hooks: Bool = true, clock: any TaskClock = SystemClock()) throws -> TaskContext {
        let host = try global.host()
        let composition = try global.run { () throws(KernelError) in try host.compose(pluginDirs: pluginDirs) }
        let paths = host.paths
        let plugins = composition.plugins.map {
            TaskPluginRoot(id: $0.id, name: $0.name, root: $0.installPath, enabled: $0.enabled,
                           projectScoped: $0.scope == "project" || $0.scope == "local")
        }
        let catalog = BlueprintCatalog.load(userRoot: paths.home, projectDir: paths.project, plugins: plugins,
                                            projectTrusted: composition.projectTrusted)
        var layers: [(file: String, settings: Node)] = []
        for scope in Scope.allCases.sorted(by: { $0.priority < $1.priority }) {
            if scope != .user && !composition.projectTrusted { continue }
            let node = try global.run { () throws(KernelError) in try host.settings(scope) }
            layers.append((paths.settingsFile(scope), node))
        }
        let settings = TaskSettings(layers: layers)
        var config = TaskEngine.Configuration(
            logsDir: FileSystem.join(paths.pluginsDir, "tasks/logs"), workDir: FileSystem.join(paths.pluginsDir, "tasks/work"),
            projectDir: paths.project)
        config.runner = settings.runner
        config.concurrency = settings.concurrency
        config.retentionRuns = settings.retentionRuns
        config.retentionAge = settings.retentionDays * 86_400
        config.logLimit = settings.logLimit
        config.killGrace = settings.killGrace
        let engine = TaskEngine(store: host.store, catalog: catalog, configuration: config, clock: clock,
                                hooks: hooks ? HookEngine(host: host, composition: composition) : nil)
        for d in settings.diagnostics { Output.err(d.description) }
        return TaskContext(host: host, catalog: catalog, engine: engine, settings: settings)
    }

    /// Runs `body`, reporting a `TaskError` like every other failure (stderr, or one JSON object with `--json`).
    func run<T>(_ body: () throws(TaskError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            let codes: [TaskError.Code: KernelError.Code] = [.notFound: .notFound, .unavailable: .unavailable,
                                                             .parameters: .parameters, .store: .store, .io: .io]
            throw global.fail(KernelError(codes[error.code] ?? .store, error.message, underlying: error))
        }
    }

    /// The entry a name means, or a failure naming what it could have been.
    func entry(_ name: String, in catalog: BlueprintCatalog) throws -> BlueprintEntry {
        if let e = catalog.resolve(name) { return e }
        let ambiguous = catalog.ambiguous(name)
        let message = ambiguous.isEmpty
            ? "no task blueprint named '\(name)'\(didYouMean(name, in: catalog.entries.map(\.name)))"
            : "'\(name)' is ambiguous: \(ambiguous.joined(separator: ", "))"
        throw global.fail(KernelError(ambiguous.isEmpty ? .notFound : .ambiguous, message))
    }
}

struct TaskContext {
    var host: PluginHost
    var catalog: BlueprintCatalog
    var engine: TaskEngine
    var settings: TaskSettings
}

extension KernelCommand {
    /// `kernel tasks …`: blueprints, their schedules and runs.
    struct Tasks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tasks",
            abstract: "Tasks that run on their own: blueprints, triggers, the scheduler and run history.",
            subcommands: [List.self, Show.self, Render.self, Run.self, Pause.self, Resume.self, History.self, Logs.self,
                          Cancel.self, Tick.self, Scheduler.self, Serve.self, Token.self, Exec.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List blueprints: source, state, triggers, next fire and last run.")
            @OptionGroup var options: TaskOptions

            func run() throws {
                let ctx = try options.context(hooks: false)
                _ = try options.run { () throws(TaskError) in try ctx.engine.sync() }
                var rows: [TaskReport.Row] = []
                for e in ctx.catalog.entries { rows.append(try options.run { () throws(TaskError) in try TaskReport.row(e, ctx.engine) }) }
                if options.global.json {
                    Output.out(JSONValue.array(rows.map(\.json)).serialized())
                    return
                }
                if rows.isEmpty { Output.out("No task blueprints (add one to ~/.qoder/tasks/ or .qoder/tasks/)."); return }
                Output.out(Format.table([["NAME", "SOURCE", "STATE", "TRIGGERS", "NEXT FIRE", "LAST RUN"]] + rows.map(\.cells)))
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "One blueprint in full, with its recent runs.")
            @OptionGroup var options: TaskOptions
            @Argument(help: "The blueprint's name (plugin ones: plugin:name, or the bare name when unique).")
            var name: String

            func run() throws {
                let ctx = try options.context(hooks: false)
                _ = try options.run { () throws(TaskError) in try ctx.engine.sync() }
                let e = try options.entry(name, in: ctx.catalog)
                let row = try options.run { () throws(TaskError) in try TaskReport.row(e, ctx.engine) }
                let runs = try options.run { () throws(TaskError) in try ctx.engine.runs(blueprint: e.name, limit: 5) }
                if options.global.json {
                    var json = row.json
                    if case .object(var m) = json { m.append(("recentRuns", .array(runs.map(\.json)))); json = .object(m) }
                    Output.out(json.serialized())
                    return
                }
                Output.out(TaskReport.detail(row, runs))
            }
        }

        struct Render: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "render", abstract: "Print the prompt a run would send, with the given parameters.",
                discussion: "--param issue.title=Crash sets a nested key; --params-json reads a JSON object (a webhook body). Missing keys render empty.")
            @OptionGroup var options: TaskOptions
            @Argument var name: String
            @Option(name: .customLong("param"), help: ArgumentHelp("A parameter, key=value (dotted keys nest).", valueName: "k=v"))
            var params: [String] = []
            @Option(name: .customLong("params-json"), help: ArgumentHelp("A file holding a JSON object of parameters ('-' for stdin).", valueName: "file"))
            var paramsJSON: String?

            func run() throws {
                let ctx = try options.context(hooks: false)
                let e = try options.entry(name, in: ctx.catalog)
                guard let b = e.blueprint else {
                    throw options.global.fail(KernelError(.invalidBundle, "task '\(e.name)' is invalid", diagnostics: e.diagnostics))
                }
                let parameters = try TaskParameters.build(params, file: paramsJSON, options.global)
                let prompt = b.template.render(parameters)
                if options.global.json {
                    Output.out(JSONValue.object([("name", .string(e.name)), ("prompt", .string(prompt)), ("parameters", parameters)]).serialized())
                } else {
                    Output.out(prompt)
                }
            }
        }
    }
}

/// `--param k=v` and `--params-json FILE` into one JSON object.
enum TaskParameters {
    static func build(_ pairs: [String], file: String?, _ global: GlobalOptions) throws -> JSONValue {
        var root: JSONValue = .object([])
        if let file {
            let bytes: [UInt8]
            if file == "-" { bytes = Array(FileHandle.standardInput.readDataToEndOfFile()) } else {
                guard let b = try? FileSystem.read(file) else { throw global.fail(KernelError(.io, "cannot read \(file)")) }
                bytes = b
            }
            do {
                let node = try JSONReader.parse(bytes).root
                guard node.members != nil else { throw global.fail(KernelError(.parameters, "\(file): the parameters must be a JSON object")) }
                root = JSONValue(node: node)
            } catch let e as ExitCode { throw e } catch {
                throw global.fail(KernelError(.parameters, "\(file):\(error)"))
            }
        }
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--param takes key=value, got '\(pair)'")
            }
            let path = pair[..<eq].split(separator: ".").map(String.init)
            root = set(root, path[...], .string(String(pair[pair.index(after: eq)...])))
        }
        return root
    }

    static func set(_ value: JSONValue, _ path: ArraySlice<String>, _ new: JSONValue) -> JSONValue {
        guard let key = path.first else { return new }
        var members: [(String, JSONValue)] = []
        if case .object(let m) = value { members = m }
        if let i = members.firstIndex(where: { $0.0 == key }) {
            members[i].1 = set(members[i].1, path.dropFirst(), new)
        } else {
            members.append((key, set(.object([]), path.dropFirst(), new)))
        }
        return .object(members)
    }
}

/// Rows and JSON of the tasks listings.
enum TaskReport {
    struct Row {
        var entry: BlueprintEntry
        var state: BlueprintState
        var triggers: [TriggerState]
        var lastRun: TaskRun?
        /// active, paused, disabled, shadowed, inactive.
        var stateName: String
        var reason: String?

        var nextFire: Date? { triggers.compactMap(\.nextFire).min() }

        var cells: [String] {
            let kinds = entry.blueprint?.triggers.map(\.kind.rawValue).joined(separator: ",") ?? "-"
            let last = lastRun.map { "\($0.state.rawValue) \(Format.date($0.queuedAt))" } ?? "-"
            var origin = entry.source.rawValue
            if let p = entry.pluginID { origin += " \(p)" }
            return [entry.name, origin, stateName + (reason.map { " (\($0))" } ?? ""), kinds.isEmpty ? "-" : kinds,
                    nextFire.map(Format.date) ?? "-", last]
        }

        var json: JSONValue {
            let b = entry.blueprint
            var triggerRows: [JSONValue] = []
            for (i, t) in (b?.triggers ?? []).enumerated() {
                let s = triggers.first { $0.index == i }
                triggerRows.append(.object([
                    ("index", .int(i + 1)), ("type", .string(t.kind.rawValue)), ("cron", .optional(t.cron?.source)),
                    ("timezone", t.kind == .schedule || t.kind == .at ? .string(t.timezone.identifier) : .null),
                    ("at", t.at.map { .string(Format.date($0)) } ?? .null), ("every", t.every.map { .string(TaskDuration.format($0)) } ?? .null),
                    ("jitter", t.jitter > 0 ? .string(TaskDuration.format(t.jitter)) : .null),
                    ("path", .optional(t.path)), ("source", .optional(t.source)), ("kinds", .strings(t.kinds)),
                    ("labels", .strings(t.labels)), ("repo", .optional(t.repository)),
                    ("enabled", .bool(t.enabled)), ("paused", .bool(s?.paused ?? false)),
                    ("nextFire", s?.nextFire.map { .string(Format.date($0)) } ?? .null),
                    ("nextSlot", s?.nextSlot.map { .string(Format.date($0)) } ?? .null),
                    ("lastSlot", s?.lastSlot.map { .string(Format.date($0)) } ?? .null),
                ]))
            }
            return .object([
                ("name", .string(entry.name)), ("source", .string(entry.source.rawValue)), ("plugin", .optional(entry.pluginID)),
                ("file", .string(entry.file)), ("state", .string(stateName)), ("reason", .optional(reason)),
                ("description", .optional(b?.description)), ("model", .optional(b?.model)), ("agent", .optional(b?.agent)),
                ("workingDirectory", .optional(b?.workingDirectory)), ("repo", .optional(b?.repo)), ("branch", .optional(b?.branch)),
                ("overlap", .optional(b?.overlap.rawValue)), ("missed", .optional(b?.missed.rawValue)),
                ("maxRuns", b?.maxRuns.map { .int($0) } ?? .null), ("expires", b?.expires.map { .string(Format.date($0)) } ?? .null),
                ("timeout", b.map { .string(TaskDuration.format($0.timeout)) } ?? .null),
                ("retries", b.map { .int($0.retries.count) } ?? .null), ("concurrency", b.map { .int($0.concurrency) } ?? .null),
                ("runCount", .int(state.runCount)), ("consecutiveFailures", .int(state.consecutiveFailures)),
                ("nextFire", nextFire.map { .string(Format.date($0)) } ?? .null),
                ("lastRun", lastRun?.json ?? .null), ("triggers", .array(triggerRows)),
                ("parameters", .strings(b?.template.parameterNames ?? [])),
                ("diagnostics", .array(entry.diagnostics.map(ValidationReport.json))),
            ])
        }
    }

    static func row(_ e: BlueprintEntry, _ engine: TaskEngine) throws(TaskError) -> Row {
        let state = try engine.state(of: e.name)
        let triggers = e.state == .active ? try engine.triggers(of: e.name) : []
        let last = try engine.runs(blueprint: e.name, limit: 1).first
        var name = e.state.name
        var reason = e.state.reason
        if e.state == .active {
            if state.paused { name = "paused"; reason = state.pausedReason }
            else if let d = state.disabledReason { name = "disabled"; reason = d }
        }
        return Row(entry: e, state: state, triggers: triggers, lastRun: last, stateName: name, reason: reason)
    }

    static func detail(_ row: Row, _ runs: [TaskRun]) -> String {
        let e = row.entry
        var lines = ["Task \(e.name) (\(e.source.rawValue)\(e.pluginID.map { " \($0)" } ?? ""), \(e.file))",
                     "  state: \(row.stateName)\(row.reason.map { " (\($0))" } ?? "")"]
        if let b = e.blueprint {
            if let d = b.description { lines.append("  description: \(d)") }
            if let m = b.model { lines.append("  model: \(m)") }
            if let a = b.agent { lines.append("  agent: \(a)") }
            if let r = b.repo { lines.append("  repo: \(r)\(b.branch.map { " @ \($0)" } ?? "")") } else {
                lines.append("  workingDirectory: \(b.workingDirectory ?? ".")")
            }
            lines.append("  overlap: \(b.overlap.rawValue), missed: \(b.missed.rawValue), timeout: \(TaskDuration.format(b.timeout)), retries: \(b.retries.count), concurrency: \(b.concurrency)")
            lines.append("  runs: \(row.state.runCount)\(b.maxRuns.map { " of \($0)" } ?? "")\(b.expires.map { ", expires \(Format.date($0))" } ?? "")")
            for (i, t) in b.triggers.enumerated() {
                let s = row.triggers.first { $0.index == i }
                var what = t.kind.rawValue
                switch t.kind {
                case .schedule: what += " \"\(t.cron?.source ?? "")\" \(t.timezone.identifier)"
                case .at: what += " \(t.at.map(Format.date) ?? "")"
                case .every: what += " \(t.every.map(TaskDuration.format) ?? "")"
                case .webhook: what += " \(t.path ?? "")\(t.secret != nil ? " (signed)" : "")"
                case .event: what += " \(t.source ?? "")\(t.kinds.isEmpty ? "" : " " + t.kinds.joined(separator: ","))\(t.labels.isEmpty ? "" : " labels " + t.labels.joined(separator: ","))"
                case .api: break
                }
                if s?.paused == true { what += " [paused]" }
                if let n = s?.nextFire { what += " — next \(Format.date(n))" }
                lines.append("  trigger \(i + 1): \(what)")
            }
            let names = b.template.parameterNames
            if !names.isEmpty { lines.append("  parameters: \(names.joined(separator: ", "))") }
        }
        for d in e.diagnostics { lines.append("  \(d)") }
        if !runs.isEmpty {
            lines.append("  recent runs:")
            for r in runs { lines.append("    " + runLine(r)) }
        }
        return lines.joined(separator: "\n")
    }

    static func runLine(_ r: TaskRun) -> String {
        var s = "\(r.id.prefix(8))  \(r.state.rawValue)  \(r.blueprint)  \(r.triggerKind)\(r.test ? " (test)" : "")  \(Format.date(r.scheduledAt))"
        if let d = r.duration { s += "  \(String(format: "%.1f", d))s" }
        if let c = r.exitCode { s += "  exit \(c)" }
        if let reason = r.reason { s += "  \(reason)" }
        return s
    }
}

extension Format {
    /// `2026-11-23T15:52:55.477Z`.
    static func date(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
