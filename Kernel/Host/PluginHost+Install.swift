import Foundation
public import KernelCore
import KernelStore

extension PluginHost {
    /// What `install` did.
    public struct InstallOutcome: Sendable {
        public var id: String
        public var version: String
        public var installPath: String
        public var scope: Scope
        /// Warnings of the validation that passed.
        public var bundle: PluginBundle
        /// False when an existing install of the same id, scope and project was replaced.
        public var isNew: Bool
        /// ``TreeHash`` of the installed tree.
        public var sha256: String
        /// True when `unlessSHA256` matched: nothing was changed.
        public var unchanged: Bool
        /// The version and tree hash of the install this one replaced.
        public var previousVersion: String? = nil
        public var previousSHA256: String? = nil
    }

    /// What to install: a plugin tree already on disk (a folder the user gave, or one fetched from a marketplace
    /// source) and what to record about it.
    public struct InstallRequest: Sendable {
        /// The plugin tree to copy (not changed).
        public var directory: String
        /// The plugin's name in its id; nil: the bundle's own name.
        public var name: String?
        /// The marketplace part of the id (`local` for folder installs).
        public var marketplace: String
        /// The version (the cache key); nil: the bundle's version, else `fallbackVersion`, else `local`.
        public var version: String?
        /// The version when neither `version` nor the bundle gives one (a marketplace entry's, a commit's).
        public var fallbackVersion: String?
        /// Where it came from: the receipt's `source` (a JSON object).
        public var source: JSONValue
        /// For a `strict: false` marketplace entry: the entry, which defines the plugin's components. It is
        /// written to the copy as `.qoder-plugin/plugin.json` so the installed plugin reads the same without its
        /// marketplace.
        public var entryManifest: PluginManifest?
        /// Entry names the copy leaves out (`.git` of a checkout).
        public var excluding: [String]
        /// When set: the sha256 the installed tree had; a staged copy hashing the same is not installed
        /// (`InstallOutcome.unchanged`).
        public var unlessSHA256: String?
        /// True when this install is only another plugin's dependency (the receipt's `autoInstalled`; an install
        /// the user made stays the user's when a dependency resolution installs it again).
        public var autoInstalled = false
        /// The receipt's `requires`: a JSON array of `{"id", "range"?}`, what the plugin's dependencies resolved to.
        public var requires = "[]"

        public init(directory: String, name: String? = nil, marketplace: String = "local", version: String? = nil,
                    source: JSONValue, entryManifest: PluginManifest? = nil, excluding: [String] = [],
                    unlessSHA256: String? = nil) {
            self.directory = directory
            self.name = name
            self.marketplace = marketplace
            self.version = version
            self.source = source
            self.entryManifest = entryManifest
            self.excluding = excluding
            self.unlessSHA256 = unlessSHA256
        }

        public init(directory: String, name: String?, marketplace: String, fallbackVersion: String?, source: JSONValue,
                    entryManifest: PluginManifest?, excluding: [String], unlessSHA256: String?) {
            self.init(directory: directory, name: name, marketplace: marketplace, version: nil, source: source,
                      entryManifest: entryManifest, excluding: excluding, unlessSHA256: unlessSHA256)
            self.fallbackVersion = fallbackVersion
        }
    }

