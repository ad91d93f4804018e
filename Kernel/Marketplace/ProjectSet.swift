import Foundation
public import KernelHost
public import KernelStore

/// A marketplace the project's settings declare (`extraKnownMarketplaces.<name>.source`).
public struct DeclaredMarketplace: Sendable {
    public var name: String
    /// Nil when the recorded source is not one this kernel reads (reported, not guessed).
    public var source: MarketplaceSource?
    public var raw: JSONValue
}

/// What a project's committed `.qoder/settings.json` declares: the marketplaces to know and the plugins to
/// have (`enabledPlugins` keys set to `true`).
public struct ProjectPluginSet: Sendable {
    public var file: String
    public var marketplaces: [DeclaredMarketplace]
    /// Declared plugin ids, sorted.
    public var plugins: [String]
}

/// One plugin the project's set resolves to: where it comes from and why it is there.
public struct PlannedPlugin: Sendable {
    public var id: String
    public var scope: Scope
    public var reason: LockReason
    /// The marketplace entry it is installed from; nil when no added marketplace lists it (yet).
    public var entry: CatalogEntry?
    /// Its entry in the lock, when the lock has one: the install must reproduce it.
    public var locked: LockEntry?
    /// What it requires (its dependencies and their ranges): the receipt's `requires`.
    var requires: [(id: String, range: String?)] = []

    public var name: String { String(id[..<(id.lastIndex(of: "@") ?? id.endIndex)]) }
    public var marketplace: String { id.lastIndex(of: "@").map { String(id[id.index(after: $0)...]) } ?? "" }
}

/// One thing `plugins sync` did (or, dry or refused, would do).
public struct SyncAction: Sendable, Equatable {
    /// `add-marketplace`, `install`, `reinstall` (the installed tree differs from the lock), `uninstall` (an
    /// extra project plugin), `write-lock`, `update-lock`.
    public var kind: String
    public var target: String
    public var detail: String

    public var json: JSONValue { .object([("action", .string(kind)), ("target", .string(target)), ("detail", .string(detail))]) }
    public var text: String { "\(kind) \(target)" + (detail.isEmpty ? "" : " (\(detail))") }
}

/// What `plugins sync` did.
public struct SyncReport: Sendable {
    public var dryRun: Bool
    public var frozen: Bool
    public var trusted: Bool
    /// Why nothing was done, when the project is not trusted (the actions are then the plan).
    public var refusal: String?
    public var actions: [SyncAction]
    public var lockFile: String

    public var inSync: Bool { actions.isEmpty }

    public var json: JSONValue {
        .object([("ok", .bool(refusal == nil)), ("code", refusal == nil ? .null : .string(KernelError.Code.untrusted.rawValue)),
                 ("dryRun", .bool(dryRun)), ("frozen", .bool(frozen)), ("trusted", .bool(trusted)),
                 ("refusal", .optional(refusal)), ("inSync", .bool(inSync)), ("lockFile", .string(lockFile)),
                 ("actions", .array(actions.map(\.json)))])
    }
}

/// One plugin in `plugins status`.
public struct ProjectPluginStatus: Sendable {
    public var id: String
    /// `ok`, `missing` (declared, not installed here), `outdated` (installed, but not what the lock records),
    /// `extra` (installed at project scope, not in the set).
    public var state: String
    public var reason: LockReason?
    public var installedVersion: String?
    public var lockedVersion: String?
    public var detail: String

    public var json: JSONValue {
        .object([("pluginId", .string(id)), ("state", .string(state)), ("reason", .optional(reason?.name)),
                 ("installedVersion", .optional(installedVersion)), ("lockedVersion", .optional(lockedVersion)),
                 ("detail", .string(detail))])
    }
}

/// `plugins status`: the project's set against what is installed and locked.
public struct ProjectSetStatus: Sendable {
    public var trusted: Bool
    /// What changed since the project was trusted (empty when it is trusted as it is, or was never trusted).
    public var trustChanges: [String]
    /// Declared marketplaces and whether they are added here.
    public var marketplaces: [(name: String, added: Bool)]
    public var plugins: [ProjectPluginStatus]
    public var lockFile: String
    public var locked: Bool

