import ArgumentParser
import Foundation
import KernelCore
import KernelHost

/// Options of every inspection command: the global ones plus session-only plugin folders.
struct InspectOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption, help: "Plugin folders to add for this run only.")
    var pluginDirs: [String] = []

    func compose(needs: PluginHost.Needs = .all) throws -> (PluginHost, PluginHost.Composition) {
        let host = try global.host()
        let composition = try global.run { () throws(KernelError) in try host.compose(pluginDirs: pluginDirs, needs: needs) }
        return (host, composition)
    }
}

/// Rows and JSON shared by the listings.
enum Inspect {
    static func provenance<T>(_ e: RegistryEntry<T>) -> [(String, JSONValue)] {
        [
            ("source", .string(e.provenance.source.rawValue)),
            ("scope", .optional(e.provenance.scope?.rawValue)),
            ("plugin", .optional(e.provenance.pluginID)),
            ("file", .optional(e.provenance.file)),
            ("line", e.provenance.line.map { .int($0) } ?? .null),
            ("state", .string(e.state.name)),
            ("reason", .optional(e.state.reason)),
        ]
    }

    static func row<T>(_ e: RegistryEntry<T>, _ description: String?) -> [String] {
        var origin = e.provenance.source.rawValue
        if let scope = e.provenance.scope, scope.rawValue != origin { origin += "/\(scope.rawValue)" }
        if let plugin = e.provenance.pluginID { origin += " \(plugin)" }
        let state: String = switch e.state {
        case .active: "active"
        case .shadowed: e.state.reason ?? "shadowed"
        case .inactive(let reason): "inactive: \(reason)"
        }
        return [e.name, origin, state, Format.short(description, limit: 60)]
    }

    /// Prints a listing: with `--json` one object per entry (its own fields, then provenance and state), else a
    /// table of name, origin, state and description.
    static func list<T>(_ entries: [RegistryEntry<T>], json: Bool, empty: String,
                        description: (T) -> String?, fields: (T) -> [(String, JSONValue)] = { _ in [] }) {
        if json {
            Output.out(JSONValue.array(entries.map { e in
                .object([("name", .string(e.name)), ("description", .optional(description(e.item)))]
                        + fields(e.item) + provenance(e))
            }).serialized())
        } else {
            printTable(entries.map { row($0, description($0.item)) }, empty: empty)
        }
    }

    static func printTable(_ rows: [[String]], empty: String) {
        if rows.isEmpty { Output.out(empty); return }
        Output.out(Format.table([["NAME", "SOURCE", "STATE", "DESCRIPTION"]] + rows))
    }

    /// Looks a name up, failing with "did you mean" or the candidates of an ambiguous bare name.
    static func find<T>(_ lookup: Registry.Lookup<T>, kind: String, name: String, global: GlobalOptions) throws -> RegistryEntry<T> {
        switch lookup {
        case .found(let entry):
            return entry
        case .ambiguous(let entries):
            throw global.fail(KernelError(.ambiguous, "\(kind) '\(name)' is ambiguous: \(entries.map(\.name).joined(separator: ", "))"))
        case .notFound(let suggestion):
            throw global.fail(KernelError(.notFound, "no \(kind) named '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")))
        }
    }

    /// The plugin root and data folder of a plugin component, for variable substitution.
    static func context<T>(_ e: RegistryEntry<T>, host: PluginHost, composition: PluginHost.Composition) -> RenderContext {
        host.renderContext(for: e, composition: composition)
    }
}

