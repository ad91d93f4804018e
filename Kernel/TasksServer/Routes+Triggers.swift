import Foundation
import Hummingbird
import KernelCore
import KernelTasks

/// Runs fired from outside: the API trigger, webhooks and GitHub events. Each answers 202 with the run id as
/// soon as the run is queued (the run itself starts asynchronously).
extension TaskServer {
    func triggerRoutes(_ r: Router<BasicRequestContext>) {
        r.post("/v1/automation/invoke/{key}", use: handler { request, context in
            let snap = try self.engines.snapshot()
            guard let target = snap.invokeKeys[context.parameters.get("key") ?? ""] else {
                throw APIError.notFound("no api trigger has this invoke key")
            }
            _ = try self.authorize(request, .invoke(target.blueprint))
            let body = try JSON.object(try await request.bytes(limit: self.configuration.hookBodyLimit), allowed: ["prompt", "params"], emptyIsObject: true)
            var params: [(String, JSONValue)] = []
            if let p = body["params"], !p.isNull {
                guard let members = p.members else { throw APIError(.unprocessableContent, "parameters", "'params' must be an object") }
                params = members.map { ($0.key, JSONValue(node: $0.value)) }
            }
            if let prompt = body["prompt"], !prompt.isNull {
                guard let s = prompt.string else { throw APIError.badRequest("'prompt' must be a string") }
                params.removeAll { $0.0 == "prompt" }
                params.append(("prompt", .string(s)))
            }
            let trigger = snap.engine.catalog.resolve(target.blueprint)?.blueprint?.triggers[safe: target.trigger]
            try self.limit(target.blueprint, target.trigger, trigger)
            let (run, _) = try await snap.engine.enqueue(target.blueprint, trigger: target.trigger, parameters: .object(params), through: self.batcher)
            self.scheduler?.wake()
            return Self.accepted(run)
        })
        r.post("/api/hooks/**", use: handler { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            let snap = try self.engines.snapshot()
            guard let (name, index, trigger) = snap.hooks[path] else { throw APIError.notFound("no webhook at /api/hooks/\(path)") }
            let bytes = try await request.bytes(limit: self.configuration.hookBodyLimit)
            if let secret = trigger.secret {
                let value = try self.resolve(secret)
                do {
                    try WebhookSignature.verify(secret: value, body: bytes, header: { request.header($0) }, now: Date())
                } catch {
                    throw APIError(.unauthorized, "bad_signature", (error as? WebhookSignature.Failure)?.message ?? "\(error)")
                }
            }
            try self.limit(name, index, trigger)
            var params: JSONValue = .object([])
            if !bytes.isEmpty {
                let root = try JSON.parse(bytes)
                if trigger.paramMapping.isEmpty {
                    guard root.members != nil else { throw APIError(.unprocessableContent, "parameters", "the body must be a JSON object (or set paramMapping)") }
                    params = JSONValue(node: root)
                } else {
                    params = .object(trigger.paramMapping.map { key, path in (key, JSONPath.value(root, path).map(JSONValue.init(node:)) ?? .null) })
                }
            }
            let deliveryID = request.header("X-GitHub-Delivery") ?? request.header("X-Kernel-Delivery") ?? request.header("Idempotency-Key")
            let delivery = deliveryID.map { TaskEngine.Delivery(source: "hook:\(path)", id: $0) }
            let (run, duplicate) = try await snap.engine.enqueue(name, trigger: index, parameters: params, delivery: delivery, through: self.batcher)
            self.scheduler?.wake()
            return duplicate ? Self.duplicate(run) : Self.accepted(run)
        })
        r.post("/api/events/github", use: handler { request, _ in
            let bytes = try await request.bytes(limit: self.configuration.hookBodyLimit)
            guard let secret = self.configuration.githubSecret else {
                throw APIError(.serviceUnavailable, "not_configured", "GitHub events need settings tasks.github.webhookSecret (a ${VAR} set in the server's environment)")
            }
            do { try WebhookSignature.verify(secret: secret, body: bytes, header: { request.header($0) }, now: Date()) } catch {
                throw APIError(.unauthorized, "bad_signature", (error as? WebhookSignature.Failure)?.message ?? "\(error)")
            }
            let kind = request.header("X-GitHub-Event") ?? ""
            if kind == "ping" { return JSON.response(.object([("ok", .bool(true))])) }
            let root = try JSON.parse(bytes)
            guard let event = GitHubEvent(kind: kind, payload: root) else {
                return JSON.response(.object([("ignored", .string("event '\(kind)' is not one tasks listen to (issues, issue_comment, pull_request, pull_request_review_comment)")), ("runs", .array([]))]))
            }
            if let own = self.configuration.githubLogin, event.sender == own {
                return JSON.response(.object([("ignored", .string("the event was caused by the runner's own account (\(own))")), ("runs", .array([]))]))
            }
            let snap = try self.engines.snapshot()
            let delivery = request.header("X-GitHub-Delivery")
            var runs: [JSONValue] = []
            for e in snap.engine.catalog.entries where e.state == .active {
                for (i, t) in (e.blueprint?.triggers ?? []).enumerated() where t.kind == .event && event.matches(t) {
                    guard self.limiter.take("\(e.name)#\(i)", limit: t.rateLimit, window: t.rateWindow) == nil else {
                        runs.append(.object([("task", .string(e.name)), ("trigger", .int(i + 1)), ("error", .string("rate limited"))]))
                        continue
                    }
                    do {
                        let (run, duplicate) = try await snap.engine.enqueue(e.name, trigger: i, parameters: event.parameters,
                                                                              delivery: delivery.map { TaskEngine.Delivery(source: "github:\(e.name)#\(i)", id: $0) },
                                                                              through: self.batcher)
                        runs.append(.object([("task", .string(e.name)), ("trigger", .int(i + 1)), ("runId", .string(run.id)),
                                             ("state", .string(run.state.rawValue)), ("duplicate", .bool(duplicate))]))
                    } catch {
                        runs.append(.object([("task", .string(e.name)), ("trigger", .int(i + 1)), ("error", .string((error as? TaskError)?.message ?? "\(error)"))]))
                    }
                }
            }
            self.scheduler?.wake()
            return JSON.response(.object([("event", .string(kind)), ("action", .optional(event.action)), ("runs", .array(runs))]), status: .accepted)
        })
    }

