/// A marketplace folder as read from disk: its manifest and, for each entry whose source is a relative path,
/// the plugin bundle it points at.
public struct MarketplaceBundle: Sendable {
    public struct Plugin: Sendable {
        public var entry: MarketplaceEntry
        /// The bundle, for entries with a relative source that exists; nil for remote sources (github, url,
        /// git-subdir, npm, archive), which `validate` checks for shape only.
        public var bundle: PluginBundle?
        /// Problems with the entry itself (its source missing, a name that differs from the plugin's).
        public var diagnostics: [Diagnostic]

        public var isValid: Bool {
            !diagnostics.contains { $0.severity == .error } && (bundle?.isValid ?? true)
        }
    }

    public var root: String
    public var manifestFile: String?
    public var manifest: MarketplaceManifest?
    public var plugins: [Plugin] = []
    /// Problems with the marketplace manifest.
    public var diagnostics: [Diagnostic] = []

    public var name: String { manifest?.name ?? FileSystem.baseName(root) }

    /// Every diagnostic: the manifest's, then each plugin's entry and bundle diagnostics.
    public var allDiagnostics: [Diagnostic] {
        diagnostics + plugins.flatMap { $0.diagnostics + ($0.bundle?.diagnostics ?? []) }
    }

    public var isValid: Bool { !allDiagnostics.contains { $0.severity == .error } }
}

public enum MarketplaceLoader {
    /// Marketplace manifest locations, in the order they are looked for.
    public static let manifestPaths = [
        ".qoder-plugin/marketplace.json",
        ".claude-plugin/marketplace.json",
        "marketplace.json",
    ]

    /// The marketplace manifest in `root`, if there is one.
    public static func manifestFile(in root: String) -> String? {
        manifestPaths.lazy.map { FileSystem.join(root, $0) }.first { FileSystem.isFile($0) }
    }

    /// Reads the marketplace at `root` and every plugin its relative entries point at.
    public static func load(at root: String) -> MarketplaceBundle {
        let root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        var result = MarketplaceBundle(root: root)
        var diagnostics = Diagnostics()
        guard let file = manifestFile(in: root) else {
            diagnostics.error(id: "marketplace.no_marketplace_manifest_looked", "no marketplace manifest: looked for \(manifestPaths.joined(separator: ", "))",
                              at: SourceLocation(file: root))
            result.diagnostics = diagnostics.items
            return result
        }
        result.manifestFile = file
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(file)
        } catch {
            diagnostics.error(id: "marketplace.cannot_read_file", "cannot read file: \(error)", at: SourceLocation(file: file))
            result.diagnostics = diagnostics.items
            return result
        }
        guard let manifest = MarketplaceParser.parse(bytes, file: file, diagnostics: &diagnostics) else {
            result.diagnostics = diagnostics.items
            return result
        }
        result.manifest = manifest
        result.diagnostics = diagnostics.items

        let pluginRoot = manifest.pluginRoot.map(FileSystem.normalizeRelative) ?? ""
        for entry in manifest.plugins {
            var entryDiagnostics = Diagnostics()
            var bundle: PluginBundle?
            if case .relative(let relative) = entry.source {
                let normalized = FileSystem.normalizeRelative(relative)
                let base = pluginRoot.isEmpty ? root : FileSystem.join(root, pluginRoot)
                let dir = normalized.isEmpty ? base : FileSystem.join(base, normalized)
                let sourceNode = entry.node["source"] ?? entry.node
                let location = SourceLocation(file: file, line: sourceNode.line, column: sourceNode.column)
                if FileSystem.isDirectory(dir) {
                    var loaded = BundleLoader.load(at: dir, entryManifest: entry.strict ? nil : entry.manifest)
                    if entry.strict, loaded.manifest == nil {
                        // No plugin.json: the entry's name is the plugin's name, as hosts install it.
                        loaded.name = entry.name
                    }
                    if loaded.name != entry.name {
                        entryDiagnostics.warning(id: "marketplace.entry_points_plugin_named_installs",
                            "entry '\(entry.name)' points at a plugin named '\(loaded.name)'; it installs as '\(entry.name)'",
                            at: location)
                    }
                    bundle = loaded
                } else {
                    entryDiagnostics.error(id: "marketplace.plugin_source_not_folder_marketplace", "plugin source '\(relative)' of '\(entry.name)' is not a folder in the marketplace",
                                           at: location)
                }
            }
            result.plugins.append(.init(entry: entry, bundle: bundle, diagnostics: entryDiagnostics.items))
        }
        return result
    }
}
