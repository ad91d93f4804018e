import Foundation
import HTTPTypes
import Hummingbird
import KernelCore
import KernelTasks
import NIOCore

/// The dashboard: server-rendered HTML, no script. Signing in with a `manage` token sets an HttpOnly,
/// SameSite=Strict cookie; every form carries a CSRF field (HMAC of the token's id under a per-process key) and
/// a POST whose Origin is another site's is refused.
enum Dashboard {
    static let cookie = "kernel_session"

    static func page(_ title: String, _ body: String) -> Response {
        let text = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(html(title)) · kernel tasks</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
            td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}th{background:#f4f4f4}
            form{display:inline}button{margin-right:.3em}pre{background:#f7f7f7;padding:1em;overflow:auto;max-height:40em}
            .state-active{color:#075}.state-paused,.state-disabled{color:#a60}.state-inactive,.state-shadowed{color:#888}
            .run-failed{color:#b00}.run-succeeded{color:#075}
            </style></head><body>
            <header><a href="/">Tasks</a> · <a href="/runs">Runs</a></header>
            <h1>\(html(title))</h1>
            \(body)
            </body></html>
            """
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                              HTTPField.Name("X-Frame-Options")!: "DENY"], body: .init(byteBuffer: buffer))
    }

    static func redirect(_ to: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: to]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// `application/x-www-form-urlencoded` fields.
    static func form(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            out[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        return out
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}

extension TaskServer {
    func csrf(_ record: TokenRecord) -> String {
        HMACSHA256.mac(key: csrfKey, message: Array("csrf:\(record.id)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The signed-in session, or nil (then the page redirects to /login).
    func session(_ request: Request) -> TokenRecord? {
        guard let token = request.cookie(Dashboard.cookie)?.removingPercentEncoding else { return nil }
        return try? tokens.verify(token, for: .manage)
    }

    func dashboardRoutes(_ r: Router<BasicRequestContext>) {
        r.get("/login") { _, _ in self.loginPage(nil) }
        r.post("/login") { request, _ in
            let fields = Dashboard.form((try? await request.bytes(limit: 8192)) ?? [])
            let token = fields["token"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard (try? self.tokens.verify(token, for: .manage)) != nil else { return self.loginPage("That is not a valid manage token.") }
            return Dashboard.redirect("/", cookie: "\(Dashboard.cookie)=\(Dashboard.encode(token)); Path=/; HttpOnly; SameSite=Strict")
        }
        r.post("/logout") { _, _ in
            Dashboard.redirect("/login", cookie: "\(Dashboard.cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
        }
        r.get("/") { request, _ in
            guard let user = self.session(request) else { return Dashboard.redirect("/login") }
            return try self.indexPage(user)
        }
        r.get("/runs") { request, _ in
            guard self.session(request) != nil else { return Dashboard.redirect("/login") }
            let runs = try self.engines.engine.runs(limit: 100)
            return Dashboard.page("Runs", self.runsTable(runs))
        }
        r.get("/runs/{id}") { request, context in
            guard self.session(request) != nil else { return Dashboard.redirect("/login") }
            let run: TaskRun
            do { run = try self.engines.engine.run(context.parameters.get("id") ?? "") } catch let e as TaskError {
                return APIError.task(e).response
            }
            return self.runPage(run)
        }
        r.post("/ui/tasks/{name}/{action}") { request, context in
            guard let user = self.session(request) else { return Dashboard.redirect("/login") }
            if let origin = request.header("Origin"), origin != "null", let host = request.head.authority,
               URL(string: origin)?.host.map({ host.hasPrefix($0) }) != true {
                return APIError(.forbidden, "csrf", "cross-site form post refused").response
            }
            let fields = Dashboard.form((try? await request.bytes(limit: 8192)) ?? [])
            guard let sent = fields["csrf"], TaskTokens.constantTimeEqual(Array(sent.utf8), Array(self.csrf(user).utf8)) else {
                return APIError(.forbidden, "csrf", "the form's CSRF field is missing or wrong; reload the page").response
            }
            let name = (context.parameters.get("name") ?? "").removingPercentEncoding ?? ""
            let engine = try self.engines.engine
            do {
                switch context.parameters.get("action") {
                case "pause": try engine.pause(name, reason: "paused from the dashboard")
                case "resume": try engine.resume(name)
                case "run":
                    let (run, _) = try await engine.enqueue(name, parameters: .object([]), test: true, through: self.batcher)
                    self.scheduler?.wake()
                    return Dashboard.redirect("/runs/\(run.id)")
                default: return APIError.notFound("no such action").response
                }
            } catch let e as TaskError { return APIError.task(e).response }
            return Dashboard.redirect("/")
        }
    }

    func loginPage(_ error: String?) -> Response {
        Dashboard.page("Sign in", """
            \(error.map { "<p class=\"run-failed\">\(html($0))</p>" } ?? "")
            <p>Paste a token with the <code>manage</code> scope (<code>kernel tasks token create --scope manage</code>).</p>
            <form method="post" action="/login"><input type="password" name="token" size="70" autocomplete="off" autofocus>
            <button type="submit">Sign in</button></form>
            """)
    }

    func indexPage(_ user: TokenRecord) throws -> Response {
        let snap = try engines.snapshot()
        let token = csrf(user)
        var rows = ""
        for e in snap.engine.catalog.entries {
            guard case .object(let json) = try taskJSON(e, snap) else { continue }
            let state = json.first { $0.0 == "state" }?.1.plain ?? ""
            var triggers = ""
            for t in triggersJSON(e, snap) {
                guard case .object(let f) = t else { continue }
                let kind = f.first { $0.0 == "type" }?.1.plain ?? ""
                let next = f.first { $0.0 == "nextFire" }?.1
                let enabled = f.first { $0.0 == "enabled" }?.1 == .bool(true)
                var detail = ""
                if case .object(let c)? = f.first(where: { $0.0 == "config" })?.1 {
                    detail = c.filter { !($0.1 == .null) && $0.0 != "signed" && $0.0 != "timezone" }.map { "\($0.0): \($0.1.plain)" }.joined(separator: ", ")
                }
                triggers += "<li>\(html(kind))\(enabled ? "" : " (paused)") <small>\(html(detail))</small>"
                if let next, next != .null { triggers += " · next <time>\(html(next.plain))</time>" }
                triggers += "</li>"
            }
            let runs = (try? snap.engine.runs(blueprint: e.name, limit: 3)) ?? []
            let last = runs.map { "<a class=\"run-\($0.state.rawValue)\" href=\"/runs/\($0.id)\">\($0.state.rawValue) \(html(Self.date($0.queuedAt)))</a>" }.joined(separator: "<br>")
            let action = "/ui/tasks/\(Dashboard.encode(e.name))"
            var buttons = ""
            if e.state == .active {
                let paused = state == "paused"
                buttons = """
                    <form method="post" action="\(action)/\(paused ? "resume" : "pause")"><input type="hidden" name="csrf" value="\(token)"><button class="\(paused ? "resume" : "pause")" type="submit">\(paused ? "Resume" : "Pause")</button></form>\
                    <form method="post" action="\(action)/run"><input type="hidden" name="csrf" value="\(token)"><button class="run-now" type="submit">Run now</button></form>
                    """
            }
            rows += """
                <tr data-task="\(html(e.name))"><td><strong>\(html(e.name))</strong><br><small>\(html(e.source.rawValue)) · \(html(e.file))</small></td>
                <td class="state-\(html(state))">\(html(state))</td><td><ul>\(triggers)</ul></td><td>\(last.isEmpty ? "—" : last)</td><td>\(buttons)</td></tr>
                """
        }
        let table = rows.isEmpty ? "<p>No task blueprints.</p>" : """
            <table id="tasks"><thead><tr><th>Blueprint</th><th>State</th><th>Triggers</th><th>Last runs</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        return Dashboard.page("Tasks", table + "<p><form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form></p>")
    }

    func runsTable(_ runs: [TaskRun]) -> String {
        guard !runs.isEmpty else { return "<p>No runs yet.</p>" }
        let rows = runs.map { r in
            "<tr><td><a href=\"/runs/\(r.id)\">\(r.id.prefix(8))</a></td><td>\(html(r.blueprint))</td><td>\(html(r.triggerKind))</td><td class=\"run-\(r.state.rawValue)\">\(r.state.rawValue)</td><td>\(html(Self.date(r.queuedAt)))</td><td>\(html(r.reason ?? ""))</td></tr>"
        }.joined()
        return "<table id=\"runs\"><thead><tr><th>Run</th><th>Blueprint</th><th>Trigger</th><th>State</th><th>Queued</th><th>Reason</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    func runPage(_ run: TaskRun) -> Response {
        var log = "(no log yet)"
        if let p = run.logPath, let bytes = try? FileSystem.read(p) {
            let tail = bytes.count > 256 << 10 ? Array(bytes.suffix(256 << 10)) : bytes
            log = String(decoding: tail, as: UTF8.self)
        }
        let params = (try? JSONReader.parse(run.parameters)).map { JSONValue(node: $0.root).serialized() } ?? run.parameters
        func row(_ k: String, _ v: String?) -> String { "<tr><th>\(k)</th><td>\(html(v ?? "—"))</td></tr>" }
        let body = """
            <table id="run" data-state="\(run.state.rawValue)">
            \(row("Blueprint", run.blueprint))\(row("Run", run.id))\(row("State", run.state.rawValue))\(row("Reason", run.reason))
            \(row("Trigger", run.triggerKind + (run.test ? " (test)" : "")))\(row("Queued", Self.date(run.queuedAt)))
            \(row("Started", run.startedAt.map(Self.date)))\(row("Finished", run.finishedAt.map(Self.date)))
            \(row("Exit code", run.exitCode.map(String.init)))
            </table>
            <h2>Parameters</h2><pre id="parameters">\(html(params))</pre>
            <h2>Log</h2><pre id="log">\(html(log))</pre>
            """
        return Dashboard.page("Run \(run.id.prefix(8)) of \(run.blueprint)", body)
    }
}
