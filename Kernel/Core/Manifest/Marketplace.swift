/// The marketplace manifest: `.qoder-plugin/marketplace.json`, else `.claude-plugin/marketplace.json`, else
/// `marketplace.json`.

/// Where a marketplace entry's plugin comes from.
public enum PluginSource: Sendable, Hashable {
    /// `"./plugins/x"`: a folder of the marketplace itself (relative to `metadata.pluginRoot` when set).
    case relative(String)
    /// `{"source": "github", "repo": "owner/repo", "ref"?, "sha"?}`
    case github(repo: String, ref: String?, sha: String?)
    /// `{"source": "url", "url": "https://….git", "ref"?, "sha"?}`: any git URL.
    case url(url: String, ref: String?, sha: String?)
    /// `{"source": "git-subdir", "url": …, "path": "plugins/x", "ref"?, "sha"?}`: a folder of a git repository
    /// (sparse checkout). A `url` source with a `path` is read as this too. `repo: "owner/repo"` in place of
    /// `url` means the GitHub repository.
    case gitSubdir(url: String, path: String, ref: String?, sha: String?)
    /// `{"source": "npm", "package": "@scope/name", "version"?, "registry"?}`
    case npm(package: String, version: String?, registry: String?)
    /// `{"source": "archive", "url": "https://….tar.gz", "sha256"?}`
    case archive(url: String, sha256: String?)

    /// The source type names accepted in the object form.
    public static let typeNames = ["github", "url", "git-subdir", "npm", "archive"]
}

public struct MarketplaceEntry: Sendable {
    public var name: String
    public var source: PluginSource
    public var description: String?
    public var version: String?
    /// When false, the entry itself defines the plugin's components (the plugin needs no plugin.json).
    public var strict: Bool = true
    public var author: Author?
    public var category: String?
    public var tags: [String] = []
    public var keywords: [String] = []
    public var homepage: String?
    /// The entry read with the plugin-manifest rules (entries may carry any manifest field: `commands`,
    /// `agents`, `skills`, `hooks`, `mcpServers`, `lspServers`…).
    public var manifest: PluginManifest
    /// The entry as written.
    public var node: Node
    public var line: Int
    public var column: Int
}

public struct MarketplaceManifest: Sendable {
    public var name: String
    public var owner: Author?
    /// Top-level `description`, else `metadata.description`.
    public var description: String?
    /// Top-level `version`, else `metadata.version`.
    public var version: String?
    /// `metadata.pluginRoot`: the folder relative sources are resolved against.
    public var pluginRoot: String?
    public var plugins: [MarketplaceEntry] = []
    /// `renames`: old plugin name → new name, as written.
    public var renames: Node?
    public var node: Node
    public var file: String
}

public enum MarketplaceParser {
    static let topLevelKeys = ["$schema", "name", "owner", "description", "version", "metadata", "plugins", "renames",
                               "allowCrossMarketplaceDependenciesOn"]
    static let entryKeys = ["source", "strict", "category", "tags"]