    public var json: JSONValue {
        .object([("trusted", .bool(trusted)), ("trustChanges", .strings(trustChanges)), ("lockFile", .string(lockFile)),
                 ("locked", .bool(locked)),
                 ("marketplaces", .array(marketplaces.map { .object([("name", .string($0.name)), ("added", .bool($0.added))]) })),
                 ("plugins", .array(plugins.map(\.json)))])
    }
}

extension PluginHost {
    /// `<project>/.qoder/plugins.lock`.
    public var lockFile: String { PluginLock.path(project: paths.project) }

    /// What the project's `.qoder/settings.json` declares.
    public func declaredProjectSet() throws(KernelError) -> ProjectPluginSet {
        let doc = try settings(.project)
        var marketplaces: [DeclaredMarketplace] = []
        for member in doc["extraKnownMarketplaces"]?.members ?? [] {
            let sourceNode = member.value["source"]
            marketplaces.append(DeclaredMarketplace(name: member.key, source: sourceNode.flatMap(MarketplaceSource.init(json:)),
                                                    raw: member.value.json))
        }
        let plugins = (doc["enabledPlugins"]?.members ?? []).filter { $0.value.bool == true }.map(\.key)
        return ProjectPluginSet(file: paths.settingsFile(.project), marketplaces: marketplaces.sorted { $0.name < $1.name },
                                plugins: Array(Set(plugins)).sorted())
    }

    /// The resolution step: what the project declares → the plugins to install, each with its source (the
    /// catalog entry of an added marketplace) and the reason it is there, and the lock's entry for it when the
    /// lock has one. Sorted by id. A declared id that is not `name@marketplace` is an error.
    public func resolveProjectSet(_ set: ProjectPluginSet, lock: PluginLock?) throws(KernelError) -> [PlannedPlugin] {
        let entries = try catalog()
        var byID: [String: CatalogEntry] = [:]
        for e in entries { byID[e.id] = e }
        var planned: [PlannedPlugin] = []
        for id in set.plugins {
            guard let at = id.lastIndex(of: "@"), at != id.startIndex, id.index(after: at) != id.endIndex else {
                throw KernelError(.invalidInput, "\(set.file): enabledPlugins key '\(id)' is not name@marketplace")
            }
            planned.append(PlannedPlugin(id: id, scope: .project, reason: .declared, entry: byID[id], locked: lock?.entry(id)))
        }
        // The declared plugins' dependency closure: each dependency with `reason: dependency` and `requiredBy`.
        planned = try withDependencyClosure(planned, byID: byID, lock: lock)
        return planned.sorted { $0.id < $1.id }
    }

    // MARK: - Sync

