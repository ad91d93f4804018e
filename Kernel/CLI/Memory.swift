import ArgumentParser
import KernelCore
import KernelHost
import KernelMemory

/// Options of the memory commands: the global ones, the session's working directory and `--plugin-dir`.
struct MemoryOptionGroup: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("The working directory the session starts in (default: the current one).", valueName: "dir"))
    var cwd: String?

    @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption, help: "Plugin folders to add for this run only.")
    var pluginDirs: [String] = []

    /// The host for a session in `--cwd`: the project (and its trust) is found from there.
    func host() throws -> (PluginHost, String) {
        let current = KernelPaths.currentDirectory()
        let dir = KernelPaths.normalize(cwd ?? current, relativeTo: current)
        guard FileSystem.isDirectory(dir) else { throw ValidationError("'\(cwd ?? dir)' is not a folder") }
        do {
            return (try PluginHost(paths: KernelPaths(home: global.home, project: global.project, cwd: dir)), dir)
        } catch {
            throw global.fail(error)
        }
    }

    func memory() throws -> MemoryContext {
        let (host, dir) = try host()
        let memory = try global.run { () throws(KernelError) in try host.memory(cwd: dir, pluginDirs: pluginDirs) }
        Teardown.leave(host, memory)
        return memory
    }
}

extension KernelCommand {
    /// `kernel memory show`
    struct Memory: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "memory", abstract: "Static memory: AGENTS.md files and rules a session gets.",
            subcommands: [Show.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show",
                abstract: "The static memory a session starting in --cwd gets, in injection order.",
                discussion: """
                    Each item has its source (user, plugin, project, local), path, activation mode and why it applies. \
                    With --accessed, the on-demand walk runs for each file in turn (as after the session reads it) and \
                    what it adds follows: subfolder AGENTS.md files and file-scoped rules.
                    """)
            @OptionGroup var options: MemoryOptionGroup

            @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Files the session reads, in order.", valueName: "file"))
            var accessed: [String] = []

            @Flag(name: .long, help: "Leave the injected text out of --json.")
            var noContent = false

            func run() throws {
                let memory = try options.memory()
                for file in accessed { memory.access(file) }
                if options.global.json {
                    Output.out(bytes: memory.jsonBytes(includeContent: !noContent))
                    return
                }
                for d in memory.diagnostics.items { Output.err(d.description) }
                Output.out("Memory for \(memory.options.cwd) (walk from \(memory.ceiling)\(memory.options.trusted ? "" : "; project not trusted"))")
                if memory.items.isEmpty {
                    Output.out("No memory files.")
                } else {
                    let rows = memory.items.enumerated().map { i, item -> [String] in
                        let kind = item.mode.map { "rule \($0.rawValue)" } ?? item.kind.rawValue
                        return ["\(i + 1).", item.plugin.map { "plugin \($0)" } ?? item.source, kind, item.path, item.reason]
                    }
                    Output.out(Format.table([["#", "SOURCE", "KIND", "PATH", "WHY"]] + rows))
                }
                Output.out("Rules: \(memory.ruleCharacters) of \(memory.options.ruleBudget) characters.")
                for item in memory.cut { Output.out("Cut (over the budget): \(item.path) (\(item.characters) characters)") }
                for item in memory.items {
                    for i in item.imports where i.status != .imported {
                        Output.out("Import not expanded: \(i.parent):\(i.line): @\(i.reference): \(i.status.rawValue)\(i.reason.map { " (\($0))" } ?? "")")
                    }
                }
                for s in memory.skipped { Output.out("Skipped: \(s.path): \(s.reason)") }
            }
        }
    }

    /// `kernel rules list`
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules", abstract: "Rules from the user folder, enabled plugins and the project walk.",
            subcommands: [List.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List rules with their source, activation mode, state and reason.")
            @OptionGroup var options: MemoryOptionGroup

            func run() throws {
                let memory = try options.memory()
                if options.global.json {
                    Output.out(JSONValue.array(memory.rules.map(\.json)).serialized())
                    return
                }
                for d in memory.diagnostics.items where d.severity != .note { Output.err(d.description) }
                if memory.rules.isEmpty { Output.out("No rules."); return }
                Output.out(Format.table([["NAME", "SOURCE", "MODE", "STATE", "PATH"]] + memory.rules.map { r in
                    [r.name, r.plugin.map { "plugin \($0)" } ?? r.source, r.rule.mode.rawValue, "\(r.state): \(r.reason)", r.path]
                }))
            }
        }
    }

    /// `kernel workflows list|show`
    struct Workflows: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workflows", abstract: "Saved workflows (workflows/*.js) of the project, the user and plugins.",
            subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "List workflows with their source, state and description (scripts are never run).")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let host = try options.global.host()
                let entries = try options.global.run { () throws(KernelError) in try host.workflows(pluginDirs: options.pluginDirs) }
                if options.global.json {
                    Output.out(JSONValue.array(entries.map(\.json)).serialized())
                    return
                }
                for e in entries { for d in e.diagnostics { Output.err(d.description) } }
                if entries.isEmpty { Output.out("No workflows."); return }
                Output.out(Format.table([["NAME", "SOURCE", "STATE", "DESCRIPTION"]] + entries.map { e in
                    var origin = e.source
                    if let plugin = e.plugin { origin += " \(plugin)" }
                    let state = e.state == "active" ? "active" : "\(e.state): \(e.reason ?? "")"
                    return [e.name, origin, state, Format.short(e.workflow?.description, limit: 60)]
                }))
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one workflow's meta: phases and input schema.")
            @OptionGroup var options: InspectOptions
            @Argument(help: "The workflow's name (plugin workflows: plugin:name).")
            var name: String

            func run() throws {
                let host = try options.global.host()
                let entries = try options.global.run { () throws(KernelError) in try host.workflows(pluginDirs: options.pluginDirs) }
                let matches = entries.filter { $0.name == name }
                guard let e = matches.first(where: { $0.state == "active" }) ?? matches.first else {
                    let suggestion = closestMatch(name, in: entries.map(\.name))
                    throw options.global.fail(KernelError(.notFound, "no workflow named '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")))
                }
                if options.global.json {
                    Output.out(e.json.serialized())
                    return
                }
                for d in e.diagnostics { Output.err(d.description) }
                Output.out("Workflow \(e.name) (\(e.source)\(e.plugin.map { " \($0)" } ?? ""), \(e.path))")
                Output.out("State: \(e.state)\(e.reason.map { ": \($0)" } ?? "")")
                guard let w = e.workflow else { return }
                Output.out("Description: \(w.description)")
                if let title = w.title { Output.out("Title: \(title)") }
                if let when = w.whenToUse { Output.out("When to use: \(when)") }
                if !w.phases.isEmpty {
                    Output.out("Phases:")
                    for (i, p) in w.phases.enumerated() {
                        Output.out("  \(i + 1). \(p.title)\(p.detail.map { ": \($0)" } ?? "")\(p.model.map { " [model \($0)]" } ?? "")")
                    }
                }
                if let schema = w.inputSchema { Output.out("Input schema: \(schema.serialized(pretty: false))") }
            }
        }
    }
}