    /// Parses a marketplace manifest. Returns nil when the file is not JSON, its root is not an object or its
    /// `name` is unusable; invalid entries are reported and left out of `plugins`.
    public static func parse(_ bytes: [UInt8], file: String, diagnostics d: inout Diagnostics) -> MarketplaceManifest? {
        guard let root = JSONFile.read(bytes: bytes, file: file, diagnostics: &d) else { return nil }
        let r = FieldReader(file: file)
        guard let members = root.members else {
            d.error(id: "marketplace.marketplace_manifest_json_object", "marketplace manifest must be a JSON object, got \(root.kindDescription)", at: r.at(root))
            return nil
        }
        for m in members where !topLevelKeys.contains(m.key) {
            d.warning(id: "marketplace.unknown_marketplace_key", "unknown marketplace key '\(m.key)'\(didYouMean(m.key, in: topLevelKeys))", at: r.at(m))
        }
        let name = ManifestParser.checkName(root, what: "marketplace manifest", file: file, &d)
        var market = MarketplaceManifest(name: name ?? "", node: root, file: file)

        if let owner = root["owner"], !owner.isNull {
            market.owner = ManifestParser.readAuthor(owner, label: "owner", reader: r, &d)
        } else {
            d.error(id: "marketplace.marketplace_manifest_missing_required_key", "marketplace manifest is missing required key 'owner' (an object with 'name')", at: r.at(root))
        }
        var metadata: Node?
        if let meta = root["metadata"], !meta.isNull {
            if meta.members != nil { metadata = meta } else { r.typeError("metadata", expected: "an object", got: meta, &d) }
        }
        market.description = r.string(root, "description", &d)
        market.version = r.string(root, "version", &d)
        if let metadata {
            let desc = r.string(metadata, "description", label: "metadata.description", &d)
            let version = r.string(metadata, "version", label: "metadata.version", &d)
            market.description = market.description ?? desc
            market.version = market.version ?? version
            if let rootNode = metadata["pluginRoot"], !rootNode.isNull,
               let pluginRoot = r.string(rootNode, label: "metadata.pluginRoot", &d) {
                if RelativePath.escapes(pluginRoot) || pluginRoot.hasPrefix("/") {
                    d.error(id: "marketplace.metadata_pluginroot_escapes_marketplace_root", "'metadata.pluginRoot' '\(pluginRoot)' escapes the marketplace root", at: r.at(rootNode))
                } else {
                    market.pluginRoot = pluginRoot
                }
            }
        }
        if let renames = root["renames"], !renames.isNull {
            if let pairs = renames.members {
                for p in pairs where p.value.string == nil {
                    d.error(id: "marketplace.renames_string_new_plugin_name", "'renames.\(p.key)' must be a string (the new plugin name), got \(p.value.kindDescription)",
                            at: r.at(p.value))
                }
                market.renames = renames
            } else {
                r.typeError("renames", expected: "an object mapping old names to new names", got: renames, &d)
            }
        }

        guard let pluginsNode = root["plugins"], !pluginsNode.isNull else {
            d.error(id: "marketplace.marketplace_manifest_missing_required_key", "marketplace manifest is missing required key 'plugins'", at: r.at(root))
            return name == nil ? nil : market
        }
        guard let items = pluginsNode.array else {
            r.typeError("plugins", expected: "an array", got: pluginsNode, &d)
            return name == nil ? nil : market
        }
        var firstLine: [String: Int] = [:]
        for item in items {
            guard let entry = parseEntry(item, reader: r, &d) else { continue }
            if let first = firstLine[entry.name] {
                let at = item.member("name").map { r.at($0.value) } ?? r.at(item)
                d.error(id: "marketplace.duplicate_plugin_name_first_line", "duplicate plugin name '\(entry.name)' (first on line \(first))", at: at)
                continue
            }
            firstLine[entry.name] = item["name"]?.line ?? item.line
            market.plugins.append(entry)
        }
        return name == nil ? nil : market
    }

    /// Reads one plugin entry as written (the JSON text of one element of `plugins`), as `parse` reads it.
    public static func parseEntry(_ bytes: [UInt8], file: String, diagnostics d: inout Diagnostics) -> MarketplaceEntry? {
        guard let node = JSONFile.read(bytes: bytes, file: file, diagnostics: &d) else { return nil }
        return parseEntry(node, reader: FieldReader(file: file), &d)
    }

