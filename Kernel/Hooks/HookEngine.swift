import Foundation
import Glibc
public import KernelCore
public import KernelStore
import KernelProcess

/// The hook engine: an agent CLI hands it an event and its input JSON and gets back one decision.
///
/// Construction does the work that does not depend on the input: per event, the handlers of every active
/// source in configuration order (settings user → project → local, then plugins, then subagent-scoped hooks,
/// then native handlers), their matchers and `if` conditions compiled once. `fire` then only scans the input
/// for the fields matching needs, runs what matches (processes concurrently, native handlers inline) and
/// aggregates in configuration order.
public final class HookEngine: Sendable {
    public struct Options: Sendable {
        /// Seconds a command or http handler may run when it sets no `timeout` (the seed's 600).
        public var defaultTimeout: Double = 600
        /// Seconds between SIGTERM and SIGKILL to a timed-out handler's process group.
        public var killGrace: Double = 1
        /// Bytes kept per output stream; more is an error recorded on the handler (the output is not used).
        public var outputLimit: Int = 1 << 20
        /// Bytes of stdout/stderr quoted in each handler record.
        public var excerptLimit: Int = 4096
        /// How `async` handlers are started. `.inProcess` suits a long-lived embedding host; the CLI, which
        /// exits after printing, starts a detached `kernel hooks run-async` per handler.
        public var asyncMode: AsyncMode = .inProcess
        /// The settings keys of hooks: with `disabledReason` set (`disableAllHooks`, `hooksConfig.enabled`) no
        /// subagent frontmatter hook runs either (the registry's hooks are already inactive); an http handler
        /// whose URL `allowedHttpHookUrls` does not allow is refused.
        public var settings = HookSettings()

        public init() {}
    }

    public enum AsyncMode: Sendable {
        case inProcess
        /// Runs `executable arguments… <spec file>` detached (new session, no stdio; reaped when it ends).
        case detached(executable: String, arguments: [String])

        /// `.detached` with this process's own executable (`/proc/self/exe`).
        public static func detachedSelf(arguments: [String]) -> AsyncMode {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            return .detached(executable: exe, arguments: arguments)
        }
    }

    /// Where a group of handlers came from.
    struct Origin: Sendable {
        var source: String
        var scope: String?
        var plugin: String?
        var file: String?
        var line: Int?
        var pluginRoot: String?
        var pluginData: String?
        /// Only for inputs whose `agent_type` is this agent (subagent-scoped hooks).
        var agent: String?
    }

    struct Prepared: Sendable {
        enum Body: Sendable {
            case configured(HookHandler)
            case native(any NativeHookHandler)
        }

        var body: Body
        var matcher: HookMatcher
        var ifCondition: HookIfCondition?
        var origin: Origin
        var async: Bool
        var once: Bool
        /// Identical handlers from the settings files run once: type + command/args/shell or url.
        var dedupKey: String?
        var key: String
        /// Never runs: reported as skipped with this reason when it matches (a plugin's hook that needs
        /// configuration).
        var skip: String? = nil
    }

    struct EventTable: Sendable {
        var spec: HookEventSpec
        var handlers: [Prepared]
        /// Every handler is native, synchronous, not `once`: the inline path.
        var nativeOnly: Bool
        var needsMatchValue: Bool
        var needsTool: Bool
    }

    let tables: [String: EventTable]
    let projectDir: String
    let store: KernelStore?
    let evaluator: (any HookEvaluator)?
    let options: Options
    /// Some configured handler is `async`: fires look for stored background results.
    let hasAsync: Bool

