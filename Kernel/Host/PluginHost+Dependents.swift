import Foundation
public import KernelCore
public import KernelStore

/// The other side of plugin dependencies: who needs an installed plugin, refusing to disable or uninstall it
/// while they do (unless cascading), and pruning auto-installed dependencies nothing needs any more.
extension PluginHost {
    /// The ids a receipt's plugin requires (its `requires`).
    static func requiredIDs(_ receipt: InstallReceipt) -> [String] {
        guard let node = try? JSONReader.parse(Array(receipt.requires.utf8)).0 else { return [] }
        return (node.array ?? []).compactMap { $0["id"]?.string }
    }

    /// The installed plugins here (user scope, and this project's) that require `id`; with `enabledOnly`, only
    /// those enabled.
    public func dependents(of id: String, enabledOnly: Bool) throws(KernelError) -> [InstallReceipt] {
        let requiring = try installed().filter { $0.id != id && Self.requiredIDs($0).contains(id) }
        // The settings are read only when someone requires it (a broken settings file elsewhere does not stop
        // disabling a plugin nothing needs).
        guard enabledOnly, !requiring.isEmpty else { return requiring }
        let states = try enabledStates()
        return requiring.filter { isEnabled($0, states: states) }
    }

    /// `id` and, transitively, every plugin that needs it (dependents first in the result's order is not
    /// promised; `cascadeOrder` sorts them).
    func dependentClosure(of id: String, enabledOnly: Bool) throws(KernelError) -> [String] {
        var seen: [String] = []
        var queue = [id]
        while let next = queue.popLast() {
            for dependent in try dependents(of: next, enabledOnly: enabledOnly).map(\.id) where !seen.contains(dependent) && dependent != id {
                seen.append(dependent)
                queue.append(dependent)
            }
        }
        return seen
    }

    /// Disables a plugin, refusing (code `dependency`, naming them) when enabled plugins require it, unless
    /// `cascade`: then those dependents (and theirs) are disabled first.
    /// - Returns: every plugin disabled, the named one last.
    public func disable(_ name: String, scope: Scope?, cascade: Bool) throws(KernelError) -> [(id: String, scope: Scope)] {
        let id = try receipts(matching: name)[0].id
        if case .forced(let why)? = managedPolicy()?.pluginDecision(id, marketplace: "local", source: nil) {
            throw KernelError(.policy, "Plugin \"\(id)\" is enforced by your organization administrator and cannot be disabled (\(why)).")
        }
        let dependents = try dependentClosure(of: id, enabledOnly: true)
        if !dependents.isEmpty && !cascade {
            // The reference host's words, and the way past them.
            throw KernelError(.dependency, "Cannot disable \"\(id)\" because enabled plugins depend on it: "
                              + dependents.sorted().joined(separator: ", ") + ". Disable those plugins first, or use --cascade.")
        }
        var done: [(id: String, scope: Scope)] = []
        for dependent in dependents.sorted() { done.append(try setEnabled(dependent, false, scope: nil)) }
        done.append(try setEnabled(id, false, scope: scope))
        return done
    }

    /// Uninstalls a plugin (see `uninstall(_:scope:keepData:)`), refusing (code `dependency`, naming them) when
    /// installed plugins require it, unless `cascade`: then those dependents (and theirs) are uninstalled first.
    /// Dependencies the plugin had are left installed until `prune`.
    /// - Returns: every uninstall, the named plugin's last.
    public func uninstall(_ name: String, scope: Scope?, keepData: Bool, cascade: Bool) throws(KernelError) -> [UninstallOutcome] {
        let matches = try receipts(matching: name, scope: scope)
        let id = matches[0].id
        // Only the last install of the plugin here leaves its dependents without it.
        let remainingElsewhere = try installed().filter { $0.id == id }.count > 1
        let dependents = try remainingElsewhere ? [] : dependentClosure(of: id, enabledOnly: false)
        if !dependents.isEmpty && !cascade {
            throw KernelError(.dependency, "Cannot uninstall \"\(id)\" because installed plugins depend on it: "
                              + dependents.sorted().joined(separator: ", ") + ". Uninstall those plugins first, or use --cascade.")
        }
        var done: [UninstallOutcome] = []
        for dependent in dependents.sorted() {
            for receipt in try installed().filter({ $0.id == dependent }) {
                done.append(try uninstall(dependent, scope: receipt.scope, keepData: keepData))
            }
        }
        done.append(try uninstall(id, scope: scope, keepData: keepData))
        return done
    }

    /// Auto-installed dependencies (receipt `autoInstalled`) that no installed plugin requires any more, found
    /// again after each removal (a dependency of a pruned dependency goes too). Never a plugin the user
    /// installed. With `dryRun`, nothing is removed.
    /// - Returns: the receipts removed (or that would be).
    public func prune(dryRun: Bool) throws(KernelError) -> [InstallReceipt] {
        var remaining = try installed()
        var pruned: [InstallReceipt] = []
        while true {
            let needed = Set(remaining.flatMap(Self.requiredIDs))
            let orphans = remaining.filter { $0.autoInstalled && !needed.contains($0.id) }
            if orphans.isEmpty { break }
            for orphan in orphans {
                if !dryRun { _ = try uninstall(orphan.id, scope: orphan.scope, keepData: false) }
                pruned.append(orphan)
            }
            remaining.removeAll { r in orphans.contains { $0.id == r.id && $0.scope == r.scope } }
        }
        return pruned
    }
}

extension PluginHost.PluginListing {
    /// Fills `autoInstalled`, `requires` and `requiredBy` from the receipt and the index of every receipt listed.
    mutating func setDependencies(_ receipt: InstallReceipt, index: PluginHost.DependencyIndex) {
        autoInstalled = receipt.autoInstalled
        requires = index.requires[receipt.id] ?? []
        requiredBy = index.requiredBy[receipt.id] ?? []
    }
}

extension PluginHost {
    /// Who requires whom among some receipts, built once per listing (receipts without dependencies, the
    /// usual case, cost no JSON parse).
    struct DependencyIndex {
        var requires: [String: [String]] = [:]
        var requiredBy: [String: [String]] = [:]

        init(_ receipts: [InstallReceipt]) {
            var by: [String: Set<String>] = [:]
            for r in receipts where r.requires != "[]" {
                let ids = PluginHost.requiredIDs(r)
                if requires[r.id] == nil { requires[r.id] = ids }
                for id in ids where id != r.id { by[id, default: []].insert(r.id) }
            }
            requiredBy = by.mapValues { $0.sorted() }
        }
    }
}

extension PluginHost {
    /// The managed policy's decision for each receipt's plugin that it forces or blocks (by id).
    func policyDecisions(_ receipts: [InstallReceipt], policy: ManagedPolicy?) -> [String: PolicyDecision] {
        guard let policy else { return [:] }
        var sources: [String: Node] = [:]
        if policy.problems.isEmpty, policy.checksMarketplaces {
            for k in (try? KnownMarketplacesFile.read(paths.knownMarketplacesFile).marketplaces) ?? [] {
                sources[k.name] = try? JSONReader.parse(Array(k.source.serialized(pretty: false).utf8)).0
            }
        }
        var out: [String: PolicyDecision] = [:]
        for r in receipts where out[r.id] == nil {
            if let d = policy.pluginDecision(r.id, marketplace: r.marketplace, source: sources[r.marketplace]) { out[r.id] = d }
        }
        return out
    }
}