    static func parseEntry(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> MarketplaceEntry? {
        guard let members = node.members else {
            d.error(id: "marketplace.plugin_entry_object", "a plugin entry must be an object, got \(node.kindDescription)", at: r.at(node))
            return nil
        }
        let name = ManifestParser.checkName(node, what: "plugin entry", file: r.file, &d)
        let known = ManifestParser.readKeys + ManifestParser.knownKeys + entryKeys
        for m in members where !known.contains(m.key) {
            d.warning(id: "marketplace.unknown_key_plugin_entry", "unknown key '\(m.key)' in plugin entry '\(name ?? "?")'\(didYouMean(m.key, in: known))", at: r.at(m))
        }
        var manifest = PluginManifest(name: name ?? "", node: node, file: r.file)
        ManifestParser.readFields(node, into: &manifest, reader: r, &d)
        let strict = r.bool(node, "strict", &d)
        let category = r.string(node, "category", &d)
        let tags = r.stringArray(node, "tags", &d) ?? []
        let source: PluginSource?
        if let sNode = node["source"], !sNode.isNull {
            source = parseSource(sNode, reader: r, &d)
        } else {
            d.error(id: "marketplace.plugin_entry_missing_required_key", "plugin entry '\(name ?? "?")' is missing required key 'source'", at: r.at(node))
            source = nil
        }
        guard let name, let source else { return nil }
        return MarketplaceEntry(
            name: name, source: source, description: manifest.description, version: manifest.version,
            strict: strict ?? true, author: manifest.author, category: category, tags: tags,
            keywords: manifest.keywords, homepage: manifest.homepage, manifest: manifest,
            node: node, line: node.line, column: node.column)
    }

    static func parseSource(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> PluginSource? {
        if let path = node.string {
            // "." is the marketplace's own folder, as "./" (the hosts accept both; public marketplaces use it).
            if path == "." { return .relative("./") }
            guard RelativePath.check(path, root: "marketplace root", at: r.at(node), &d) else { return nil }
            return .relative(path)
        }
        guard node.members != nil else {
            r.typeError("source", expected: "a relative path or an object with 'source'", got: node, &d)
            return nil
        }
        guard let kindNode = node["source"], !kindNode.isNull else {
            d.error(id: "marketplace.source_object_missing_required_key", "'source' object is missing required key 'source' (one of \(PluginSource.typeNames.joined(separator: ", ")))",
                    at: r.at(node))
            return nil
        }
        guard let kind = r.string(kindNode, label: "source.source", &d) else { return nil }

        var ok = true
        /// A string field; `-` at the start is refused (it would be read as an option by git or npm).
        func field(_ key: String, required: Bool = false) -> String? {
            guard let v = node[key], !v.isNull else {
                if required {
                    d.error(id: "marketplace.source_missing_required_key", "'\(kind)' source is missing required key '\(key)'", at: r.at(node))
                    ok = false
                }
                return nil
            }
            guard let s = r.string(v, label: "source.\(key)", &d) else { ok = false; return nil }
            if s.hasPrefix("-") {
                d.error(id: "marketplace.source_not_start", "source '\(key)' '\(s)' must not start with '-'", at: r.at(v))
                ok = false
                return nil
            }
            if required && s.isEmpty {
                d.error(id: "marketplace.source_not_empty", "'source.\(key)' must not be empty", at: r.at(v))
                ok = false
                return nil
            }
            return s
        }
        func checkSha(_ sha: String?, key: String = "sha") {
            guard let sha, let v = node[key] else { return }
            let want = key == "sha256" ? 64 : 40
            if sha.count != want || !sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }) {
                d.error(id: "marketplace.source_hexadecimal_digits", "'source.\(key)' must be \(want) hexadecimal digits, got '\(sha)'", at: r.at(v))
                ok = false
            }
        }
        func checkRepo(_ repo: String?) {
            guard let repo, let v = node["repo"] else { return }
            let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count != 2 || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                d.error(id: "marketplace.source_repo_owner_repo", "'source.repo' must be 'owner/repo', got '\(repo)'", at: r.at(v))
                ok = false
            }
        }
        func checkSubdir(_ path: String?) {
            guard let path, let v = node["path"] else { return }
            if path.hasPrefix("/") || RelativePath.escapes(path) {
                d.error(id: "marketplace.source_path_escapes_repository", "'source.path' '\(path)' escapes the repository", at: r.at(v))
                ok = false
            }
        }

        switch kind {
        case "github":
            let repo = field("repo", required: true)
            checkRepo(repo)
            let ref = field("ref"), sha = field("sha")
            checkSha(sha)
            guard ok, let repo else { return nil }
            if let path = field("path") {
                checkSubdir(path)
                guard ok else { return nil }
                return .gitSubdir(url: "https://github.com/\(repo).git", path: path, ref: ref, sha: sha)
            }
            return .github(repo: repo, ref: ref, sha: sha)
        case "url":
            let url = field("url", required: true)
            let ref = field("ref"), sha = field("sha"), path = field("path")
            checkSha(sha)
            checkSubdir(path)
            guard ok, let url else { return nil }
            if let path { return .gitSubdir(url: url, path: path, ref: ref, sha: sha) }
            return .url(url: url, ref: ref, sha: sha)
        case "git-subdir":
            var url: String?
            if node["url"] != nil || node["repo"] == nil {
                url = field("url", required: true)
            } else if let repo = field("repo", required: true) {
                checkRepo(repo)
                url = "https://github.com/\(repo).git"
            }
            let path = field("path", required: true)
            checkSubdir(path)
            let ref = field("ref"), sha = field("sha")
            checkSha(sha)
            guard ok, let url, let path else { return nil }
            return .gitSubdir(url: url, path: path, ref: ref, sha: sha)
        case "npm":
            let package = field("package", required: true)
            let version = field("version"), registry = field("registry")
            guard ok, let package else { return nil }
            return .npm(package: package, version: version, registry: registry)
        case "archive":
            let url = field("url", required: true)
            let sha256 = field("sha256")
            checkSha(sha256, key: "sha256")
            guard ok, let url else { return nil }
            return .archive(url: url, sha256: sha256)
        default:
            d.error(id: "marketplace.unknown_source_type_expected_one", "unknown source type '\(kind)'\(didYouMean(kind, in: PluginSource.typeNames)); expected one of \(PluginSource.typeNames.joined(separator: ", "))",
                    at: r.at(kindNode))
            return nil
        }
    }
}
