import ArgumentParser
import KernelCore
import KernelHost
import KernelMemory
import KernelNative
import KernelTasks

extension KernelCommand.Plugins {
    /// `kernel plugins validate <path> [--strict] [--json]`
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate", abstract: "Check a plugin folder or a marketplace folder and report every problem.",
            discussion: """
                A folder holding .qoder-plugin/marketplace.json, .claude-plugin/marketplace.json or \
                marketplace.json is validated as a marketplace (with every plugin its relative entries point at); \
                any other folder as a plugin. Diagnostics are printed as path:line:col: severity: message.
                Exit status: 0 valid (warnings allowed unless --strict), 1 invalid, 64 usage error.
                """
        )

        enum Kind: String, ExpressibleByArgument, CaseIterable { case auto, plugin, marketplace }

        @Argument(help: "The plugin or marketplace folder.")
        var path: String

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        @Flag(help: "Print one JSON object.")
        var json = false

        @Option(name: .customLong("as"), help: "Validate the folder as a plugin or as a marketplace (default: auto).")
        var kind: Kind = .auto

        func run() throws {
            guard FileSystem.isDirectory(path) else {
                throw ValidationError("'\(path)' is not a folder")
            }
            let asMarketplace = kind == .marketplace || (kind == .auto && MarketplaceLoader.manifestFile(in: path) != nil)
            let valid: Bool
            if asMarketplace {
                var marketplace = MarketplaceLoader.load(at: path)
                for i in marketplace.plugins.indices {
                    guard let bundle = marketplace.plugins[i].bundle, !bundle.modules.isEmpty else { continue }
                    marketplace.plugins[i].bundle?.diagnostics += PluginHost.validationScans(bundle).flatMap(\.components.diagnostics)
                }
                valid = strict ? !marketplace.allDiagnostics.contains { $0.severity >= .warning } : marketplace.isValid
                if json {
                    Output.out(ValidationReport.json(marketplace, strict: strict).serialized())
                } else {
                    printText(marketplace, valid: valid)
                }
            } else {
                let (bundle, modules, memory, tasks) = Self.checked(path)
                valid = strict ? bundle.isStrictlyValid : bundle.isValid
                if json {
                    var report = ValidationReport.json(bundle, strict: strict)
                    if case .object(var fields) = report {
                        if let i = fields.firstIndex(where: { $0.0 == "components" }), case .object(var components) = fields[i].1 {
                            components += [("rules", .strings(memory.rules)), ("workflows", .strings(memory.workflows))]
                            fields[i].1 = .object(components)
                        }
                        fields.append(("moduleScans", .array(modules.map(\.json))))
                        fields.append(("tasks", .strings(tasks.map(\.name))))
                        report = .object(fields)
                    }
                    Output.out(report.serialized())
                } else {
                    Output.out(ValidationReport.text(bundle))
                    if !memory.rules.isEmpty { Output.out("  rules (\(memory.rules.count)): \(memory.rules.joined(separator: ", "))") }
                    if !memory.workflows.isEmpty { Output.out("  workflows (\(memory.workflows.count)): \(memory.workflows.joined(separator: ", "))") }
                    if !tasks.isEmpty { Output.out("  tasks (\(tasks.count)): \(tasks.map(\.name).joined(separator: ", "))") }
                    for m in modules { Output.out(ModulesReport.text(m, indent: "  ")) }
                    printDiagnostics(bundle.diagnostics)
                    Output.out(verdict(valid, bundle.diagnostics))
                }
            }
            if !valid { throw ExitCode(1) }
        }

        /// The plugin folder at `path` with every check `validate` runs, their diagnostics in the bundle's: its own,
        /// the native module scans (out of process, only when it has modules), rules and workflows (KernelMemory
        /// reads them), task blueprints. Also used by `marketplace build`.
        static func checked(_ path: String) -> (bundle: PluginBundle, modules: [ModuleListing], memory: PluginMemoryComponents,
                                                tasks: [BlueprintEntry]) {
            var bundle = BundleLoader.load(at: path)
            let modules = PluginHost.validationScans(bundle)
            for m in modules { bundle.diagnostics += m.components.diagnostics }
            let memory = PluginMemoryComponents(root: bundle.root)
            bundle.diagnostics += memory.diagnostics
            let tasks = Self.tasks(bundle)
            bundle.diagnostics += tasks.flatMap(\.diagnostics)
            return (bundle, modules, memory, tasks)
        }

        /// The bundle's task blueprints (`tasks/*.md`), named `plugin:name`, each with its diagnostics.
        static func tasks(_ bundle: PluginBundle) -> [BlueprintEntry] {
            BlueprintCatalog.readFolder(FileSystem.join(bundle.root, "tasks"), source: .plugin,
                                        plugin: TaskPluginRoot(id: bundle.name, name: bundle.name, root: bundle.root, enabled: true, projectScoped: false))
        }

        func printText(_ marketplace: MarketplaceBundle, valid: Bool) {
            let count = marketplace.plugins.count
            Output.out("Marketplace \(marketplace.name) (\(marketplace.root)): \(count) plugin\(count == 1 ? "" : "s")")
            printDiagnostics(marketplace.diagnostics)
            for plugin in marketplace.plugins {
                if let bundle = plugin.bundle {
                    Output.out(ValidationReport.text(bundle, indent: "  "))
                } else {
                    Output.out("  Plugin \(plugin.entry.name) (\(plugin.entry.source.summary); not fetched, entry checked)")
                }
                printDiagnostics(plugin.diagnostics + (plugin.bundle?.diagnostics ?? []))
            }
            Output.out(verdict(valid, marketplace.allDiagnostics))
        }

        func printDiagnostics(_ diagnostics: [Diagnostic]) {
            for d in diagnostics { Output.out(d.description) }
        }

        func verdict(_ valid: Bool, _ diagnostics: [Diagnostic]) -> String {
            let counts = ValidationReport.counts(diagnostics)
            if valid { return "Validation passed (\(counts))." }
            if strict && !diagnostics.contains(where: { $0.severity == .error }) {
                return "Validation failed with --strict (\(counts))."
            }
            return "Validation failed (\(counts))."
        }
    }
}