    /// - Parameters:
    ///   - registry: the composed registry; inactive entries (disabled plugin, untrusted project) never run.
    ///   - projectDir: `QODER_PROJECT_DIR` and the working directory of handlers when the input has no `cwd`.
    ///   - pluginRoots: plugin id → install folder (`QODER_PLUGIN_ROOT`), for entries whose provenance has no
    ///     `pluginRoot` (a registry composed by the host has them).
    ///   - pluginData: plugin id → data folder (`QODER_PLUGIN_DATA`), likewise; created before a handler of the
    ///     plugin runs.
    ///   - projectTrusted: whether project-scoped subagent hooks may run.
    ///   - store: for `once` handlers and background results; nil disables both (`once` handlers then run every time).
    ///   - evaluator: runs `prompt` and `agent` handlers; nil uses the registry's first active module evaluator
    ///     (ABI 1.1 `register_evaluator`), and with none reports them as skipped.
    public init(registry: Registry, projectDir: String, pluginRoots: [String: String] = [:],
                pluginData: [String: String] = [:], projectTrusted: Bool = true, store: KernelStore? = nil,
                evaluator: (any HookEvaluator)? = nil, options: Options = Options()) {
        self.projectDir = projectDir
        self.store = store
        // An explicit evaluator, else the first active module evaluator (a disabled plugin's or an untrusted
        // project plugin's module never runs), else none: prompt/agent handlers are then skipped with a reason.
        self.evaluator = evaluator ?? registry.evaluators.first { $0.state.isActive }.map { ModuleHookEvaluator($0.item) }
        self.options = options
        var lists: [String: [Prepared]] = [:]

        func add(_ group: HookMatcherGroup, origin: Origin, event: String) {
            for (i, h) in group.handlers.enumerated() {
                let settings = origin.plugin == nil && ["user", "project", "local"].contains(origin.source)
                var dedup: String?
                if settings {
                    switch h.type {
                    case .command: dedup = "command\u{0}\(h.command ?? "")\u{0}\((h.args ?? []).joined(separator: "\u{0}"))\u{0}\(h.shell ?? "")"
                    case .http: dedup = "http\u{0}\(h.url ?? "")"
                    case .prompt, .agent: dedup = nil
                    }
                }
                let key = "\(origin.plugin ?? origin.source):\(group.file):\(h.line):\(h.column):\(i)"
                lists[event, default: []].append(Prepared(
                    body: .configured(h), matcher: HookMatcher(group.matcher),
                    ifCondition: h.ifCondition.map(HookIfCondition.init), origin: origin,
                    async: (h.async ?? group.async ?? false) || (h.asyncRewake ?? false), once: h.once ?? false,
                    dedupKey: dedup, key: key))
            }
        }

        for entry in registry.hooks {
            // A plugin missing required configuration: its hooks are listed when they match, as skipped.
            var skip: String?
            if case .inactive(let reason) = entry.state, reason.hasPrefix(UserConfigResolution.reasonPrefix) { skip = reason }
            guard entry.state.isActive || skip != nil else { continue }
            let p = entry.provenance
            let origin = Origin(source: p.source.rawValue, scope: p.scope?.rawValue, plugin: p.pluginID,
                                file: p.file, line: p.line,
                                pluginRoot: p.pluginRoot ?? p.pluginID.flatMap { pluginRoots[$0] },
                                pluginData: p.pluginData ?? p.pluginID.flatMap { pluginData[$0] }, agent: nil)
            let before = lists[entry.item.event]?.count ?? 0
            add(entry.item, origin: origin, event: entry.item.event)
            if let skip, let list = lists[entry.item.event] {
                for i in before..<list.count { lists[entry.item.event]![i].skip = skip }
            }
        }
        // Subagent-scoped hooks: an agent's frontmatter `hooks`, for inputs naming that agent. Its `Stop`
        // hooks fire on SubagentStop (as Claude Code).
        for entry in registry.agents where entry.state.isActive && !entry.item.hookGroups.isEmpty && options.settings.disabledReason == nil {
            if entry.provenance.scope != nil && entry.provenance.scope != .user && !projectTrusted { continue }
            let origin = Origin(source: "agent", scope: entry.provenance.scope?.rawValue, plugin: entry.provenance.pluginID,
                                file: entry.item.file, line: entry.item.hooks?.line, agent: entry.name)
            for group in entry.item.hookGroups {
                add(group, origin: origin, event: group.event == "Stop" ? "SubagentStop" : group.event)
            }
        }
        for entry in registry.nativeHooks where entry.state.isActive {
            let h = entry.item
            let origin = Origin(source: "native", scope: entry.provenance.scope?.rawValue, plugin: entry.provenance.pluginID,
                                file: entry.provenance.file, line: entry.provenance.line)
            lists[h.event, default: []].append(Prepared(
                body: .native(h), matcher: HookMatcher(h.matcher), ifCondition: nil, origin: origin,
                async: false, once: false, dedupKey: nil, key: "native:\(h.name)"))
        }

        var tables: [String: EventTable] = [:]
        var hasAsync = false
        for event in HookEvent.allCases {
            let handlers = lists[event.rawValue] ?? []
            let spec = HookEventSpec.spec(event)
            let nativeOnly = handlers.allSatisfy { if case .native = $0.body { true } else { false } }
            var needsMatchValue = false
            if spec.matcherField != .none { needsMatchValue = handlers.contains { !$0.matcher.matchesEverything } }
            let needsTool = spec.isToolEvent && handlers.contains { $0.ifCondition != nil }
            hasAsync = hasAsync || handlers.contains { $0.async }
            tables[event.rawValue] = EventTable(spec: spec, handlers: handlers, nativeOnly: nativeOnly,
                                                needsMatchValue: needsMatchValue, needsTool: needsTool)
        }
        self.tables = tables
        self.hasAsync = hasAsync
    }

