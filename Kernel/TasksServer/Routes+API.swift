import Foundation
import Hummingbird
import KernelCore
import KernelTasks
import NIOCore

/// The management API: `/api/tasks…` and `/api/runs…` (a `manage` token).
extension TaskServer {
    func apiRoutes(_ r: Router<BasicRequestContext>) {
        r.get("/api/tasks", use: handler { request, _ in
            _ = try self.authorize(request, .manage)
            let snap = try self.engines.snapshot()
            let tasks = try snap.engine.catalog.entries.map { e throws(APIError) in try self.taskJSON(e, snap) }
            return JSON.response(.object([("tasks", .array(tasks))]))
        })
        r.post("/api/tasks", use: handler { request, _ in
            _ = try self.authorize(request, .manage)
            let body = try JSON.object(try await request.bytes(limit: self.configuration.apiBodyLimit), allowed: BlueprintFiles.createFields)
            return try self.createTask(body)
        })
        r.get("/api/tasks/{id}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let snap = try self.engines.snapshot()
            let e = try self.entry(context, snap)
            var json = try self.taskJSON(e, snap)
            let runs = try snap.engine.runs(blueprint: e.name, limit: 10)
            if case .object(var m) = json { m.append(("recentRuns", .array(runs.map(\.json)))); json = .object(m) }
            return JSON.response(json)
        })
        r.patch("/api/tasks/{id}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let body = try JSON.object(try await request.bytes(limit: self.configuration.apiBodyLimit), allowed: BlueprintFiles.patchFields)
            return try self.patchTask(context, body)
        })
        r.delete("/api/tasks/{id}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let e = try self.entry(context, try self.engines.snapshot())
            let file = try self.editable(e)
            do { try FileManager.default.removeItem(atPath: file) } catch {
                throw APIError(.internalServerError, "io", "cannot delete \(file): \(error.localizedDescription)")
            }
            self.engines.invalidate()
            return Response(status: .noContent)
        })
        r.post("/api/tasks/{id}/triggers", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let body = try JSON.object(try await request.bytes(limit: self.configuration.apiBodyLimit), allowed: BlueprintFiles.triggerFields)
            let e = try self.entry(context, try self.engines.snapshot())
            let file = try self.editable(e)
            var doc = try BlueprintFiles.read(file)
            var triggers: [JSONValue] = []
            if case .array(let items) = doc["triggers"] ?? .array([]) { triggers = items }
            guard triggers.count < BlueprintParser.maxTriggers else {
                throw APIError(.conflict, "too_many_triggers", "a blueprint has at most \(BlueprintParser.maxTriggers) triggers")
            }
            triggers.append(try BlueprintFiles.trigger(body))
            doc["triggers"] = .array(triggers)
            try self.save(doc, file, e.name)
            let snap = try self.engines.snapshot()
            let t = try self.entry(named: e.name, snap)
            return JSON.response(self.triggersJSON(t, snap).last ?? .null, status: .created)
        })
        r.patch("/api/tasks/{id}/triggers/{tid}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let body = try JSON.object(try await request.bytes(limit: self.configuration.apiBodyLimit), allowed: ["config", "enabled"])
            let snap = try self.engines.snapshot()
            let e = try self.entry(context, snap)
            let index = try self.triggerIndex(context, e)
            if let enabled = body["enabled"], !enabled.isNull {
                guard let on = enabled.bool else { throw APIError.badRequest("'enabled' must be true or false") }
                if on { try snap.engine.resume(e.name, trigger: index) } else { try snap.engine.pause(e.name, trigger: index) }
            }
            if let config = body["config"], !config.isNull {
                let file = try self.editable(e)
                guard let members = config.members else { throw APIError.badRequest("'config' must be an object") }
                var doc = try BlueprintFiles.read(file)
                guard case .array(var triggers) = doc["triggers"] ?? .null, index < triggers.count, case .object(var fields) = triggers[index] else {
                    throw APIError(.conflict, "invalid_file", "the file's triggers do not match the blueprint; edit \(file) by hand")
                }
                for m in members {
                    let key = m.key == "cronExpression" ? "cron" : m.key
                    fields.removeAll { $0.0 == key }
                    if !m.value.isNull { fields.append((key, JSONValue(node: m.value))) }
                }
                triggers[index] = .object(fields)
                doc["triggers"] = .array(triggers)
                try self.save(doc, file, e.name)
            }
            let after = try self.engines.snapshot()
            let t = try self.entry(named: e.name, after)
            return JSON.response(self.triggersJSON(t, after)[safe: index] ?? .null)
        })
        r.delete("/api/tasks/{id}/triggers/{tid}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let e = try self.entry(context, try self.engines.snapshot())
            let index = try self.triggerIndex(context, e)
            let file = try self.editable(e)
            var doc = try BlueprintFiles.read(file)
            guard case .array(var triggers) = doc["triggers"] ?? .null, index < triggers.count else {
                throw APIError(.conflict, "invalid_file", "the file's triggers do not match the blueprint; edit \(file) by hand")
            }
            triggers.remove(at: index)
            doc["triggers"] = .array(triggers)
            try self.save(doc, file, e.name)
            return Response(status: .noContent)
        })
        r.post("/api/tasks/{id}/runs", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let body = try JSON.object(try await request.bytes(limit: self.configuration.apiBodyLimit), allowed: ["params", "test"], emptyIsObject: true)
            let snap = try self.engines.snapshot()
            let e = try self.entry(context, snap)
            var params: JSONValue = .object([])
            if let p = body["params"], !p.isNull {
                guard p.members != nil else { throw APIError(.unprocessableContent, "parameters", "'params' must be an object") }
                params = JSONValue(node: p)
            }
            let test = body["test"]?.bool ?? false
            let (run, _) = try await snap.engine.enqueue(e.name, parameters: params, test: test, through: self.batcher)
            self.scheduler?.wake()
            return JSON.response(.object([("runId", .string(run.id)), ("type", .string(test ? "test" : "manual")), ("state", .string(run.state.rawValue))]),
                                 status: .accepted)
        })
        r.get("/api/runs", use: handler { request, _ in
            _ = try self.authorize(request, .manage)
            let q = request.uri.queryParameters
            var states: [RunState]?
            if let s = q["state"] {
                states = try s.split(separator: ",").map { part throws(APIError) in
                    guard let st = RunState(rawValue: String(part)) else {
                        throw APIError.badRequest("unknown state '\(part)' (one of \(RunState.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    return st
                }
            }
            var limit = 50
            if let l = q["limit"] {
                guard let v = Int(l), v > 0, v <= 1000 else { throw APIError.badRequest("'limit' must be 1 to 1000") }
                limit = v
            }
            let engine = try self.engines.engine
            var blueprint: String?
            if let t = q["task"] { blueprint = engine.catalog.resolve(String(t))?.name ?? String(t) }
            let runs = try engine.runs(blueprint: blueprint, states: states, limit: limit)
            return JSON.response(.object([("runs", .array(runs.map(\.json)))]))
        })
        r.get("/api/runs/{id}", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            return JSON.response(try self.engines.engine.run(context.parameters.get("id") ?? "").json)
        })
        r.post("/api/runs/{id}/cancel", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            return JSON.response(try self.engines.engine.cancel(context.parameters.get("id") ?? "").json)
        })
        r.get("/api/runs/{id}/log", use: handler { request, context in
            _ = try self.authorize(request, .manage)
            let engine = try self.engines.engine
            let run = try engine.run(context.parameters.get("id") ?? "")
            return self.logResponse(run, engine)
        })
    }

    /// The run's log, streamed: what is there, then (while the run is queued or running) what it appends, until
    /// it ends. Both rotations are sent (`.log.1` first).
    func logResponse(_ run: TaskRun, _ engine: TaskEngine) -> Response {
        let id = run.id
        let body = ResponseBody { writer in
            var sent = 0
            var path = run.logPath
            var sentRotated = false
            while true {
                let current = try? engine.run(id)
                if path == nil { path = current?.logPath }
                if let p = path {
                    if !sentRotated, let old = try? FileSystem.read(p + ".1") {
                        sentRotated = true
                        try await writer.write(ByteBuffer(bytes: old))
                    }
                    if let bytes = try? FileSystem.read(p), bytes.count > sent {
                        try await writer.write(ByteBuffer(bytes: bytes[sent...]))
                        sent = bytes.count
                    } else if let bytes = try? FileSystem.read(p), bytes.count < sent {
                        sent = 0  // rotated: start the new file from its beginning
                    }
                }
                if current.map({ $0.state.isFinal }) ?? true { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
    }

    // MARK: - Lookups

    func entry(_ context: BasicRequestContext, _ snap: EngineBox.Snapshot) throws(APIError) -> BlueprintEntry {
        try entry(named: context.parameters.get("id") ?? "", snap)
    }

    func entry(named name: String, _ snap: EngineBox.Snapshot) throws(APIError) -> BlueprintEntry {
        let name = name.removingPercentEncoding ?? name
        guard let e = snap.engine.catalog.resolve(name) else {
            throw APIError.notFound("no task blueprint named '\(name)'\(didYouMean(name, in: snap.engine.catalog.entries.map(\.name)))")
        }
        return e
    }

    func triggerIndex(_ context: BasicRequestContext, _ e: BlueprintEntry) throws(APIError) -> Int {
        let count = e.blueprint?.triggers.count ?? 0
        guard let tid = context.parameters.get("tid").flatMap(Int.init), tid >= 1, tid <= count else {
            throw APIError.notFound("task '\(e.name)' has \(count) trigger\(count == 1 ? "" : "s"); trigger ids are 1 to \(count)")
        }
        return tid - 1
    }

    /// The file of a user or project blueprint; a plugin's is read-only (only its enabled state changes).
    func editable(_ e: BlueprintEntry) throws(APIError) -> String {
        guard e.source != .plugin else {
            throw APIError(.forbidden, "read_only", "'\(e.name)' comes from plugin \(e.pluginID ?? "?"): it is read-only except its enabled state (PATCH {\"enabled\": …})")
        }
        return e.file
    }

    func save(_ doc: BlueprintFiles.Document, _ file: String, _ name: String) throws(APIError) {
        try BlueprintFiles.check(doc, file: file, name: name)
        try BlueprintFiles.write(doc, to: file)
        engines.invalidate()
    }

    // MARK: - Create, patch

    func createTask(_ body: Node) throws -> Response {
        guard let name = body["name"]?.string, BlueprintParser.isValidName(name) else {
            throw APIError(.unprocessableContent, "invalid_blueprint", "'name' is required: letters, digits, '-', '_' or '.', starting with a letter or digit")
        }
        if let type = body["type"]?.string, type != "standalone", type != "repo-blueprint" {
            throw APIError.badRequest("'type' is standalone or repo-blueprint")
        }
        let scope = body["scope"]?.string ?? "user"
        guard scope == "user" || scope == "project" else { throw APIError.badRequest("'scope' is user or project") }
        let snap = try engines.snapshot()
        if let existing = snap.engine.catalog.entries.first(where: { $0.name == name }) {
            throw APIError(.conflict, "exists", "a blueprint named '\(name)' exists (\(existing.file))")
        }
        let dir = scope == "user" ? configuration.userTasksDir : configuration.projectTasksDir
        let file = FileSystem.join(dir, name + ".md")
        if FileSystem.exists(file) { throw APIError(.conflict, "exists", "\(file) exists") }
        var doc = BlueprintFiles.Document(fields: [("name", .string(name))], body: "")
        try BlueprintFiles.apply(body, to: &doc)
        if let e = body["enabled"], !e.isNull {
            guard e.bool != nil else { throw APIError.badRequest("'enabled' must be true or false") }
        }
        if let t = body["triggers"], !t.isNull {
            guard let items = t.array else { throw APIError.badRequest("'triggers' must be an array") }
            doc["triggers"] = .array(try items.map { n throws(APIError) in try BlueprintFiles.trigger(n) })
        }
        try save(doc, file, name)
        let after = try engines.snapshot()
        let created = try entry(named: name, after)
        if body["enabled"]?.bool == false { try after.engine.pause(name, reason: "created paused through the API") }
        return JSON.response(try taskJSON(created, after), status: .created)
    }

    func patchTask(_ context: BasicRequestContext, _ body: Node) throws -> Response {
        let snap = try engines.snapshot()
        let e = try entry(context, snap)
        let fileFields = (body.members ?? []).filter { $0.key != "enabled" }
        if !fileFields.isEmpty {
            let file = try editable(e)
            var doc = try BlueprintFiles.read(file)
            try BlueprintFiles.apply(body, to: &doc)
            try save(doc, file, e.name)
        }
        if let enabled = body["enabled"], !enabled.isNull {
            guard let on = enabled.bool else { throw APIError.badRequest("'enabled' must be true or false") }
            if on { try snap.engine.resume(e.name) } else { try snap.engine.pause(e.name, reason: "paused through the API") }
        }
        let after = try engines.snapshot()
        return JSON.response(try taskJSON(try entry(named: e.name, after), after))
    }

    // MARK: - JSON

    func taskJSON(_ e: BlueprintEntry, _ snap: EngineBox.Snapshot) throws(APIError) -> JSONValue {
        let engine = snap.engine
        let state: BlueprintState
        let last: TaskRun?
        do {
            state = try engine.state(of: e.name)
            last = try engine.runs(blueprint: e.name, limit: 1).first
        } catch { throw APIError.task(error) }
        let b = e.blueprint
        let status: String = switch e.state {
        case .active: state.paused ? "paused" : (state.disabledReason != nil ? "disabled" : "active")
        case .shadowed: "shadowed"
        case .inactive: "inactive"
        }
        return .object([
            ("id", .string(e.name)), ("name", .string(e.name)),
            ("type", .string(b?.repo != nil ? "repo-blueprint" : "standalone")),
            ("source", .string(e.source.rawValue)), ("plugin", .optional(e.pluginID)), ("file", .string(e.file)),
            ("state", .string(status)), ("reason", .optional(e.state.reason ?? state.pausedReason ?? state.disabledReason)),
            ("enabled", .bool(e.state == .active && !state.paused && state.disabledReason == nil)),
            ("readOnly", .bool(e.source == .plugin)),
            ("title", .optional(b?.description)), ("prompt", .optional(b?.template.source)), ("model", .optional(b?.model)),
            ("agent", .optional(b?.agent)), ("workingDirectory", .optional(b?.workingDirectory)),
            ("repoUrl", .optional(b?.repo)), ("repoBranch", .optional(b?.branch)),
            ("maxRuns", b?.maxRuns.map { .int($0) } ?? .null), ("runCount", .int(state.runCount)),
            ("triggers", .array(triggersJSON(e, snap))),
            ("lastRun", last.map { .object([("id", .string($0.id)), ("state", .string($0.state.rawValue)), ("queuedAt", .string(Self.date($0.queuedAt)))]) } ?? .null),
        ])
    }

    func triggersJSON(_ e: BlueprintEntry, _ snap: EngineBox.Snapshot) -> [JSONValue] {
        let rows = (try? snap.engine.triggers(of: e.name)) ?? []
        return (e.blueprint?.triggers ?? []).enumerated().map { i, t in
            let row = rows.first { $0.index == i }
            var config: [(String, JSONValue)] = []
            switch t.kind {
            case .schedule:
                config = [("cronExpression", .optional(t.cron?.source)), ("timezone", .string(t.timezone.identifier))]
            case .at: config = [("at", t.at.map { .string(Self.date($0)) } ?? .null)]
            case .every: config = [("every", .double(t.every ?? 0))]
            case .webhook:
                config = [("path", .optional(t.path)), ("url", .optional(t.path.map { "/api/hooks/\($0)" })), ("signed", .bool(t.secret != nil))]
                if !t.paramMapping.isEmpty { config.append(("paramMapping", .object(t.paramMapping.map { ($0.0, .string($0.1)) }))) }
            case .event:
                config = [("source", .optional(t.source)), ("kinds", .strings(t.kinds)), ("actions", .strings(t.actions)),
                          ("labels", .strings(t.labels)), ("repo", .optional(t.repository)), ("branch", .optional(t.branch))]
            case .api:
                let key = snap.keysByTrigger["\(e.name)#\(i)"]
                config = [("invokeKey", .optional(key)), ("url", .optional(key.map { "/v1/automation/invoke/\($0)" }))]
            }
            return .object([
                ("id", .int(i + 1)), ("type", .string(t.kind.rawValue)), ("enabled", .bool(t.enabled && !(row?.paused ?? false))),
                ("config", .object(config)), ("nextFire", row?.nextFire.map { .string(Self.date($0)) } ?? .null),
            ])
        }
    }

    static func date(_ d: Date) -> String { Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(d) }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
