import Foundation
import Glibc
import KernelCore
import KernelStore
import KernelProcess

/// Background (`async`) command handlers: started and not awaited; when one finishes, its record (and the
/// context or message it produced) is stored for the session's next fire.
struct AsyncSpec: Sendable {
    var event: String
    var session: String
    var key: String
    var database: String?
    var program: String
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String?
    var input: [UInt8]
    var timeout: Double
    var grace: Double
    var limit: Int
    var excerptLimit: Int
    var record: HandlerRecord
    var rewake: Bool
    var rewakeMessage: String?

    var json: JSONValue {
        .object([
            ("event", .string(event)), ("session", .string(session)), ("key", .string(key)),
            ("database", .optional(database)), ("program", .string(program)), ("arguments", .strings(arguments)),
            ("environment", .object(environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("workingDirectory", .optional(workingDirectory)), ("input", .string(String(decoding: input, as: UTF8.self))),
            ("timeout", .double(timeout)), ("grace", .double(grace)), ("limit", .int(limit)), ("excerptLimit", .int(excerptLimit)),
            ("record", record.json), ("rewake", .bool(rewake)), ("rewakeMessage", .optional(rewakeMessage)),
        ])
    }

    init(event: String, session: String, key: String, database: String?, program: String, arguments: [String],
         environment: [String: String], workingDirectory: String?, input: [UInt8], timeout: Double, grace: Double,
         limit: Int, excerptLimit: Int, record: HandlerRecord, rewake: Bool, rewakeMessage: String?) {
        self.event = event; self.session = session; self.key = key; self.database = database
        self.program = program; self.arguments = arguments; self.environment = environment
        self.workingDirectory = workingDirectory; self.input = input; self.timeout = timeout; self.grace = grace
        self.limit = limit; self.excerptLimit = excerptLimit; self.record = record; self.rewake = rewake
        self.rewakeMessage = rewakeMessage
    }

    init?(node n: Node) {
        guard let event = n["event"]?.string, let session = n["session"]?.string, let key = n["key"]?.string,
              let program = n["program"]?.string, let input = n["input"]?.string, let rec = n["record"] else { return nil }
        var record = HandlerRecord(index: rec["index"]?.int ?? 0, source: rec["source"]?.string ?? "?", type: rec["type"]?.string ?? "command")
        record.scope = rec["scope"]?.string
        record.plugin = rec["plugin"]?.string
        record.file = rec["file"]?.string
        record.line = rec["line"]?.int
        record.matcher = rec["matcher"]?.string
        record.command = rec["command"]?.string
        record.args = rec["args"]?.array?.compactMap(\.string)
        record.async = true
        record.key = key
        var env: [String: String] = [:]
        for m in n["environment"]?.members ?? [] { if let v = m.value.string { env[m.key] = v } }
        func num(_ k: String, _ d: Double) -> Double { n[k]?.scalarText.flatMap(Double.init) ?? d }
        self.init(event: event, session: session, key: key, database: n["database"]?.string, program: program,
                  arguments: n["arguments"]?.array?.compactMap(\.string) ?? [], environment: env,
                  workingDirectory: n["workingDirectory"]?.string, input: Array(input.utf8), timeout: num("timeout", 600),
                  grace: num("grace", 1), limit: n["limit"]?.int ?? (1 << 20), excerptLimit: n["excerptLimit"]?.int ?? 4096,
                  record: record, rewake: n["rewake"]?.bool ?? false, rewakeMessage: n["rewakeMessage"]?.string)
    }

    /// Runs the handler and stores its result.
    func run(store: KernelStore?) async {
        let start = ContinuousClock.now
        let p = await CommandRunner.run(executable: program, arguments: arguments, environment: environment,
                                        workingDirectory: workingDirectory, input: input, timeout: timeout, grace: grace, limit: limit)
        var options = HookEngine.Options()
        options.outputLimit = limit
        options.excerptLimit = excerptLimit
        var r = record
        r.durationMs = HookEngine.milliseconds(ContinuousClock.now - start)
        HookEngine.apply(p, to: &r, timeout: timeout, options: options)
        r.async = false
        let spec = HookEventSpec.spec(HookEvent(rawValue: event) ?? .notification)
        let one = Aggregator.aggregate(event: event, spec: spec, scan: JSONScan(bytes: input), records: [r], options: options)
        var message = one.systemMessages.joined(separator: "\n")
        if rewake, r.exitCode == 2 {
            let text = [r.stderr, r.stdout, r.error ?? ""].first { !$0.isEmpty } ?? ""
            message = (rewakeMessage ?? "Background hook reported:") + " " + text
        }
        let payload = JSONValue.object([
            ("event", .string(event)), ("record", one.handlers.first?.json ?? r.json),
            ("decision", .string(one.decision.rawValue)), ("reason", .optional(one.reason)),
            ("additionalContext", .optional(one.additionalContext)),
            ("systemMessage", message.isEmpty ? .null : .string(message)),
            ("errors", .strings(one.errors)),
        ]).serialized(pretty: false)
        let target: KernelStore? = store ?? database.flatMap { try? KernelStore(path: $0) }
        try? target?.recordAsyncHookResult(session: session, event: event, key: key, payload: payload)
    }
}

extension HookEngine {
    /// Starts a background handler. Returns a problem when it could not be started.
    func startAsync(_ h: Prepared, handler: HookHandler, event: String, input: [UInt8], session: String?) -> String? {
        let env = environment(h, handler: handler)
        if let data = h.origin.pluginData { try? FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true) }
        let (program, arguments) = Self.invocation(handler, env: env)
        let spec = AsyncSpec(
            event: event, session: session ?? "", key: h.key, database: store?.path, program: program, arguments: arguments,
            environment: env, workingDirectory: workingDirectory(), input: input, timeout: handler.timeout ?? options.defaultTimeout,
            grace: options.killGrace, limit: options.outputLimit, excerptLimit: options.excerptLimit,
            record: baseRecord(h, index: 0), rewake: handler.asyncRewake ?? false,
            rewakeMessage: handler.rewakeMessage)
        switch options.asyncMode {
        case .inProcess:
            let store = self.store
            Task.detached { await spec.run(store: store) }
            return nil
        case .detached(let executable, let args):
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-async-\(UUID().uuidString).json").path
            do {
                try Data(spec.json.serialized(pretty: false).utf8).write(to: URL(fileURLWithPath: file))
            } catch {
                return "cannot write the background handler's spec: \(error)"
            }
            return Self.spawnDetached(executable, args + [file])
        }
    }

    /// Starts the background runner in a new session with stdio on /dev/null; a thread reaps it when it ends.
    static func spawnDetached(_ executable: String, _ arguments: [String]) -> String? {
        do {
            ChildProcess.reapInBackground(try ChildProcess.spawn(executable, arguments, newSession: true))
            return nil
        } catch {
            return "cannot start the background runner \(executable): \(String(cString: strerror(error.errno)))"
        }
    }

    /// The body of `kernel hooks run-async SPEC`: runs one background handler described by the spec file (written
    /// by a fire in `.detached` mode), stores its result, removes the file.
    package static func runDetachedAsync(specFile: String) async -> Bool {
        defer { try? FileManager.default.removeItem(atPath: specFile) }
        guard let data = FileManager.default.contents(atPath: specFile),
              let (node, _) = try? JSONReader.parse([UInt8](data)), let spec = AsyncSpec(node: node) else { return false }
        await spec.run(store: nil)
        return true
    }
}