    /// Why `plugins install` refuses `source` as a URL (nil when it is not one): the Qoder CLI takes an https
    /// `.zip` URL; Kernel installs archives only through a marketplace entry whose source is `archive`, which
    /// pins the archive's sha256 (an unpinned download could change under the same URL).
    public static func urlInstallRefusal(_ source: String) -> KernelError? {
        let lower = source.lowercased()
        guard ["https://", "http://", "file://"].contains(where: lower.hasPrefix) else { return nil }
        let name = source.split(separator: "/").last.map { String($0).replacingOccurrences(of: ".zip", with: "") } ?? "name"
        let isArchive = [".zip", ".tar.gz", ".tgz"].contains { lower.hasSuffix($0) }
        let what = isArchive ? "an archive URL" : "a URL"
        return KernelError(.invalidInput,
            "plugins install takes a plugin folder or name@marketplace, not \(what) ('\(source)'). To install an archive, list it in a "
            + "marketplace.json with the archive source form, which pins its content: "
            + "{\"name\": \"\(name)\", \"source\": {\"source\": \"archive\", \"url\": \"\(source)\", \"sha256\": \"<sha256 of the file>\"}}, "
            + "add the marketplace (kernel plugins marketplace add <folder>) and run kernel plugins install \(name)@<marketplace>; "
            + "or download and extract it yourself and install the folder.")
    }

    /// Installs a plugin folder as `<name>@local` at `scope`.
    ///
    /// The folder is validated first (errors refuse the install, with the diagnostics); it must hold at least
    /// one component. The copy is staged beside its destination (`cache/local/<name>/<version>`) and renamed
    /// into place, replacing a previous copy atomically; then the receipt is written and `enabledPlugins` set
    /// in that scope's settings unless the plugin is already enabled there or by a more specific scope. A
    /// settings file that does not parse is reported before anything is copied; any failure after the copy
    /// puts the previous copy and receipt back. A copy of another version this install replaced is removed
    /// when no other install uses it.
    @discardableResult
    public func install(from directory: String, scope: Scope) throws(KernelError) -> InstallOutcome {
        let path = FileManager.default.fileExists(atPath: directory)
            ? URL(fileURLWithPath: directory).standardizedFileURL.path : directory
        return try install(InstallRequest(directory: directory, source: .object([("type", "directory"), ("path", .string(path))])),
                           scope: scope)
    }