    /// `plugins sync`: makes this home hold exactly the project's set at project scope. Adds the declared
    /// marketplaces, installs each planned plugin (the lock's commit and content when the lock has the plugin;
    /// the marketplace's current entry otherwise), uninstalls project plugins the set no longer names, and
    /// writes the lock when it is absent or the set changed. Every fetch is made and checked against the lock
    /// before anything is installed, so a mismatch changes nothing. The lock is written last.
    ///
    /// - `dryRun`: nothing is fetched or written; the actions are the plan.
    /// - `frozen`: the lock must exist and name exactly the planned plugins; installed trees are re-hashed; the
    ///   lock is never written. Any mismatch throws (`lock_mismatch`) naming each one, before anything changes.
    /// - An untrusted project (or one changed since it was trusted): nothing is done; the report carries the
    ///   reason and the plan.
    public func syncProjectPlugins(dryRun: Bool = false, frozen: Bool = false) throws(KernelError) -> SyncReport {
        let set = try declaredProjectSet()
        let lock = try PluginLock.read(lockFile)
        let trust = projectTrust()
        var report = SyncReport(dryRun: dryRun, frozen: frozen, trusted: trust.trusted, refusal: nil, actions: [], lockFile: lockFile)
        if !trust.trusted {
            report.refusal = trust.reason
        }
        if frozen, lock == nil {
            throw KernelError(.lockMismatch, "sync --frozen needs \(lockFile), which does not exist (run kernel plugins sync to write it)")
        }
        let planOnly = dryRun || !trust.trusted
        if frozen, let lock {
            // The declared ids against the lock's declared entries, before anything is fetched or added.
            let declared = lock.entries.filter { $0.reason == .declared }.map(\.id)
            let planned = set.plugins.map { PlannedPlugin(id: $0, scope: .project, reason: .declared, entry: nil, locked: lock.entry($0)) }
            try checkFrozen(planned, lock: PluginLock(entries: lock.entries.filter { declared.contains($0.id) }))
        }

        // 1. Marketplaces.
        let known = Set(try knownMarketplaces().map(\.name))
        for m in set.marketplaces where !known.contains(m.name) {
            guard let source = m.source else {
                throw KernelError(.invalidInput, "\(set.file): extraKnownMarketplaces.\(m.name) has a source this kernel cannot read: \(m.raw.serialized(pretty: false))")
            }
            report.actions.append(SyncAction(kind: "add-marketplace", target: m.name, detail: source.summary))
            if !planOnly {
                // A seed's copy (read in place, never written) stands in for the declared source: no network.
                let seeded = seededMarketplace(m.name).map { MarketplaceSource.directory(path: $0) }
                let outcome = try addMarketplace(seeded ?? source, scope: .project, name: m.name, declare: false)
                if outcome.status == "failed", let error = outcome.error { throw error }
            }
        }
        crashPoint("marketplaces-added")

        // 2. The plugins.
        let planned = try resolveProjectSet(set, lock: lock)
        if frozen, let lock { try checkFrozen(planned, lock: lock) }
        let receipts = try installed().filter { $0.scope == .project && $0.projectPath == paths.project }
        var work: [(PlannedPlugin, InstallReceipt?)] = []
        var newLock = PluginLock(entries: [])
        var tampered: [String] = []
        for plan in planned {
            let receipt = receipts.first { $0.id == plan.id }
            let present = receipt.map { FileSystem.isDirectory($0.installPath) } ?? false
            if let locked = plan.locked {
                var matches = present && receipt!.sha256 == locked.sha256 && receipt!.version == locked.version
                var modified = false
                if matches {
                    // The installed tree itself is re-hashed: a copy edited in place is not the locked content.
                    // (Through the store's cache: a tree whose every entry has the stat fields, ctime included,
                    // it had when it was last hashed is not read again.)
                    let onDisk = (try? store.treeSHA256(ofDirectory: receipt!.installPath)) ?? "unreadable"
                    if onDisk != locked.sha256 {
                        if frozen {
                            tampered.append("\(plan.id): the installed copy \(receipt!.installPath) was modified (tree sha256 \(onDisk), locked \(locked.sha256))")
                            continue
                        }
                        matches = false
                        modified = true
                    }
                }
                if matches {
                    newLock.set(locked)
                    continue
                }
                let kind = receipt == nil ? "install" : "reinstall"
                report.actions.append(SyncAction(kind: kind, target: plan.id, detail: (modified ? "the installed copy was modified; " : "")
                                                 + "locked \(locked.version)" + (locked.commit.map { " at \($0.prefix(12))" } ?? "")))
            } else if present, let receipt {
                newLock.set(lockEntry(receipt, reason: plan.reason))
                continue
            } else {
                report.actions.append(SyncAction(kind: "install", target: plan.id,
                                                 detail: plan.entry?.version.map { "\($0), not locked yet" } ?? "not locked yet"))
            }
            work.append((plan, receipt))
        }
        if !tampered.isEmpty {
            throw KernelError(.lockMismatch, "sync --frozen changed nothing:\n  " + tampered.joined(separator: "\n  ")
                              + "\n(kernel plugins sync without --frozen reinstalls them)")
        }
        let declaredHere = Set(((try settings(.project))["enabledPlugins"]?.members ?? []).map(\.key))
        let extras = receipts.filter { r in !planned.contains { $0.id == r.id } && !declaredHere.contains(r.id) }
        for extra in extras {
            report.actions.append(SyncAction(kind: "uninstall", target: extra.id, detail: "no longer in \(set.file)"))
        }
        if planOnly {
            if lock == nil { report.actions.append(SyncAction(kind: "write-lock", target: lockFile, detail: "")) }
            else if !frozen && Set(lock!.entries.map(\.id)) != Set(planned.map(\.id)) {
                report.actions.append(SyncAction(kind: "update-lock", target: lockFile, detail: ""))
            }
            return report
        }

        // 3. Fetch everything and check it against the lock before installing anything.
        var fetched: [(PlannedPlugin, FetchedPlugin, InstallRequest)] = []
        defer { for f in fetched { f.1.cleanUp() } }
        var failures: [String] = []
        for (plan, _) in work {
            guard let entry = plan.entry else {
                failures.append("\(plan.id): no added marketplace lists it (declared marketplaces: "
                                + (set.marketplaces.map(\.name).joined(separator: ", ").nilIfEmpty ?? "none") + ")")
                continue
            }
            do {
                let f = try fetchPlugin(entry, locked: plan.locked)
                var request = f.request(unlessSHA256: nil)
                if let locked = plan.locked {
                    request.version = locked.version
                    let hash = try stagedTreeHash(request)
                    if hash != locked.sha256 {
                        f.cleanUp()
                        failures.append("\(plan.id): the fetched content does not match the lock (locked sha256 \(locked.sha256), fetched \(hash))")
                        continue
                    }
                }
                fetched.append((plan, f, request))
            } catch {
                failures.append(error.message)
            }
        }
        if !failures.isEmpty {
            throw KernelError(frozen || failures.contains { $0.contains("does not match the lock") } ? .lockMismatch : .fetch,
                              "sync changed nothing:\n  " + failures.joined(separator: "\n  "))
        }
        crashPoint("fetched")

        // 4. Install, one plugin at a time (each install is atomic), then remove extras.
        for (index, item) in fetched.enumerated() {
            var request = item.2
            if case .dependency = item.0.reason { request.autoInstalled = true }
            request.requires = Self.requiresJSON(item.0.requires)
            let outcome = try install(request, scope: .project)
            var entry = LockEntry(id: outcome.id, version: outcome.version, scope: .project, reason: item.0.reason,
                                  source: Self.lockSource(item.1.source), sha256: outcome.sha256)
            if let locked = item.0.locked { entry = locked }
            newLock.set(entry)
            crashPoint("installed-\(index + 1)")
        }
        for extra in extras {
            _ = try uninstall(extra.id, scope: .project, keepData: false)
        }

        // 5. The lock, last.
        if !frozen, lock != newLock {
            report.actions.append(SyncAction(kind: lock == nil ? "write-lock" : "update-lock", target: lockFile, detail: ""))
            crashPoint("before-lock")
            trustNextLock(newLock.bytes)
            try newLock.write(to: lockFile)
            crashPoint("lock-written")
        }
        return report
    }

