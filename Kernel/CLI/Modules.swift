import ArgumentParser
import KernelCore
import KernelHost
import KernelNative

extension KernelCommand {
    /// `kernel modules list [--json]`
    struct Modules: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "modules",
            abstract: "Native modules (.so): built-in ones beside kernel and those of installed plugins.",
            subcommands: [List.self, Rescan.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list",
                abstract: "List native modules: plugin, path, ABI, toolchain, state (ok / refused / broken) and contributions.",
                discussion: """
                    Scan results are cached by file (path, device, inode, size, mtime) and host ABI: listing opens no \
                    module whose file is unchanged. New or changed modules are scanned in a separate process; one \
                    that crashes or hangs it is listed as broken until its file changes.
                    """)
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose()
                if options.global.json {
                    Output.out(JSONValue.array(c.modules.map(ModulesReport.json)).serialized())
                    return
                }
                if c.modules.isEmpty { Output.out("No native modules."); return }
                for m in c.modules { Output.out(ModulesReport.text(m)) }
            }
        }

        struct Rescan: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rescan",
                abstract: "Forget every module scan (broken verdicts included); the next command scans again.")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                let host = try global.host()
                let removed = try global.run { () throws(KernelError) in try host.clearModuleScans() }
                Output.out(global.json ? JSONValue.object([("ok", true), ("removed", .int(removed))]).serialized()
                                       : "Forgot \(removed) module scan\(removed == 1 ? "" : "s").")
            }
        }
    }
}

enum ModulesReport {
    static func contributions(_ c: ModuleComponents) -> [(String, [String])] {
        [
            ("commands", c.commands.map(\.name)), ("skills", c.skills.map(\.name)), ("agents", c.agents.map(\.name)),
            ("hooks", c.hooks.map { "\($0.event)[\($0.matcher ?? "*")]" }), ("mcpServers", c.mcpServers.map(\.name)),
            ("outputStyles", c.outputStyles.map(\.name)),
            ("nativeHooks", c.nativeHooks.map { "\($0.event)[\($0.matcher ?? "*")] \($0.name)" }),
            ("evaluators", c.evaluators.map(\.name)),
            ("nativeCommands", c.nativeCommands.map(\.name)),
        ]
    }

    static func json(_ m: ModuleListing) -> JSONValue {
        let r = m.result
        return .object([
            ("plugin", .optional(m.pluginID)), ("builtin", .bool(m.pluginID == nil)), ("path", .string(r.path)),
            ("name", .optional(r.descriptor?.name)), ("version", .optional(r.descriptor?.version)),
            ("abi", .optional(r.descriptor?.abi)), ("toolchain", .optional(r.descriptor?.toolchain)),
            ("state", .string(r.state.rawValue)), ("reason", .optional(r.reason)),
            ("signal", r.signal.map { .int(Int($0)) } ?? .null), ("cached", .bool(r.fromCache)),
            ("contributes", .object(contributions(m.components).map { ($0.0, .strings($0.1)) })),
            ("logs", .array(r.logs.map { .object([("level", .string($0.levelName)), ("message", .string($0.message))]) })),
            ("diagnostics", .array(m.components.diagnostics.map(ValidationReport.json))),
        ])
    }

    static func text(_ m: ModuleListing, indent: String = "") -> String {
        let r = m.result
        var head = "\(indent)\(r.descriptor.map { "\($0.name) \($0.version)" } ?? FileSystem.baseName(r.path))"
        head += "  [\(m.pluginID ?? "builtin")]  \(r.path)"
        var lines = [head]
        if let d = r.descriptor { lines.append("\(indent)  ABI \(d.abi), toolchain \(d.toolchain)") }
        lines.append("\(indent)  state: \(r.stateDescription)")
        for (kind, names) in contributions(m.components) where !names.isEmpty {
            lines.append("\(indent)  \(kind) (\(names.count)): \(names.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
