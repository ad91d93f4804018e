import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel hooks list`
    struct Hooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hooks",
            abstract: "Hooks from the settings files and enabled plugins (all sources merge); fire an event.",
            subcommands: [List.self, Fire.self, Migrate.self, RunAsync.self])

        /// `kernel hooks migrate --from-claude [--dry-run] [--claude-dir DIR]`
        struct Migrate: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "migrate", abstract: "Copy Claude Code hooks into the Qoder settings files of the same scope.",
                discussion: "Reads ~/.claude/settings.json (user), the project's .claude/settings.json (project) and "
                    + ".claude/settings.local.json (local); writes the hooks into ~/.qoder/settings.json, .qoder/settings.json and "
                    + ".qoder/settings.local.json through the settings editor. CLAUDE_PROJECT_DIR, CLAUDE_PLUGIN_ROOT, "
                    + "CLAUDE_PLUGIN_DATA and CLAUDE_SESSION_ID become their QODER_ names; a handler already there is not added "
                    + "again; events the Qoder CLI does not fire are skipped and reported.")
            @OptionGroup var global: GlobalOptions
            @Flag(name: .customLong("from-claude"), help: "Migrate from Claude Code (the only source; required).") var fromClaude = false
            @Flag(name: .long, help: "Show the edits; write nothing.") var dryRun = false
            @Option(name: .long, help: "Claude Code's user folder (default: $CLAUDE_CONFIG_DIR, else ~/.claude).") var claudeDir: String?

            func validate() throws {
                guard fromClaude else { throw ValidationError("say where to migrate from: --from-claude (Claude Code is the only source)") }
            }

            func run() throws {
                let host = try global.host()
                let environment = ProcessInfo.processInfo.environment
                let dir = claudeDir ?? environment["CLAUDE_CONFIG_DIR"] ?? FileSystem.join(environment["HOME"] ?? NSHomeDirectory(), ".claude")
                let r = try global.run { () throws(KernelError) in try host.migrateClaudeHooks(claudeDir: dir, dryRun: dryRun) }
                func item(_ i: PluginHost.HookMigrationItem) -> JSONValue {
                    var members: [(String, JSONValue)] = [("scope", .string(i.scope.rawValue)), ("from", .string(i.from)), ("to", .string(i.to)),
                                                          ("event", .string(i.event)), ("matcher", .optional(i.matcher))]
                    members.append(("handler", i.handler ?? .null))
                    if let reason = i.reason { members.append(("reason", .string(reason))) }
                    return .object(members)
                }
                if global.json {
                    Output.out(JSONValue.object([
                        ("ok", true), ("dryRun", .bool(r.dryRun)),
                        ("sources", .array(r.sources.map { .object([("scope", .string($0.scope.rawValue)), ("file", .string($0.file))]) })),
                        ("moved", .array(r.moved.map(item))), ("skipped", .array(r.skipped.map(item))),
                        ("edited", .array(r.edits.map { .object([("scope", .string($0.scope.rawValue)), ("file", .string($0.file)),
                                                                 ("before", .optional($0.before)), ("after", .string($0.after))]) })),
                    ]).serialized())
                    return
                }
                for s in r.sources { Output.out("Found Claude Code settings in: \(s.file) (\(s.scope.rawValue))") }
                for m in r.moved {
                    let what = m.handler.flatMap { Self.summary($0) } ?? ""
                    Output.out("\(r.dryRun ? "would move" : "moved")  \(m.event)[\(m.matcher ?? "*")] \(what) -> \(m.to)")
                }
                for s in r.skipped {
                    let what = s.handler.flatMap { Self.summary($0) }.map { " " + $0 } ?? ""
                    Output.out("skipped  \(s.event)[\(s.matcher ?? "*")]\(what): \(s.reason ?? "")")
                }
                if r.dryRun {
                    for e in r.edits { Output.out(Self.diff(e.file, e.before, e.after)) }
                    Output.out("Dry run: \(r.moved.count) handler(s) would be migrated; nothing was written.")
                } else if r.moved.isEmpty {
                    Output.out("No hooks to migrate: the Qoder settings already hold every Claude Code handler.")
                } else {
                    Output.out("Migrated \(r.moved.count) handler(s) into \(r.edits.map(\.file).joined(separator: ", ")). Review them with `kernel hooks list`.")
                }
            }

            /// `command: …`, `url: …` or `prompt: …`, shortened.
            static func summary(_ handler: JSONValue) -> String? {
                guard case .object(let members) = handler else { return nil }
                for key in ["command", "url", "prompt"] {
                    if case .string(let s)? = members.first(where: { $0.0 == key })?.1 { return "\(key): \(Format.short(s, limit: 60))" }
                }
                return nil
            }

            /// The lines that differ between `before` and `after` (common leading and trailing lines left out), as
            /// one unified-diff hunk.
            static func diff(_ file: String, _ before: String?, _ after: String) -> String {
                let old = before.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
                let new = after.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                var head = 0
                while head < old.count, head < new.count, old[head] == new[head] { head += 1 }
                var tail = 0
                while tail < old.count - head, tail < new.count - head, old[old.count - 1 - tail] == new[new.count - 1 - tail] { tail += 1 }
                let removed = old[head..<(old.count - tail)], added = new[head..<(new.count - tail)]
                var lines = ["--- \(before == nil ? "/dev/null" : file)", "+++ \(file)",
                             "@@ -\(head + 1),\(removed.count) +\(head + 1),\(added.count) @@"]
                lines += removed.map { "-" + $0 } + added.map { "+" + $0 }
                return lines.joined(separator: "\n")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List hook handlers with their event, matcher, source and state.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose(needs: .hooks)
                if options.global.json {
                    Output.out(c.masked(JSONValue.array(c.registry.hooks.map(\.listingJSON)
                                                        + c.registry.nativeHooks.map(\.listingJSON)).serialized()))
                    return
                }
                var rows = c.registry.hooks.flatMap { e in
                    e.item.handlers.map { h -> [String] in
                        let what = h.command ?? h.url ?? h.prompt ?? ""
                        var r = Inspect.row(e, nil)
                        r[0] = "\(e.item.event)[\(e.item.matcher ?? "*")]"
                        r[3] = "\(h.type.rawValue): \(Format.short(what, limit: 60))"
                        return r
                    }
                }
                for e in c.registry.nativeHooks {
                    var r = Inspect.row(e, nil)
                    r[0] = "\(e.item.event)[\(e.item.matcher ?? "*")]"
                    r[3] = "native: \(e.item.name) (\(e.provenance.file ?? "?"))"
                    rows.append(r)
                }
                if rows.isEmpty { Output.out("No hooks."); return }
                Output.out(c.masked(Format.table([["EVENT[MATCHER]", "SOURCE", "STATE", "HANDLER"]] + rows)))
            }
        }
    }
}