    /// `--frozen`: the planned set and the lock must name the same plugins.
    func checkFrozen(_ planned: [PlannedPlugin], lock: PluginLock) throws(KernelError) {
        var mismatches: [String] = []
        for plan in planned where plan.locked == nil {
            mismatches.append("\(plan.id) is declared in \(paths.settingsFile(.project)) but not locked")
        }
        for entry in lock.entries where !planned.contains(where: { $0.id == entry.id }) {
            mismatches.append("\(entry.id) is locked but no longer " + (entry.reason == .declared ? "declared" : "needed"))
        }
        for plan in planned {
            if let locked = plan.locked, locked.reason != plan.reason {
                mismatches.append("\(plan.id) is locked as \(locked.reason.name) but resolves as \(plan.reason.name)")
            }
        }
        if !mismatches.isEmpty {
            throw KernelError(.lockMismatch, "the lock does not match the declared set (sync --frozen changed nothing):\n  "
                              + mismatches.joined(separator: "\n  "))
        }
    }

    /// A lock entry for an install: its version, tree hash and source (the receipt's, without `type`).
    public func lockEntry(_ receipt: InstallReceipt, reason: LockReason) -> LockEntry {
        let node = (try? JSONReader.parse(Array(receipt.source.utf8)).0)?.json ?? .object([])
        return LockEntry(id: receipt.id, version: receipt.version, scope: receipt.scope, reason: reason,
                         source: Self.lockSource(node), sha256: receipt.sha256)
    }

    static func lockSource(_ receiptSource: JSONValue) -> JSONValue {
        guard case .object(let members) = receiptSource else { return receiptSource }
        return .object(members.filter { $0.0 != "type" && $0.0 != "seed" })
    }

    /// Rewrites the lock entries of `ids` from their project-scope receipts (after `plugins update`). Nothing
    /// is written when there is no lock or no entry changed.
    func relock(_ ids: [String]) throws(KernelError) {
        guard !ids.isEmpty, var lock = try PluginLock.read(lockFile) else { return }
        let receipts = try installed().filter { $0.scope == .project && $0.projectPath == paths.project }
        let before = lock
        for id in ids {
            guard let old = lock.entry(id), let receipt = receipts.first(where: { $0.id == id }) else { continue }
            lock.set(lockEntry(receipt, reason: old.reason))
        }
        if lock != before {
            trustNextLock(lock.bytes)
            try lock.write(to: lockFile)
        }
    }

