import ArgumentParser
import Foundation
import Glibc
import KernelCore
import KernelStore
import KernelTasks

/// What `kernel tasks serve` hands the server: the parsed options and the engine factory.
public struct TaskServeRequest: Sendable {
    public var host: String
    public var port: Int
    public var jsonLogs: Bool
    public var runScheduler: Bool
    public var poll: Double
    public var grace: Double
    public var store: KernelStore
    public var userTasksDir: String
    public var projectTasksDir: String
    public var githubSecret: String?
    public var githubLogin: String?
    public var makeEngine: @Sendable () throws -> TaskEngine
}

/// The HTTP server lives in its own executable (`kernel-tasks-server`, beside `kernel`), so `kernel` does not
/// link swift-nio: that executable sets ``serve`` and runs the same command tree; `kernel tasks serve` without
/// it execs that executable with its own arguments.
public enum TaskServeEntry {
    nonisolated(unsafe) public static var serve: (@Sendable (TaskServeRequest) async throws -> Void)?
    public static let executableName = "kernel-tasks-server"
}

extension KernelCommand.Tasks {
    /// `kernel tasks serve`: scheduler + HTTP API, webhooks, API triggers and the dashboard.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Run the scheduler and the tasks HTTP server (API, webhooks, API triggers, dashboard).",
            discussion: """
                Binds loopback unless --listen names another address, which also needs --insecure-public (put a TLS-terminating \
                proxy in front). SIGTERM stops accepting requests, lets running runs finish for --grace seconds, then cancels them.
                """)
        @OptionGroup var options: TaskOptions
        @Option(help: ArgumentHelp("Address to listen on, host:port.", valueName: "host:port"))
        var listen = "127.0.0.1:8787"
        @Flag(name: .customLong("json-logs"), help: "Log one JSON object per line (stderr).")
        var jsonLogs = false
        @Flag(name: .customLong("insecure-public"), help: "Allow a non-loopback address without TLS (behind a TLS-terminating proxy).")
        var insecurePublic = false
        @Flag(name: .customLong("no-scheduler"), help: "Only queue runs; a separate `kernel tasks scheduler` starts them.")
        var noScheduler = false
        @Option(help: "Seconds running runs get after SIGTERM before they are cancelled.")
        var grace: Double = 30
        @Option(help: "Longest sleep of the scheduler between checks, in seconds.")
        var poll: Double = 30

        static func parseListen(_ text: String) -> (String, Int)? {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            return (host.isEmpty ? "0.0.0.0" : host, port)
        }

        static func isLoopback(_ host: String) -> Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

        func run() async throws {
            guard let (host, port) = Self.parseListen(listen) else {
                throw ValidationError("--listen takes host:port (127.0.0.1:8787), got '\(listen)'")
            }
            if !Self.isLoopback(host) && !insecurePublic {
                throw ValidationError("refusing to listen on \(host) without TLS: the server has no TLS of its own; put a TLS-terminating proxy in front and pass --insecure-public, or listen on 127.0.0.1")
            }
            guard let serve = TaskServeEntry.serve else {
                try Sibling.exec(TaskServeEntry.executableName, holds: "the HTTP server", global: options.global)
            }
            let first = try options.context()
            for d in first.settings.diagnostics { Output.err(d.description) }
            var secret: String?
            if let ref = first.settings.githubSecret {
                let name = String(ref.dropFirst(2).dropLast())
                secret = ProcessInfo.processInfo.environment[name]
                if secret == nil { Output.err("warning: tasks.github.webhookSecret names ${\(name)}, which is not set: GitHub events will be refused") }
            }
            nonisolated(unsafe) let options = self.options  // read-only values parsed from the command line
            let paths = first.host.paths
            let request = TaskServeRequest(
                host: host, port: port, jsonLogs: jsonLogs, runScheduler: !noScheduler, poll: poll, grace: grace,
                store: first.host.store, userTasksDir: FileSystem.join(paths.home, "tasks"),
                projectTasksDir: FileSystem.join(FileSystem.join(paths.project, ".qoder"), "tasks"),
                githubSecret: secret, githubLogin: first.settings.githubLogin,
                makeEngine: { try options.context().engine })
            do { try await serve(request) } catch {
                throw options.global.fail(KernelError(.io, "the server stopped: \(error)"))
            }
        }
    }

    /// `kernel tasks token create|list|revoke`.
    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "API tokens of the tasks server (only their hashes are stored).",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "create", abstract: "Create a token and print it once.")
            @OptionGroup var options: TaskOptions
            @Option(help: "A name to recognise it by.")
            var name = ""
            @Option(help: ArgumentHelp("Expiry: a date or date-time (2027-01-31, 2027-01-31T12:00:00Z), or a duration from now (30d).", valueName: "date"))
            var expires: String?
            @Option(name: .customLong("scope"), help: ArgumentHelp("manage, or invoke:<task> (repeatable).", valueName: "scope"))
            var scopes: [String] = []

            func run() throws {
                var parsed: [TokenScope] = []
                for s in scopes.isEmpty ? ["manage"] : scopes {
                    guard let scope = TokenScope(s) else { throw ValidationError("--scope is manage or invoke:<task>, got '\(s)'") }
                    parsed.append(scope)
                }
                var expiry: Date?
                if let expires {
                    if let d = TaskDuration.parse(expires), !expires.contains("-") { expiry = Date().addingTimeInterval(d) }
                    else if let d = BlueprintParser.parseDate(expires, zone: TimeZone(identifier: "UTC")!) { expiry = d }
                    else { throw ValidationError("--expires takes a date (2027-01-31), a date-time or a duration (30d), got '\(expires)'") }
                }
                let host = try options.global.host()
                let (token, record) = try options.run { () throws(TaskError) in
                    try TaskTokens(store: host.store).create(name: name, scopes: parsed, expires: expiry)
                }
                if options.global.json {
                    guard case .object(var m) = record.json else { return }
                    m.insert(("token", .string(token)), at: 0)
                    Output.out(JSONValue.object(m).serialized())
                    return
                }
                Output.out(token)
                Output.err("Token \(record.prefix) (\(record.scopes.map(\.description).joined(separator: ", "))\(record.expiresAt.map { ", expires \(Format.date($0))" } ?? "")). It is shown only now; only its hash is stored.")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens: prefix, name, scopes, expiry, last use.")
            @OptionGroup var options: TaskOptions

            func run() throws {
                let host = try options.global.host()
                let records = try options.run { () throws(TaskError) in try TaskTokens(store: host.store).list() }
                if options.global.json { Output.out(JSONValue.array(records.map(\.json)).serialized()); return }
                if records.isEmpty { Output.out("No tokens (kernel tasks token create --scope manage)."); return }
                let now = Date()
                func d(_ x: Date?) -> String { x.map { Format.date($0) } ?? "—" }
                Output.out(Format.table([["PREFIX", "NAME", "SCOPES", "EXPIRES", "LAST USED", "STATE"]] + records.map { r in
                    let state = r.revokedAt != nil ? "revoked" : (r.expiresAt.map { $0 <= now } ?? false ? "expired" : "active")
                    return [r.prefix, r.name.isEmpty ? "—" : r.name, r.scopes.map(\.description).joined(separator: ","), d(r.expiresAt), d(r.lastUsedAt), state]
                }))
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its prefix (kt-…).")
            @OptionGroup var options: TaskOptions
            @Argument(help: "The token's prefix as `token list` shows it.")
            var prefix: String

            func run() throws {
                let host = try options.global.host()
                let r = try options.run { () throws(TaskError) in try TaskTokens(store: host.store).revoke(prefix) }
                Output.out(options.global.json ? r.json.serialized() : "Revoked \(r.prefix).")
            }
        }
    }
}