    /// Whether the kernel fires `event` (one of the seed's events).
    public static func isKnownEvent(_ event: String) -> Bool { HookEvent(rawValue: event) != nil }

    /// Fires `event` with `input` (a JSON value: serialized once).
    nonisolated(nonsending) public func fire(event: String, input: JSONValue, session: String? = nil) async -> HookOutcome {
        await fire(event: event, input: Array(input.serialized(pretty: false).utf8), session: session)
    }

    /// Fires `event` with `input` (the event input JSON: the common fields and the event's own) and returns
    /// the aggregated outcome. `session` (else the input's `session_id`) scopes `once` handlers and
    /// background results.
    ///
    /// `nonisolated(nonsending)`: it runs on the caller's executor (no hop off the main actor for a fire that
    /// only runs native handlers); process and http handlers run in child tasks.
    nonisolated(nonsending) public func fire(event: String, input: [UInt8], session: String? = nil) async -> HookOutcome {
        guard let table = tables[event] else {
            var outcome = HookOutcome(event: event)
            outcome.errors.append("unknown hook event '\(event)'")
            return outcome
        }
        let scan = JSONScan(bytes: input)
        if !scan.isObject {
            var outcome = HookOutcome(event: event)
            outcome.errors.append("the event input must be a JSON object")
            return outcome
        }
        if table.handlers.isEmpty && !hasAsync { return HookOutcome(event: event) }

        // The fields matching needs.
        let matchValue: String? = table.needsMatchValue ? Self.matchValue(table.spec, scan) : nil
        var toolName: String?
        var toolArgument: String?
        if table.needsTool {
            toolName = scan.string("tool_name")
            if let toolName, let inputRange = scan.value("tool_input") {
                for key in HookEventSpec.primaryArgument(tool: toolName) {
                    if let v = scan.string(key, in: inputRange) { toolArgument = v; break }
                }
            }
        }
        let agentType: String? = table.handlers.contains { $0.origin.agent != nil } ? scan.string("agent_type") : nil

        var matched: [Int] = []
        matched.reserveCapacity(table.handlers.count)
        for (i, h) in table.handlers.enumerated() {
            if let agent = h.origin.agent, agent != agentType { continue }
            if table.spec.matcherField != .none && !h.matcher.matches(matchValue) { continue }
            if let cond = h.ifCondition {
                guard table.spec.isToolEvent, cond.matches(toolName: toolName, argument: toolArgument) else { continue }
            }
            matched.append(i)
        }

        // Inline path: native handlers only.
        if table.nativeOnly && !hasAsync {
            var records: [HandlerRecord] = []
            records.reserveCapacity(matched.count)
            for (n, i) in matched.enumerated() {
                records.append(runNative(table.handlers[i], index: n, input: input))
            }
            return Aggregator.aggregate(event: event, spec: table.spec, scan: scan, records: records, options: options)
        }

        let sessionID = session ?? scan.string("session_id")
        let input = Self.withEventName(input, scan: scan, event: event)
        var records = [HandlerRecord?](repeating: nil, count: matched.count)
        var toRun: [(Int, Prepared)] = []
        var seen = Set<String>()
        for (n, i) in matched.enumerated() {
            let h = table.handlers[i]
            if let skip = h.skip {
                var r = baseRecord(h, index: n)
                r.skipped = skip
                records[n] = r
                continue
            }
            if let d = h.dedupKey, !seen.insert(d).inserted {
                var r = baseRecord(h, index: n)
                r.skipped = "identical to an earlier handler from the settings files (runs once)"
                records[n] = r
                continue
            }
            if h.once, let sessionID, let store, (try? store.hookOnceRan(session: sessionID, key: h.key)) == true {
                var r = baseRecord(h, index: n)
                r.skipped = "once: already ran successfully in session \(sessionID)"
                records[n] = r
                continue
            }
            if h.async, case .configured(let handler) = h.body, handler.type == .command {
                var r = baseRecord(h, index: n)
                r.async = true
                if let problem = startAsync(h, handler: handler, event: event, input: input, session: sessionID) {
                    r.failure = .background(problem)
                }
                records[n] = r
                continue
            }
            toRun.append((n, h))
        }

        let finished = await withTaskGroup(of: HandlerRecord.self, returning: [HandlerRecord].self) { group in
            for (n, h) in toRun {
                group.addTask { await self.run(h, index: n, event: event, input: input) }
            }
            var out: [HandlerRecord] = []
            for await r in group { out.append(r) }
            return out
        }
        for r in finished { records[r.index] = r }
        let all = records.map { $0! }

        // `once` handlers that succeeded do not run again in this session.
        if let sessionID, let store {
            for (n, i) in matched.enumerated() where table.handlers[i].once {
                let r = all[n]
                if r.skipped == nil && r.error == nil && (r.exitCode == 0 || r.type != "command") {
                    try? store.recordHookOnce(session: sessionID, key: table.handlers[i].key)
                }
            }
        }

        var outcome = Aggregator.aggregate(event: event, spec: table.spec, scan: scan, records: all, options: options)
        if hasAsync, let store {
            let stored = (try? store.takeAsyncHookResults(session: sessionID ?? "")) ?? []
            Aggregator.addAsyncResults(stored, to: &outcome)
        }
        return outcome
    }