    /// Fetches a plugin for an install; with a lock entry, the locked content: the entry's source as the lock
    /// records it, at the locked commit.
    func fetchPlugin(_ entry: CatalogEntry, locked: LockEntry?) throws(KernelError) -> FetchedPlugin {
        guard let locked else { return try fetchPlugin(entry) }
        if let seeded = seededPlugin(entry, version: locked.version, sha256: locked.sha256) { return seeded }
        guard var node = (try? JSONReader.parse(Array(entry.entry.utf8)).0)?.json, case .object(var members) = node else {
            return try fetchPlugin(entry)
        }
        var source: JSONValue = .null
        if case .object(let lockMembers) = locked.source, let recorded = lockMembers.first(where: { $0.0 == "entry" })?.1 {
            source = recorded
        }
        if case .object(var fields) = source {
            let kind = fields.first { $0.0 == "source" }?.1
            if let commit = locked.commit, kind == .string("github") || kind == .string("url") || kind == .string("git-subdir") {
                fields.removeAll { $0.0 == "sha" }
                fields.append(("sha", .string(commit)))
            }
            if kind == .string("npm"), let resolved = LockEntry.member(locked.source, "resolvedVersion") {
                fields.removeAll { $0.0 == "version" }
                fields.append(("version", .string(resolved)))
            }
            source = .object(fields)
        }
        if source != .null {
            members.removeAll { $0.0 == "source" }
            members.append(("source", source))
            node = .object(members)
        }
        var pinned = entry
        pinned.entry = node.serialized(pretty: false)
        pinned.source = source.serialized(pretty: false)
        if case .string = source, let commit = locked.commit {
            return try fetchRelative(pinned, atMarketplaceCommit: commit)
        }
        return try fetchPlugin(pinned)
    }

    /// A relative entry at a given commit of its (git) marketplace: the checkout itself when it is at that
    /// commit, else a clone of the marketplace's repository at the commit.
    func fetchRelative(_ entry: CatalogEntry, atMarketplaceCommit commit: String) throws(KernelError) -> FetchedPlugin {
        let record: MarketplaceRecord?
        do { record = try store.marketplaceRecords().first { $0.name == entry.marketplace } } catch { throw KernelError(.store, wrapping: error) }
        guard let record else { throw KernelError(.notFound, "Marketplace \"\(entry.marketplace)\" is not added.") }
        if marketplaceRevision(record) == commit { return try fetchPlugin(entry) }
        // The managed policy, before the marketplace's locked commit is fetched.
        try requirePolicyAllowsInstall(entry.id, marketplace: entry.marketplace,
                                       source: try? JSONReader.parse(Array(record.source.utf8)).0)
        let remote = (try? JSONReader.parse(Array(record.source.utf8)).0).flatMap(MarketplaceSource.init(json:))?.gitRemote
        guard let remote else {
            throw KernelError(.lockMismatch, "\(entry.id) is locked at marketplace commit \(commit), but marketplace \"\(entry.marketplace)\" is not a git repository")
        }
        let temporary = try fetchFolder()
        do {
            _ = try Git.clone(remote.url, ref: nil, sha: commit, into: temporary + "/checkout", sparse: nil)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw KernelError(error.code, "\(entry.id): \(error.message)", underlying: error.underlying)
        }
        var relocated = record
        relocated.root = temporary + "/checkout"
        var fetched: FetchedPlugin
        do { fetched = try fetchPlugin(entry, record: relocated) } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        fetched.temporary = temporary
        fetched.source = Self.withCommit(fetched.source, commit)
        return fetched
    }

    /// The commit a git marketplace's checkout is at (nil for other marketplaces).
    func marketplaceRevision(_ record: MarketplaceRecord) -> String? {
        if let revision = record.revision { return revision }
        guard FileSystem.isDirectory(record.installLocation + "/.git") else { return nil }
        return try? Git.head(of: record.installLocation)
    }

    static func withCommit(_ source: JSONValue, _ commit: String) -> JSONValue {
        guard case .object(var members) = source else { return source }
        members.removeAll { $0.0 == "commit" }
        members.append(("commit", .string(commit)))
        return .object(members)
    }

    // MARK: - Seeds