    static func accepted(_ run: TaskRun) -> Response {
        JSON.response(.object([("runId", .string(run.id)), ("state", .string(run.state.rawValue)), ("reason", .optional(run.reason))]), status: .accepted)
    }

    static func duplicate(_ run: TaskRun) -> Response {
        JSON.response(.object([("runId", .string(run.id)), ("state", .string(run.state.rawValue)), ("duplicate", .bool(true))]), status: .ok)
    }

    /// 429 when the trigger's bucket is empty.
    func limit(_ name: String, _ index: Int, _ trigger: TaskTrigger?) throws(APIError) {
        let t = trigger ?? TaskTrigger(kind: .api)
        if let wait = limiter.take("\(name)#\(index)", limit: t.rateLimit, window: t.rateWindow) {
            var e = APIError(.tooManyRequests, "rate_limited", "trigger \(index + 1) of '\(name)' accepts \(t.rateLimit) requests per \(Int(t.rateWindow)) s")
            e.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            throw e
        }
    }

    /// A `${VAR}` secret's value; unset is a server error (and no run), never an unsigned pass.
    func resolve(_ reference: String) throws(APIError) -> String {
        let name = String(reference.dropFirst(2).dropLast())
        guard let v = configuration.environment[name], !v.isEmpty else {
            throw APIError(.serviceUnavailable, "not_configured", "the webhook's secret ${\(name)} is not set in the server's environment")
        }
        return v
    }
}

/// A GitHub webhook delivery of the kinds event triggers listen to, with the fields that become parameters.
struct GitHubEvent {
    static let kinds: Set<String> = ["issues", "issue_comment", "pull_request", "pull_request_review_comment"]
    var kind: String
    var action: String?
    var repository: String?
    var sender: String?
    var labels: [String]
    /// The pull request's base branch (pull_request events and comments on them).
    var branch: String?
    var parameters: JSONValue

    init?(kind: String, payload: Node) {
        guard Self.kinds.contains(kind), payload.members != nil else { return nil }
        self.kind = kind
        action = payload["action"]?.string
        repository = payload["repository"]?["full_name"]?.string
        sender = payload["sender"]?["login"]?.string
        let item = payload["pull_request"] ?? payload["issue"]
        labels = (item?["labels"]?.array ?? []).compactMap { $0["name"]?.string }
        branch = payload["pull_request"]?["base"]?["ref"]?.string
        func s(_ n: Node?) -> JSONValue { n?.scalarText.map { .string($0) } ?? .null }
        var fields: [(String, JSONValue)] = [
            ("event", .string(kind)), ("action", .optional(action)), ("repository", .optional(repository)),
            ("sender", .optional(sender)), ("number", item?["number"]?.int.map { .int($0) } ?? .null),
            ("title", s(item?["title"])), ("body", s(item?["body"])), ("url", s(item?["html_url"])),
            ("state", s(item?["state"])), ("author", s(item?["user"]?["login"])), ("labels", .strings(labels)),
            ("branch", .optional(branch)),
        ]
        if let c = payload["comment"] {
            fields.append(("comment", .object([("body", s(c["body"])), ("url", s(c["html_url"])), ("author", s(c["user"]?["login"]))])))
        }
        parameters = .object(fields)
    }

    /// Whether an event trigger takes this event: source github, kinds, actions, repository (case-insensitive),
    /// labels (any of), branch glob (only pull requests have one).
    func matches(_ t: TaskTrigger) -> Bool {
        guard t.source?.lowercased() == "github" else { return false }
        if !t.kinds.isEmpty, !t.kinds.contains(kind) { return false }
        if !t.actions.isEmpty, !t.actions.contains(action ?? "") { return false }
        if let repo = t.repository, repo.lowercased() != repository?.lowercased() { return false }
        if !t.labels.isEmpty, !t.labels.contains(where: labels.contains) { return false }
        if let glob = t.branch {
            guard let branch, Glob.matches(glob, branch) else { return false }
        }
        return true
    }
}