    // MARK: - Matching

    static func matchValue(_ spec: HookEventSpec, _ scan: JSONScan) -> String? {
        switch spec.matcherField {
        case .none: return nil
        case .field(let key): return scan.string(key)
        case .basename(let key):
            guard let path = scan.string(key) else { return nil }
            return path.split(separator: "/").last.map(String.init) ?? path
        }
    }

    /// The input with `hook_event_name` added when the caller left it out (handlers rely on it).
    static func withEventName(_ input: [UInt8], scan: JSONScan, event: String) -> [UInt8] {
        if scan.value("hook_event_name") != nil { return input }
        guard let brace = input.firstIndex(of: UInt8(ascii: "{")) else { return input }
        var out = Array(input[...brace])
        out += Array("\"hook_event_name\":\(JSONValue.string(event).serialized(pretty: false))".utf8)
        let rest = input[(brace + 1)...]
        let isEmpty = rest.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == UInt8(ascii: "}") }
        if !isEmpty { out.append(UInt8(ascii: ",")) }
        out += rest
        return out
    }

    // MARK: - Running

    func baseRecord(_ h: Prepared, index: Int) -> HandlerRecord {
        var r = HandlerRecord(index: index, source: h.origin.source, type: "native")
        r.scope = h.origin.scope
        r.plugin = h.origin.plugin
        r.file = h.origin.file
        r.line = h.origin.line
        r.matcher = h.matcher.text
        r.key = h.key
        switch h.body {
        case .native(let n):
            r.name = n.name
        case .configured(let c):
            r.type = c.type.rawValue
            r.line = c.line
            switch c.type {
            case .command:
                r.command = c.command
                r.args = c.args
            case .http:
                r.url = c.url
            case .prompt, .agent:
                r.command = c.prompt
            }
        }
        return r
    }

    func runNative(_ h: Prepared, index: Int, input: [UInt8]) -> HandlerRecord {
        guard case .native(let n) = h.body else { return baseRecord(h, index: index) }
        let start = ContinuousClock.now
        let result = n.invoke(input: input)
        var r = baseRecord(h, index: index)
        r.durationMs = Self.milliseconds(ContinuousClock.now - start)
        r.exitCode = result.exitCode
        r.output = result.stdout
        r.errorOutput = result.stderr
        if !result.stdout.isEmpty { r.stdout = excerpt(result.stdout) }
        if !result.stderr.isEmpty { r.stderr = excerpt(result.stderr) }
        return r
    }

    func run(_ h: Prepared, index: Int, event: String, input: [UInt8]) async -> HandlerRecord {
        switch h.body {
        case .native:
            return runNative(h, index: index, input: input)
        case .configured(let c):
            switch c.type {
            case .command: return await runCommand(h, handler: c, index: index, input: input)
            case .http: return await runHTTP(h, handler: c, index: index, input: input)
            case .prompt, .agent: return await runEvaluator(h, handler: c, index: index, event: event, input: input)
            }
        }
    }

    /// The environment of a command handler beyond the kernel's own: project and plugin folders (both
    /// spellings), then the hook's `env`.
    func environment(_ h: Prepared, handler: HookHandler) -> [String: String] {
        var env = RenderContext(pluginRoot: h.origin.pluginRoot, pluginData: h.origin.pluginData, projectDir: projectDir)
            .environment()
        for (k, v) in handler.env { env[k] = v }
        return env
    }

    /// The kernel's variables (`${QODER_PROJECT_DIR}`, `${QODER_PLUGIN_ROOT}`…, `VariableExpander` policy
    /// `.kernel`) put in literally: for exec form and PowerShell, where no POSIX shell expands them.
    static func substitute(_ s: String, _ env: [String: String]) -> String {
        VariableExpander.expand(s, policy: .kernel) { env[$0] }.result
    }

    /// The program and arguments of a command handler: exec form (`args`), bash, or PowerShell.
    static func invocation(_ handler: HookHandler, env: [String: String]) -> (String, [String]) {
        let command = handler.command ?? ""
        if let args = handler.args {
            var program = substitute(command, env)
            if program.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
                program = home + program.dropFirst(1)
            }
            return (program, args.map { substitute($0, env) })
        }
        if handler.shell == "powershell" {
            return ("pwsh", ["-NoProfile", "-NonInteractive", "-Command", substitute(command, env)])
        }
        return ("/bin/bash", ["-c", command])
    }

    func workingDirectory() -> String? {
        FileManager.default.fileExists(atPath: projectDir) ? projectDir : nil
    }

    func runCommand(_ h: Prepared, handler: HookHandler, index: Int, input: [UInt8]) async -> HandlerRecord {
        var r = baseRecord(h, index: index)
        let env = environment(h, handler: handler)
        if let data = h.origin.pluginData { try? FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true) }
        let (program, arguments) = Self.invocation(handler, env: env)
        let timeout = handler.timeout ?? options.defaultTimeout
        let start = ContinuousClock.now
        let p = await CommandRunner.run(executable: program, arguments: arguments, environment: env,
                                        workingDirectory: workingDirectory(), input: input, timeout: timeout,
                                        grace: options.killGrace, limit: options.outputLimit)
        r.durationMs = Self.milliseconds(ContinuousClock.now - start)
        Self.apply(p, to: &r, timeout: timeout, options: options)
        return r
    }

    static func apply(_ p: ProcessResult, to r: inout HandlerRecord, timeout: Double, options: Options) {
        func excerpt(_ b: [UInt8]) -> String { Self.excerpt(b, limit: options.excerptLimit) }
        r.exitCode = p.exitCode
        r.signal = p.signal
        r.timedOut = p.timedOut
        r.output = p.stdout
        r.errorOutput = p.stderr
        r.stdout = excerpt(p.stdout)
        r.stderr = excerpt(p.stderr)
        if let e = p.spawnError {
            r.failure = .spawn(e)
        } else if p.timedOut {
            r.failure = .timeout(seconds: timeout)
        } else if p.stdoutOverflow || p.stderrOverflow {
            r.failure = .outputLimit(stream: p.stdoutOverflow ? "stdout" : "stderr", limit: options.outputLimit)
        } else if let s = p.signal {
            r.failure = .signal(s)
        }
    }

    func runEvaluator(_ h: Prepared, handler: HookHandler, index: Int, event: String, input: [UInt8]) async -> HandlerRecord {
        var r = baseRecord(h, index: index)
        guard let evaluator else {
            r.skipped = "no evaluator registered for \(handler.type.rawValue) hooks (they need a model; embedders pass a HookEvaluator, native modules register one with register_evaluator)"
            return r
        }
        let kind: HookEvaluationRequest.Kind = handler.type == .agent ? .agent : .prompt
        let template = handler.prompt ?? ""
        let json = String(decoding: input, as: UTF8.self)
        let prompt: String
        if kind == .agent && template.contains("$ARGUMENTS") {
            prompt = template.replacingOccurrences(of: "$ARGUMENTS", with: json)
        } else {
            prompt = template + "\n\n" + json
        }
        let timeout = handler.timeout ?? (kind == .agent ? 60 : 30)
        let request = HookEvaluationRequest(
            kind: kind, event: event, prompt: prompt, template: template, input: input, model: handler.model,
            tools: handler.tools, maxTurns: handler.maxTurns,
            timeout: timeout)
        let start = ContinuousClock.now
        let result: Result<HookEvaluation, any Error>? = await withTaskGroup(of: Result<HookEvaluation, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await evaluator.evaluate(request)) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        r.durationMs = Self.milliseconds(ContinuousClock.now - start)
        switch result {
        case nil:
            r.timedOut = true
            r.failure = .evaluator("no answer", timeoutSeconds: timeout)
        case .failure(let error):
            r.failure = .evaluator(String(describing: error))
        case .success(let verdict):
            r.evaluation = verdict
            r.stdout = JSONValue.object([("ok", .bool(verdict.ok)), ("reason", .optional(verdict.reason))]).serialized(pretty: false)
        }
        return r
    }

    func excerpt(_ bytes: [UInt8]) -> String { Self.excerpt(bytes, limit: options.excerptLimit) }

    static func excerpt(_ bytes: [UInt8], limit: Int) -> String {
        if bytes.count <= limit { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes.prefix(limit), as: UTF8.self) + "… (\(bytes.count) bytes)"
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (s, attos) = d.components
        return Double(s) * 1000 + Double(attos) / 1e15
    }

    static func seconds(_ t: Double) -> String {
        t == t.rounded() ? String(Int(t)) : String(t)
    }
}