    /// Installs a plugin tree as `request` says, at `scope` (see `install(from:scope:)` for the discipline:
    /// validated, staged, renamed into place, the previous copy and receipt put back on any failure).
    @discardableResult
    public func install(_ request: InstallRequest, scope: Scope) throws(KernelError) -> InstallOutcome {
        // A symlinked folder (a marketplace's `plugins/x -> ../../Plugins/x`) is copied as what it points at.
        let directory = FileSystem.realPath(request.directory) ?? request.directory
        var bundle = BundleLoader.load(at: directory, entryManifest: request.entryManifest)
        if let name = request.name { bundle.name = name }
        guard bundle.isValid else {
            throw KernelError(.invalidBundle, "\(request.directory) is not a valid plugin", diagnostics: bundle.diagnostics)
        }
        guard bundle.hasComponents else {
            throw KernelError(.noContent, "No plugin content found in \"\(request.directory)\". Expected at least one of: "
                              + "commands/, agents/, skills/, hooks/hooks.json, output-styles/, workflows/, rules/, tasks/, bin/, .mcp.json, mcp.json, modules/, "
                              + "or a component path in the manifest.", diagnostics: bundle.diagnostics)
        }
        // Refuse early, before copying, when a settings file we will read or write does not parse, or the
        // shared installed_plugins_v2.json cannot be written (it is reconciled with the store first).
        let states = try enabledStates()
        try requireWritableInstalledFile()
        _ = try reconciledReceipts()

        let name = bundle.name
        let marketplace = request.marketplace
        let id = "\(name)@\(marketplace)"
        let version = request.version ?? bundle.version ?? request.fallbackVersion ?? "local"
        for (what, part) in [("name", name), ("marketplace", marketplace), ("version", version)]
        where part.isEmpty || part == "." || part == ".." || part.contains("/") || part.contains("\u{0}") {
            throw KernelError(.invalidInput, "cannot install \(id): its \(what) '\(part)' is not usable as a folder name")
        }
        let destination = paths.installDir(marketplace: marketplace, name: name, version: version)
        let projectPath = scope == .user ? nil : paths.project
        let installScope = scope
        let previousReceipt = try? store.receipt(id: id, scope: installScope, projectPath: projectPath)

        let staged = try stage(directory, beside: destination) { staging throws(KernelError) in
            for name in request.excluding { try? FileManager.default.removeItem(atPath: staging + "/" + name) }
            if let manifest = request.entryManifest { try Self.writeEntryManifest(manifest, into: staging) }
        }
        let sha: String
        do { sha = try TreeHash.sha256(ofDirectory: staged.staging) } catch {
            staged.discard()
            throw KernelError(.io, wrapping: error, context: "cannot hash the copy of \(request.directory)")
        }
        if let unless = request.unlessSHA256, unless == sha, previousReceipt?.installPath == destination,
           FileManager.default.fileExists(atPath: destination) {
            staged.discard()
            return InstallOutcome(id: id, version: version, installPath: destination, scope: scope, bundle: bundle,
                                  isNew: false, sha256: sha, unchanged: true,
                                  previousVersion: previousReceipt?.version, previousSHA256: previousReceipt?.sha256)
        }
        let swap = try staged.swap()
        do {
            let now = Date()
            var receipt = InstallReceipt(
                name: name, marketplace: marketplace, scope: installScope, projectPath: projectPath, version: version,
                installPath: destination, source: request.source.serialized(pretty: false), sha256: sha,
                installedAt: previousReceipt?.installedAt ?? now, updatedAt: max(now, previousReceipt?.installedAt ?? now))
            receipt.autoInstalled = request.autoInstalled && (previousReceipt?.autoInstalled ?? true)
            receipt.requires = request.requires
            try store.upsertReceipt(receipt)
            do {
                try recordInFile(receipt)
                let enabledHere = states[id].map { $0.enabled && $0.scope.priority >= scope.priority } ?? false
                // A dependency installed automatically is enabled without a settings key (see `isEnabled(_:states:)`).
                if !enabledHere && !receipt.autoInstalled {
                    try updateSettings(scope, keyPath: ["enabledPlugins", id], value: true)
                }
            } catch {
                // Put the receipt and the file's entry back as they were.
                if let previousReceipt {
                    try? store.upsertReceipt(previousReceipt)
                    try? recordInFile(previousReceipt)
                } else {
                    _ = try? store.deleteReceipt(id: id, scope: installScope, projectPath: projectPath)
                    try? removeFromFile(id: id, scope: installScope, projectPath: projectPath)
                }
                throw error
            }
        } catch {
            swap.rollBack()
            if let error = error as? KernelError { throw error }
            throw KernelError(.store, wrapping: error)
        }
        swap.commit()
        // An upgrade leaves the previous version's copy unused: remove it unless another install still uses it.
        if let old = previousReceipt?.installPath, old != destination,
           let all = try? store.receipts(), !all.contains(where: { $0.installPath == old }) {
            try? FileManager.default.removeItem(atPath: old)
            evictCache(under: old)
        }
        return InstallOutcome(id: id, version: version, installPath: destination, scope: scope, bundle: bundle,
                              isNew: previousReceipt == nil, sha256: sha, unchanged: false,
                              previousVersion: previousReceipt?.version, previousSHA256: previousReceipt?.sha256)
    }

    /// The ``TreeHash`` the install of `request` would record, computed on a staged copy that is then removed
    /// (nothing is installed): `plugins sync` checks fetched content against its lock before installing any.
    public func stagedTreeHash(_ request: InstallRequest) throws(KernelError) -> String {
        let directory = FileSystem.realPath(request.directory) ?? request.directory
        let staged = try stage(directory, beside: paths.cacheDir + "/.verify") { staging throws(KernelError) in
            for name in request.excluding { try? FileManager.default.removeItem(atPath: staging + "/" + name) }
            if let manifest = request.entryManifest { try Self.writeEntryManifest(manifest, into: staging) }
        }
        defer { staged.discard() }
        do { return try TreeHash.sha256(ofDirectory: staged.staging) } catch {
            throw KernelError(.io, wrapping: error, context: "cannot hash the copy of \(request.directory)")
        }
    }

