import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelMarketplace

extension KernelCommand.Plugins {
    /// `kernel plugins sync [--dry-run] [--frozen] [--json]`
    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync", abstract: "Install exactly the project's plugin set (.qoder/settings.json and .qoder/plugins.lock).",
            discussion: "Adds the marketplaces the project declares, installs (at project scope) each plugin it enables, at the locked "
                + "commit and content when the lock has it, uninstalls project plugins it no longer names, and writes "
                + ".qoder/plugins.lock when it is absent or the set changed. --frozen installs exactly the lock and fails on any "
                + "mismatch without changing anything. Exit status: 0 in sync, 1 refused (untrusted project) or failed, 64 usage."
        )

        @OptionGroup var global: GlobalOptions

        @Flag(name: .long, help: "Print what would be done; fetch and write nothing.")
        var dryRun = false

        @Flag(name: .long, help: "Install exactly the lock; fail on a declared-vs-lock or content-vs-lock mismatch; never write the lock.")
        var frozen = false

        func run() throws {
            let host = try global.host()
            let report = try global.run { () throws(KernelError) in try host.keepingTrust { () throws(KernelError) in try host.syncProjectPlugins(dryRun: dryRun, frozen: frozen) } }
            // Plugins of the set that need user configuration: installed, reported, not a failure.
            let unconfigured = report.refusal != nil || dryRun ? [] : ((try? host.listings()) ?? []).filter {
                $0.scope == Scope.project.rawValue && !$0.missingConfig.isEmpty
            }
            if global.json {
                guard case .object(var members) = report.json else { return }
                members.append(("needsConfiguration", .array(unconfigured.map {
                    .object([("pluginId", .string($0.id)), ("missing", .strings($0.missingConfig))])
                })))
                Output.out(JSONValue.object(members).serialized())
            } else if let refusal = report.refusal {
                Output.err("error: refusing to sync: \(refusal)")
                if !report.actions.isEmpty {
                    Output.err("A sync would:")
                    for a in report.actions { Output.err("  \(a.text)") }
                }
            } else if report.inSync {
                Output.out("Project plugins already in sync (\(report.lockFile)).")
            } else {
                for a in report.actions { Output.out((dryRun ? "would " : "") + a.text) }
                if !dryRun { Output.out("Project plugins in sync.") }
            }
            if !global.json {
                for row in unconfigured {
                    Output.out("Plugin \"\(row.id)\" needs configuration: missing \(row.missingConfig.joined(separator: ", ")) "
                               + "(run `kernel plugins configure \(row.id) \(row.missingConfig[0])=…`).")
                }
            }
            if report.refusal != nil { throw ExitCode(1) }
        }
    }

    /// `kernel plugins status [--json]`
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "The project's plugin set: what it declares and what is missing, outdated or extra here.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let host = try global.host()
            let status = try global.run { () throws(KernelError) in try host.projectSetStatus() }
            if global.json {
                Output.out(status.json.serialized())
                return
            }
            var lines: [String] = []
            if !status.trusted {
                lines.append("Project not trusted" + (status.trustChanges.isEmpty ? "" : "; changed since it was trusted: "
                                                       + status.trustChanges.joined(separator: ", ")) + ".")
            }
            for m in status.marketplaces where !m.added { lines.append("Marketplace \(m.name): declared, not added here.") }
            if status.plugins.isEmpty {
                lines.append("The project declares no plugins.")
            } else {
                var rows = [["PLUGIN", "STATE", "INSTALLED", "LOCKED", "DETAIL"]]
                for p in status.plugins {
                    rows.append([p.id, p.state, p.installedVersion ?? "-", p.lockedVersion ?? "-", p.detail])
                }
                lines.append(Format.table(rows))
            }
            if !status.locked { lines.append("No lock: \(status.lockFile) (kernel plugins sync writes it).") }
            Output.out(lines.joined(separator: "\n"))
        }
    }
}
