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
                    Output.out(JSONValue.array(c.modules.map(\.json)).serialized())
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
    static func text(_ m: ModuleListing, indent: String = "") -> String {
        let r = m.result
        var head = "\(indent)\(r.descriptor.map { "\($0.name) \($0.version)" } ?? FileSystem.baseName(r.path))"
        head += "  [\(m.pluginID ?? "builtin")]  \(r.path)"
        var lines = [head]
        if let d = r.descriptor { lines.append("\(indent)  ABI \(d.abi), toolchain \(d.toolchain)") }
        lines.append("\(indent)  state: \(r.stateDescription)")
        for (kind, names) in m.contributionNames where !names.isEmpty {
            lines.append("\(indent)  \(kind) (\(names.count)): \(names.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