    /// Writes a `strict: false` entry as the copy's `.qoder-plugin/plugin.json` (the marketplace-only keys
    /// `source`, `strict`, `category`, `tags` left out), replacing a manifest the tree had.
    static func writeEntryManifest(_ manifest: PluginManifest, into root: String) throws(KernelError) {
        let marketplaceOnly: Set<String> = ["source", "strict", "category", "tags"]
        let members = (manifest.node.members ?? []).filter { !marketplaceOnly.contains($0.key) }.map { ($0.key, $0.value.json) }
        let text = JSONValue.object(members).serialized() + "\n"
        do {
            try FileManager.default.createDirectory(atPath: root + "/.qoder-plugin", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: root + "/.claude-plugin/plugin.json")
            try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/.qoder-plugin/plugin.json"))
        } catch {
            throw KernelError(.io, wrapping: error, context: "cannot write the entry's manifest into the copy")
        }
    }

    /// A copy staged beside its destination, not yet in place.
    package struct StagedCopy {
        package let staging: String
        package let destination: String
        package let token: String

        package init(staging: String, destination: String, token: String) {
            self.staging = staging
            self.destination = destination
            self.token = token
        }

        package func discard() { try? FileManager.default.removeItem(atPath: staging) }

        /// Renames the staged copy into place, moving an existing copy aside first.
        package func swap() throws(KernelError) -> StagedSwap {
            let fm = FileManager.default
            let parent = (destination as NSString).deletingLastPathComponent
            var previous: String?
            if fm.fileExists(atPath: destination) || FileSystem.isSymlink(destination) {  // a dangling link too
                let aside = parent + "/.previous-" + token
                guard rename(destination, aside) == 0 else {
                    discard()
                    throw KernelError(.io, "cannot move the previous copy \(destination) aside: \(String(cString: strerror(errno)))")
                }
                previous = aside
            }
            guard rename(staging, destination) == 0 else {
                let reason = String(cString: strerror(errno))
                discard()
                if let previous { _ = rename(previous, destination) }
                throw KernelError(.io, "cannot move the new copy into \(destination): \(reason)")
            }
            return StagedSwap(destination: destination, previous: previous)
        }
    }

    /// A staged copy renamed into place, with the previous copy kept aside until `commit`.
    package struct StagedSwap {
        package let destination: String
        package let previous: String?

        /// Drops the previous copy.
        package func commit() {
            if let previous { try? FileManager.default.removeItem(atPath: previous) }
        }

        /// Removes the new copy and puts the previous one back.
        package func rollBack() {
            try? FileManager.default.removeItem(atPath: destination)
            if let previous { _ = rename(previous, destination) }
        }
    }

