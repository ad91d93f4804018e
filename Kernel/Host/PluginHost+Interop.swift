import Foundation
public import KernelCore
public import KernelStore

/// Sharing `~/.qoder` with the Qoder CLI: `plugins/installed_plugins_v2.json` is the record of what is installed
/// (both tools write it); the SQLite receipts add what it lacks (source, sha256 of the tree) and follow it.
extension PluginHost {
    /// Every receipt, reconciled with `installed_plugins_v2.json` first:
    /// - an install the file records and the store does not (the Qoder CLI installed it) is adopted: a receipt is
    ///   created with the sha256 of its tree and source `{"type": "adopted"}`; one whose folder is missing is
    ///   reported and skipped;
    /// - a receipt whose install the file records with another path or version follows the file (sha256 again);
    /// - a receipt the file does not record (the Qoder CLI uninstalled it) is deleted;
    /// - no file yet: the receipts (installs made before Kernel shared the file) are written to it.
    /// A file that does not parse or has another `version` is reported in the diagnostics, left untouched, and the
    /// receipts are used as they are.
    public func reconciledReceipts() throws(KernelError) -> (receipts: [InstallReceipt], diagnostics: [Diagnostic]) {
        let file = paths.installedPluginsFile
        var all: [InstallReceipt]
        do { all = try store.receipts() } catch { throw KernelError(.store, wrapping: error) }
        // When the file and the receipts are both as they were at the last reconcile that found them in
        // agreement, the file need not be parsed again (a listing of 500 plugins spent a third of its time here).
        let fileKey = FileKey.stat(file)
        let stampBytes = Self.receiptsStamp(all)
        if let fileKey, let stamp = try? store.cachedComponents(atPaths: [file], parserVersion: Self.stampVersion)[file],
           stamp.kind == Self.stampKind, stamp.key == fileKey, stamp.payload == stampBytes {
            return (all, [])
        }
        let contents: InstalledPluginsFile.Contents?
        do {
            contents = try InstalledPluginsFile.read(file)
        } catch {
            return (all, [Diagnostic(id: "interop.installed_file_unreadable", .warning, error.message + "; Kernel's own install records are used and the file is not written",
                                     at: error.location)])
        }
        guard let contents else {
            for receipt in all { try? InstalledPluginsFile.record(entry(for: receipt), in: file) }
            return (all, [])
        }
        var diagnostics = contents.diagnostics
        var byKey: [String: InstallReceipt] = [:]
        for receipt in all { byKey[Self.slotKey(receipt.id, receipt.scope, receipt.projectPath)] = receipt }
        var result: [InstallReceipt] = []
        var seen = Set<String>()
        var agreed = true
        for entry in contents.entries {
            let key = Self.slotKey(entry.id, entry.scope, entry.projectPath)
            guard seen.insert(key).inserted else { continue }
            if let receipt = byKey[key], receipt.installPath == entry.installPath, receipt.version == entry.version {
                result.append(receipt)
                continue
            }
            agreed = false
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: entry.installPath, isDirectory: &isDirectory), isDirectory.boolValue else {
                diagnostics.append(Diagnostic(
                    id: "interop.installed_path_missing", .warning, "\(entry.id) (\(entry.scope.rawValue)) is recorded at \(entry.installPath), which is not a folder; not listed",
                    at: SourceLocation(file: file)))
                continue
            }
            let adopted: InstallReceipt
            do {
                let sha = try TreeHash.sha256(ofDirectory: entry.installPath)
                let at = byKey[key]
                let parts = entry.id.split(separator: "@", maxSplits: 1).map(String.init)
                let installedAt = at?.installedAt ?? entry.installedAt.flatMap(Self.parseDate) ?? Date()
                adopted = InstallReceipt(
                    name: parts[0], marketplace: parts[1], scope: entry.scope, projectPath: entry.projectPath,
                    version: entry.version, installPath: entry.installPath,
                    source: at?.source ?? #"{"type":"adopted","from":"installed_plugins_v2.json"}"#, sha256: sha,
                    installedAt: installedAt, updatedAt: max(Date(), installedAt))
                try store.upsertReceipt(adopted)
            } catch {
                diagnostics.append(Diagnostic(id: "interop.adopt_failed", .warning, "cannot adopt \(entry.id) (\(entry.scope.rawValue)): \(error)",
                                              at: SourceLocation(file: file)))
                continue
            }
            result.append(adopted)
        }
        for receipt in all where !seen.contains(Self.slotKey(receipt.id, receipt.scope, receipt.projectPath)) {
            agreed = false
            _ = try? store.deleteReceipt(id: receipt.id, scope: receipt.scope, projectPath: receipt.projectPath)
        }
        if agreed, diagnostics.isEmpty, let fileKey {
            var key = fileKey
            key.path = file
            try? store.storeComponents([CachedComponent(key: key, kind: Self.stampKind, parserVersion: Self.stampVersion, payload: stampBytes)])
        }
        // The store's order (id, then user, project, local), whichever path was taken.
        return (result.sorted(by: Self.storeOrder), diagnostics)
    }

    static let stampKind = "installed-file-stamp"
    static let stampVersion = 2

    /// What the stamp compares: every receipt's slot, path and version, in the store's order, as bytes (compared
    /// whole: hashing them cost more than the comparison it saves; 500 receipts are ~75 KB).
    static func receiptsStamp(_ receipts: [InstallReceipt]) -> Data {
        var bytes: [UInt8] = []
        for r in receipts {
            for field in [r.id, r.scope.rawValue, r.projectPath ?? "", r.installPath, r.version] {
                bytes.append(contentsOf: field.utf8)
                bytes.append(0)
            }
            bytes.append(0x0A)
        }
        return Data(bytes)
    }

    static func storeOrder(_ a: InstallReceipt, _ b: InstallReceipt) -> Bool {
        // Byte order, as SQLite's BINARY collation sorts.
        if a.id != b.id { return a.id.utf8.lexicographicallyPrecedes(b.id.utf8) }
        func rank(_ s: Scope) -> Int { s == .user ? 0 : s == .project ? 1 : 2 }
        if a.scope != b.scope { return rank(a.scope) < rank(b.scope) }
        return (a.projectPath ?? "").utf8.lexicographicallyPrecedes((b.projectPath ?? "").utf8)
    }

    /// Throws when `installed_plugins_v2.json` cannot be written safely (does not parse, another version): an
    /// install or uninstall checks this before it changes anything.
    func requireWritableInstalledFile() throws(KernelError) {
        do { _ = try InstalledPluginsFile.read(paths.installedPluginsFile) } catch { throw KernelError(settings: error) }
    }

    /// Records (or, with nil, removes) one install in `installed_plugins_v2.json`.
    func recordInFile(_ receipt: InstallReceipt) throws(KernelError) {
        do { try InstalledPluginsFile.record(entry(for: receipt), in: paths.installedPluginsFile) } catch {
            throw KernelError(settings: error)
        }
    }

    func removeFromFile(id: String, scope: Scope, projectPath: String?) throws(KernelError) {
        do {
            try InstalledPluginsFile.remove(id: id, scope: scope, projectPath: projectPath, in: paths.installedPluginsFile)
        } catch {
            throw KernelError(settings: error)
        }
    }

    /// The file entry the reference host writes for an install.
    func entry(for receipt: InstallReceipt) -> InstalledPluginEntry {
        InstalledPluginEntry(id: receipt.id, scope: receipt.scope, projectPath: receipt.projectPath,
                             installPath: receipt.installPath, version: receipt.version,
                             installedAt: PluginListing.date(receipt.installedAt))
    }

    static func slotKey(_ id: String, _ scope: Scope, _ projectPath: String?) -> String {
        id + "\u{0}" + scope.rawValue + "\u{0}" + (scope == .user ? "" : projectPath ?? "")
    }

    static func parseDate(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