extension KernelCommand {
    /// `kernel skills list|show`
    struct Skills: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skills", abstract: "Skills from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List skills with their source, scope and plugin.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.skills, json: options.global.json, empty: "No skills.", description: \.description)
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one skill: its fields and SKILL.md body.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The skill's name (plugin skills: plugin:skill, or the bare name when unambiguous).")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.skill(named: name), kind: "skill", name: name, global: options.global)
                let s = e.item
                if options.global.json {
                    Output.out(JSONValue.object([
                        ("name", .string(e.name)), ("description", .string(s.description)),
                        ("license", .optional(s.license)), ("compatibility", .optional(s.compatibility)),
                        ("allowedTools", .strings(s.allowedTools)),
                        ("metadata", .object(s.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                        ("body", .string(s.body)),
                    ] + Inspect.provenance(e)).serialized())
                } else {
                    Output.out("Skill \(e.name) (\(e.provenance.label), \(s.file))")
                    Output.out("Description: \(s.description)")
                    if !s.allowedTools.isEmpty { Output.out("Allowed tools: \(s.allowedTools.joined(separator: ", "))") }
                    if let reason = e.state.reason { Output.out("State: \(e.state.name): \(reason)") }
                    Output.out("")
                    Output.out(s.body)
                }
            }
        }
    }

    /// `kernel commands list|show|render`
    struct Commands: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commands", abstract: "Slash commands from the user and project folders and enabled plugins.",
            subcommands: [List.self, Show.self, Render.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List commands with their source, scope and plugin.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.commands, json: options.global.json, empty: "No commands.",
                             description: \.description, fields: { [("argumentHint", .optional($0.argumentHint)),
                                                                      ("native", .bool($0.isNative))] })
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one command: its fields and prompt.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The command's name, without the slash.")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.command(named: name), kind: "command", name: name, global: options.global)
                let cmd = e.item
                if options.global.json {
                    Output.out(JSONValue.object([
                        ("name", .string(e.name)), ("description", .optional(cmd.description)),
                        ("argumentHint", .optional(cmd.argumentHint)), ("allowedTools", .strings(cmd.allowedTools)),
                        ("model", .optional(cmd.model)), ("native", .bool(cmd.isNative)),
                        ("module", .optional(cmd.nativeModule)), ("body", cmd.isNative ? .null : .string(cmd.body)),
                    ] + Inspect.provenance(e)).serialized())
                } else {
                    Output.out("/\(e.name)" + (cmd.argumentHint.map { " \($0)" } ?? "") + " (\(e.provenance.label), \(cmd.file))")
                    if let d = cmd.description { Output.out("Description: \(d)") }
                    if !cmd.allowedTools.isEmpty { Output.out("Allowed tools: \(cmd.allowedTools.joined(separator: ", "))") }
                    if let reason = e.state.reason { Output.out("State: \(e.state.name): \(reason)") }
                    if let module = cmd.nativeModule {
                        Output.out("Native: the prompt is produced by \(module) when the command is rendered")
                        return
                    }
                    Output.out("")
                    Output.out(cmd.body)
                }
            }
        }

        struct Render: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "render", abstract: "Print the prompt a host would submit for /name args…",
                discussion: "$ARGUMENTS, $ARGUMENTS[N] and $N (0-based) are replaced; without any of them the "
                    + "arguments are appended as 'ARGUMENTS: …'. ${QODER_PLUGIN_ROOT}, ${QODER_PLUGIN_DATA} and "
                    + "${QODER_PROJECT_DIR} (and the CLAUDE_ spellings) are substituted. A native command's "
                    + "prompt comes from its module's function (the module is loaded for it); if that fails, "
                    + "the exit status is 1 with the module's message.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The command's name, without the slash.")
            var name: String
            @Argument(parsing: .captureForPassthrough, help: "The command's arguments.")
            var arguments: [String] = []

            func run() throws {
                let (host, c) = try options.compose()
                let e = try Inspect.find(c.registry.command(named: name), kind: "command", name: name, global: options.global)
                let prompt = try options.global.run { () throws(KernelError) in
                    try host.renderCommand(e, arguments: arguments, composition: c)
                }
                if options.global.json {
                    Output.out(JSONValue.object([("name", .string(e.name)), ("prompt", .string(prompt))]).serialized())
                } else {
                    Output.out(prompt)
                }
            }
        }
    }

    /// `kernel agents list|show`
    struct Agents: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agents", abstract: "Subagents: builtin < user < project < plugin < flag; shadowed ones are listed too.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List subagents with their source and state.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                Inspect.list(c.registry.agents, json: options.global.json, empty: "No agents.",
                             description: \.description, fields: { [("model", .optional($0.model))] })
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one subagent: its fields and system prompt.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The agent's name (or plugin:name).")
            var name: String

            func run() throws {
                let (_, c) = try options.compose()
                let e = try Inspect.find(c.registry.agent(named: name), kind: "agent", name: name, global: options.global)
                let a = e.item
                let fields: [(String, JSONValue)] = [
                    ("name", .string(a.name)), ("description", .string(a.description)),
                    ("tools", a.tools.map(JSONValue.strings) ?? .null),
                    ("disallowedTools", a.disallowedTools.map(JSONValue.strings) ?? .null),
                    ("model", .optional(a.model)), ("permissionMode", .optional(a.permissionMode)),
                    ("color", .optional(a.color)), ("memory", .optional(a.memory)), ("isolation", .optional(a.isolation)),
                    ("maxTurns", a.maxTurns.map { .int($0) } ?? .null), ("timeoutMins", a.timeoutMins.map { .int($0) } ?? .null),
                    ("effort", .optional(a.effort)), ("prompt", .string(a.body)),
                ]
                if options.global.json {
                    Output.out(JSONValue.object(fields + Inspect.provenance(e)).serialized())
                } else {
                    Output.out("Agent \(a.name) (\(e.provenance.label), \(a.file))")
                    for (key, value) in fields.dropFirst() where key != "prompt" && value != .null {
                        Output.out("\(key): \(value.serialized(pretty: false))")
                    }
                    if let reason = e.state.reason { Output.out("state: \(e.state.name): \(reason)") }
                    Output.out("")
                    Output.out(a.body)
                }
            }
        }
    }

    /// `kernel hooks list`
    struct Hooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hooks",
            abstract: "Hooks from the settings files and enabled plugins (all sources merge); fire an event.",
            subcommands: [List.self, Fire.self, RunAsync.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List hook handlers with their event, matcher, source and state.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                if options.global.json {
                    let native: [JSONValue] = c.registry.nativeHooks.map { e in
                        .object([
                            ("event", .string(e.item.event)), ("matcher", .optional(e.item.matcher)),
                            ("handlers", .array([.object([("type", .string("native")), ("name", .string(e.item.name))])])),
                        ] + Inspect.provenance(e))
                    }
                    Output.out(JSONValue.array(c.registry.hooks.map { e in
                        .object([
                            ("event", .string(e.item.event)), ("matcher", .optional(e.item.matcher)),
                            ("handlers", .array(e.item.handlers.map { h in
                                .object([("type", .string(h.type.rawValue)), ("command", .optional(h.command)),
                                         ("args", h.args.map(JSONValue.strings) ?? .null), ("url", .optional(h.url)),
                                         ("prompt", .optional(h.prompt)), ("timeout", h.timeout.map { .double($0) } ?? .null)])
                            })),
                        ] + Inspect.provenance(e))
                    } + native).serialized())
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
                Output.out(Format.table([["EVENT[MATCHER]", "SOURCE", "STATE", "HANDLER"]] + rows))
            }
        }
    }

    /// `kernel mcp list`
    struct MCP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "MCP servers: local > project > user; plugin servers are plugin:server.",
            subcommands: [List.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List MCP servers with variables expanded.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (host, c) = try options.compose()
                let base = ProcessInfo.processInfo.environment
                var items: [JSONValue] = []
                var rows: [[String]] = []
                for e in c.registry.mcpServers {
                    let s = e.item
                    var env = base
                    let ctx = Inspect.context(e, host: host, composition: c)
                    for prefix in ["QODER", "CLAUDE"] {
                        env["\(prefix)_PROJECT_DIR"] = ctx.projectDir
                        if let root = ctx.pluginRoot { env["\(prefix)_PLUGIN_ROOT"] = root }
                        if let data = ctx.pluginData { env["\(prefix)_PLUGIN_DATA"] = data }
                    }
                    var missing: [String] = []
                    func x(_ text: String) -> String {
                        let r = VariableExpander.expand(text, environment: env)
                        missing += r.missing
                        return r.result
                    }
                    let command = s.command.map(x)
                    let args = s.args.map(x)
                    let url = s.url.map(x)
                    let serverEnv = s.env.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string(x($0.value))) }
                    let headers = s.headers.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string(x($0.value))) }
                    var seen = Set<String>()
                    missing = missing.filter { seen.insert($0).inserted }
                    items.append(.object([
                        ("name", .string(e.name)), ("type", .string(s.transport.rawValue)),
                        ("command", .optional(command)), ("args", .strings(args)), ("url", .optional(url)),
                        ("env", .object(serverEnv)), ("headers", .object(headers)), ("missingVariables", .strings(missing)),
                    ] + Inspect.provenance(e)))
                    var r = Inspect.row(e, nil)
                    r[3] = url.map { "\(s.transport.rawValue) \($0)" } ?? ([command ?? ""] + args).joined(separator: " ")
                    if !missing.isEmpty { r[3] += "  (unset: \(missing.joined(separator: ", ")))" }
                    rows.append(r)
                }
                if options.global.json {
                    Output.out(JSONValue.array(items).serialized())
                } else if rows.isEmpty {
                    Output.out("No MCP servers.")
                } else {
                    Output.out(Format.table([["NAME", "SOURCE", "STATE", "SERVER"]] + rows))
                }
            }
        }
    }

    /// `kernel trust [DIR]`
    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust", abstract: "Trust a project folder: its hooks, MCP servers and project-scope plugins' hooks may run.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project folder (default: the current project).")
        var directory: String?

        func run() throws {
            let host = try global.host()
            let path = directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? host.paths.project
            do { try host.store.trust(path) } catch { throw global.fail(KernelError(.store, "\(error)")) }
            Output.out(global.json ? JSONValue.object([("ok", true), ("trusted", .string(path))]).serialized()
                                   : "Trusted \(path).")
        }
    }

    /// `kernel untrust [DIR]`
    struct Untrust: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "untrust", abstract: "Withdraw trust from a project folder.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The project folder (default: the current project).")
        var directory: String?

        func run() throws {
            let host = try global.host()
            let path = directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? host.paths.project
            let removed: Bool
            do { removed = try host.store.untrust(path) } catch { throw global.fail(KernelError(.store, "\(error)")) }
            Output.out(global.json ? JSONValue.object([("ok", true), ("untrusted", .string(path)), ("wasTrusted", .bool(removed))]).serialized()
                                   : removed ? "No longer trusted: \(path)." : "\(path) was not trusted.")
        }
    }
}

extension KernelCommand {
    /// `kernel cache clear`
    struct Cache: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache", abstract: "The component cache (what makes a warm start read no plugin file).",
            subcommands: [Clear.self])

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "clear", abstract: "Empty the component cache; the next run reads every file.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let host = try global.host()
                let removed = try global.run { () throws(KernelError) in try host.clearCache() }
                Output.out(global.json ? JSONValue.object([("ok", true), ("removed", .int(removed))]).serialized()
                                       : "Removed \(removed) cache entr\(removed == 1 ? "y" : "ies").")
            }
        }
    }
}