    /// Copies `source` to a staging folder beside `destination` (same file system) and lets `prepare` change
    /// the staged copy.
    package func stage(_ source: String, beside destination: String,
               prepare: (String) throws(KernelError) -> Void = { _ in }) throws(KernelError) -> StagedCopy {
        let fm = FileManager.default
        // Foundation's copyItem misplaces the contents of a source ending in "/" (`dir/` + `x` is copied to
        // `<staging>x`, beside the staging folder), so copy from the path without trailing slashes.
        var source = source
        while source.count > 1, source.hasSuffix("/") { source.removeLast() }
        let parent = (destination as NSString).deletingLastPathComponent
        let token = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let staging = parent + "/.staging-" + token
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: source, toPath: staging)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw KernelError(.io, "cannot copy \(source) into \(parent): \(error.localizedDescription)", underlying: error)
        }
        Self.makeFoldersWritable(staging)
        let staged = StagedCopy(staging: staging, destination: destination, token: token)
        do { try prepare(staging) } catch {
            staged.discard()
            throw error
        }
        return staged
    }

    /// Gives the owner write permission on every folder of a copy (a read-only source — a seed folder — is
    /// copied with its modes; the copy must stay removable and replaceable). File modes are kept.
    static func makeFoldersWritable(_ root: String) {
        var st = stat()
        guard lstat(root, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
        if st.st_mode & S_IWUSR == 0 { _ = chmod(root, (st.st_mode & 0o7777) | S_IWUSR) }
        guard let entries = FileSystem.list(root) else { return }
        for entry in entries where entry.type == .directory && entry.nameProblem == nil {
            makeFoldersWritable(FileSystem.join(root, entry.name))
        }
    }

    /// What `uninstall` did.
    public struct UninstallOutcome: Sendable {
        public var id: String
        public var scope: Scope
        /// True when no install of the plugin is left anywhere.
        public var fullyRemoved: Bool
        public var removedData: Bool
    }

    /// Uninstalls a plugin from one scope (`scope`, else the most specific scope it is installed at): removes
    /// its receipt and its `enabledPlugins` key in that scope's settings; when no other install uses the cached
    /// copy, removes it; when no install of the plugin is left, removes its keys from every settings file and,
    /// unless `keepData`, its data folder.
    public func uninstall(_ name: String, scope: Scope?, keepData: Bool) throws(KernelError) -> UninstallOutcome {
        let matches = try receipts(matching: name, scope: scope)
        let receipt = matches.max { $0.scope.priority < $1.scope.priority }!
        let target = receipt.scope
        // Check every settings file we may touch, and installed_plugins_v2.json, before changing anything.
        for s in Scope.allCases { _ = try settings(s) }
        try requireWritableInstalledFile()
        try removeFromFile(id: receipt.id, scope: receipt.scope, projectPath: receipt.projectPath)

        do {
            _ = try store.deleteReceipt(id: receipt.id, scope: receipt.scope, projectPath: receipt.projectPath)
        } catch {
            throw KernelError(.store, wrapping: error)
        }
        let remaining: [InstallReceipt]
        do { remaining = try store.receipts().filter { $0.id == receipt.id } } catch { throw KernelError(.store, wrapping: error) }
        try updateSettings(target, keyPath: ["enabledPlugins", receipt.id], value: nil)
        if !remaining.contains(where: { $0.installPath == receipt.installPath }) {
            try? FileManager.default.removeItem(atPath: receipt.installPath)
            evictCache(under: receipt.installPath)
            // Drop empty parents (cache/<marketplace>/<name>) left behind.
            var dir = (receipt.installPath as NSString).deletingLastPathComponent
            while dir.hasPrefix(paths.cacheDir + "/"), (try? FileManager.default.contentsOfDirectory(atPath: dir))?.isEmpty == true {
                try? FileManager.default.removeItem(atPath: dir)
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
        var removedData = false
        let fullyRemoved = remaining.isEmpty
        if fullyRemoved {
            for s in Scope.allCases where s != target {
                let file = paths.settingsFile(s)
                if FileManager.default.fileExists(atPath: file) {
                    try updateSettings(s, keyPath: ["enabledPlugins", receipt.id], value: nil)
                }
            }
            let data = paths.dataDir(pluginID: receipt.id)
            if !keepData, FileManager.default.fileExists(atPath: data) {
                try? FileManager.default.removeItem(atPath: data)
                removedData = true
            }
        }
        return UninstallOutcome(id: receipt.id, scope: target, fullyRemoved: fullyRemoved, removedData: removedData)
    }

    /// Drops the cache rows of a removed copy (its bundle entry, and anything cached below it): without this
    /// the table only grows. A failure only leaves rows that can no longer be fresh.
    func evictCache(under folder: String) {
        _ = try? store.pruneComponents(keeping: [], under: folder)
        try? store.forgetTreeHashes(under: folder)
    }
}