    /// The folders of `KERNEL_PLUGIN_SEED_DIR` (colon-separated), in order; missing ones are skipped.
    public static func seedDirectories(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        (environment["KERNEL_PLUGIN_SEED_DIR"] ?? "").split(separator: ":").map(String.init).filter(FileSystem.isDirectory)
    }

    /// A seed's copy of a marketplace: `<seed>/marketplaces/<name>/` holding a marketplace manifest.
    func seededMarketplace(_ name: String) -> String? {
        for seed in Self.seedDirectories() {
            let dir = FileSystem.join(seed, "marketplaces/" + name)
            if MarketplaceLoader.manifestFile(in: dir) != nil { return dir }
        }
        return nil
    }

    /// A seed's cached plugin `<seed>/cache/<marketplace>/<name>/<version>/`, used as it is (never written):
    /// with `sha256`, only a tree that hashes to it.
    func seededPlugin(_ entry: CatalogEntry, version: String, sha256: String?) -> FetchedPlugin? {
        for seed in Self.seedDirectories() {
            let dir = FileSystem.join(seed, "cache/\(entry.marketplace)/\(entry.name)/\(version)")
            guard FileSystem.isDirectory(dir) else { continue }
            if let sha256, (try? TreeHash.sha256(ofDirectory: dir)) != sha256 { continue }
            let node = (try? JSONReader.parse(Array(entry.source.utf8)).0)?.json ?? .null
            return FetchedPlugin(directory: dir, temporary: nil, entry: entry, manifest: nil, fallbackVersion: version,
                                 source: .object([("type", "marketplace"), ("marketplace", .string(entry.marketplace)), ("entry", node),
                                                  ("seed", .string(dir))]))
        }
        return nil
    }

    // MARK: - Status

    /// `plugins status`: each planned plugin (`ok`, `missing`, `outdated` against the lock) and each project
    /// plugin the set does not name (`extra`). Nothing is fetched or written.
    public func projectSetStatus() throws(KernelError) -> ProjectSetStatus {
        let set = try declaredProjectSet()
        let lock = try PluginLock.read(lockFile)
        let trust = projectTrust()
        let known = Set(try knownMarketplaces().map(\.name))
        let planned = try resolveProjectSet(set, lock: lock)
        let receipts = try installed().filter { $0.scope == .project && $0.projectPath == paths.project }
        var rows: [ProjectPluginStatus] = []
        for plan in planned {
            let receipt = receipts.first { $0.id == plan.id }
            var row = ProjectPluginStatus(id: plan.id, state: "ok", reason: plan.reason, installedVersion: receipt?.version,
                                          lockedVersion: plan.locked?.version, detail: "")
            if receipt == nil || !FileSystem.isDirectory(receipt!.installPath) {
                row.state = "missing"
                row.detail = plan.entry == nil ? "no added marketplace lists it" : "not installed here"
            } else if let locked = plan.locked, locked.sha256 != receipt!.sha256 || locked.version != receipt!.version {
                row.state = "outdated"
                row.detail = "installed \(receipt!.version) (\(receipt!.sha256.prefix(12))), locked \(locked.version) (\(locked.sha256.prefix(12)))"
            } else if plan.locked == nil {
                row.detail = "not locked"
            }
            rows.append(row)
        }
        for r in receipts where !planned.contains(where: { $0.id == r.id }) {
            rows.append(ProjectPluginStatus(id: r.id, state: "extra", reason: nil, installedVersion: r.version,
                                            lockedVersion: lock?.entry(r.id)?.version, detail: "installed at project scope, not declared"))
        }
        return ProjectSetStatus(trusted: trust.trusted, trustChanges: trust.changes,
                                marketplaces: set.marketplaces.map { ($0.name, known.contains($0.name)) },
                                plugins: rows.sorted { $0.id < $1.id }, lockFile: lockFile, locked: lock != nil)
    }
}

/// A deterministic crash for the kill -9 tests: in a debug build, `KERNEL_TEST_CRASH_AT=<step>` makes the
/// process SIGKILL itself when it reaches that step. Release builds compile it to nothing.
@inline(__always)
func crashPoint(_ step: String) {
    #if DEBUG
    if let at = ProcessInfo.processInfo.environment["KERNEL_TEST_CRASH_AT"], at == step {
        kill(getpid(), SIGKILL)
    }
    #endif
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
