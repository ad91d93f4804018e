/// The plugin manifest: `.qoder-plugin/plugin.json`, else `.claude-plugin/plugin.json`.

/// A relative path written in a manifest (`"./skills/"`), with the position of the string.
public struct ManifestPath: Sendable, Hashable, Codable {
    public var path: String
    public var line: Int
    public var column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }
}

/// A manifest field that names files (`"./hooks.json"`, or several) or holds the content inline.
public enum ManifestComponentRef: Sendable, Codable {
    case paths([ManifestPath])
    /// The inline content as written: for `hooks`, an event map (read it with `HooksParser.parseEventMap`);
    /// for `mcpServers`, a name → server object (read it with `MCPParser.parseServers`).
    case inline(Node)
}

/// A plugin's (or marketplace's) author or owner.
public struct Author: Sendable, Hashable, Codable {
    public var name: String
    public var email: String?
    public var url: String?

    public init(name: String, email: String? = nil, url: String? = nil) {
        self.name = name
        self.email = email
        self.url = url
    }
}

public struct PluginManifest: Sendable, Codable {
    public var name: String
    public var version: String?
    public var description: String?
    public var displayName: String?
    public var homepage: String?
    /// A string, or the `url` of a `{"type": "git", "url": …}` object.
    public var repository: String?
    public var license: String?
    public var author: Author?
    public var keywords: [String] = []
    /// Plugins this one needs: `name` or `name@marketplace` (object entries `{"name", "marketplace"}` are
    /// flattened to that form; a version constraint stays in `node`).
    public var dependencies: [String] = []
    /// Paths replacing the `commands/` convention folder.
    public var commands: [ManifestPath]?
    /// Paths replacing the `agents/` convention folder.
    public var agents: [ManifestPath]?
    /// Paths added to the `skills/` convention folder.
    public var skills: [ManifestPath]?
    /// Paths for output styles (manifest key `outputStyles`, folder `output-styles/`).
    public var outputStyles: [ManifestPath]?
    /// Hook files added to `hooks/hooks.json`, or an inline event map.
    public var hooks: ManifestComponentRef?
    /// MCP server files (replacing `.mcp.json`), or inline servers.
    public var mcpServers: ManifestComponentRef?
    /// Language servers, kept as written (a path, paths or an inline object).
    public var lspServers: Node?
    /// Native `.so` modules (else the `modules/` convention folder).
    public var modules: [ManifestPath]?
    /// `userConfig`: the keys the plugin asks its user for (`UserConfigParser`).
    public var userConfig: [UserConfigOption] = []
    /// The whole manifest as read.
    public var node: Node
    public var file: String

    public init(name: String, node: Node, file: String) {
        self.name = name
        self.node = node
        self.file = file
    }
}

public enum ManifestParser {
    /// Keys the kernel reads.
    static let readKeys: [String] = [
        "name", "version", "description", "displayName", "author", "homepage", "repository", "license",
        "keywords", "dependencies", "commands", "agents", "skills", "outputStyles", "hooks", "mcpServers",
        "lspServers", "modules", "userConfig",
    ]
    /// Keys known from Qoder, Claude Code, and other hosts' manifests in real bundles: accepted silently.
    static let knownKeys: [String] = [
        "$schema", "descriptionZh", "displayNameZh", "category", "tags", "strict", "interface",
        "channels", "settings", "icon", "logo", "screenshots", "private", "engines", "id", "publisher",
        "contributors", "bugs", "funding", "outputStyle",
    ]

    /// Parses a plugin manifest. Returns nil when the file is not JSON, its root is not an object, or `name`
    /// is missing or unusable (the loader then falls back to the folder name); every problem is reported.
    public static func parse(_ bytes: [UInt8], file: String, diagnostics: inout Diagnostics) -> PluginManifest? {
        guard let root = JSONFile.read(bytes: bytes, file: file, diagnostics: &diagnostics) else { return nil }
        return parse(root, file: file, diagnostics: &diagnostics)
    }

    /// Parses an already-read manifest object.
    public static func parse(_ root: Node, file: String, diagnostics d: inout Diagnostics) -> PluginManifest? {
        let r = FieldReader(file: file)
        guard let members = root.members else {
            d.error(id: "manifest.plugin_manifest_json_object", "plugin manifest must be a JSON object, got \(root.kindDescription)", at: r.at(root))
            return nil
        }
        for m in members where !readKeys.contains(m.key) && !knownKeys.contains(m.key) {
            d.warning(id: "manifest.unknown_manifest_key", "unknown manifest key '\(m.key)'\(didYouMean(m.key, in: readKeys))", at: r.at(m))
        }
        let name = checkName(root, what: "plugin manifest", file: file, &d)
        var manifest = PluginManifest(name: name ?? "", node: root, file: file)
        readFields(root, into: &manifest, reader: r, &d)
        return name == nil ? nil : manifest
    }

    /// `name`: required, a non-empty string without whitespace; kebab-case recommended (warning).
    static func checkName(_ object: Node, what: String, file: String, _ d: inout Diagnostics) -> String? {
        let r = FieldReader(file: file)
        guard let value = object["name"], !value.isNull else {
            d.error(id: "manifest.missing_required_key_name", "\(what) is missing required key 'name'", at: r.at(object))
            return nil
        }
        guard let name = r.string(value, label: "name", &d) else { return nil }
        if name.isEmpty {
            d.error(id: "manifest.name_not_empty", "'name' must not be empty", at: r.at(value))
            return nil
        }
        if NameRules.containsWhitespace(name) {
            d.error(id: "manifest.name_not_contain_spaces", "name '\(name)' must not contain spaces", at: r.at(value))
            return nil
        }
        if !NameRules.isKebabCase(name) {
            d.warning(id: "manifest.name_not_kebab_case_lowercase", "name '\(name)' is not kebab-case (lowercase letters, digits and '-', e.g. 'my-plugin')",
                      at: r.at(value))
        }
        return name
    }

    /// Every field but `name`: shared by plugin.json and marketplace entries (which may carry any manifest field).
    static func readFields(_ root: Node, into m: inout PluginManifest, reader r: FieldReader, _ d: inout Diagnostics) {
        if let version = root["version"], !version.isNull, let v = r.string(version, label: "version", &d) {
            m.version = v
            if !NameRules.isSemver(v) {
                d.warning(id: "manifest.version_not_semantic_version_major", "version '\(v)' is not a semantic version (MAJOR.MINOR.PATCH, e.g. '1.0.0')", at: r.at(version))
            }
        }
        m.description = r.string(root, "description", &d)
        m.displayName = r.string(root, "displayName", &d)
        m.homepage = r.string(root, "homepage", &d)
        m.license = r.string(root, "license", &d)
        if let repo = root["repository"], !repo.isNull {
            if let s = repo.string {
                m.repository = s
            } else if repo.members != nil {
                m.repository = r.string(repo, "url", label: "repository.url", &d)
            } else {
                r.typeError("repository", expected: "a string or an object with 'url'", got: repo, &d)
            }
        }
        if let author = root["author"], !author.isNull {
            m.author = readAuthor(author, label: "author", reader: r, &d)
        }
        m.keywords = r.stringArray(root, "keywords", &d) ?? []
        if let deps = root["dependencies"], !deps.isNull {
            m.dependencies = readDependencies(deps, reader: r, &d)
        }
        m.commands = readPaths(root, "commands", reader: r, &d)
        m.agents = readPaths(root, "agents", reader: r, &d)
        m.skills = readPaths(root, "skills", reader: r, &d)
        m.outputStyles = readPaths(root, "outputStyles", reader: r, &d)
        m.modules = readPaths(root, "modules", reader: r, &d)
        m.hooks = readComponentRef(root, "hooks", reader: r, &d)
        m.mcpServers = readComponentRef(root, "mcpServers", reader: r, &d)
        if let userConfig = root["userConfig"], !userConfig.isNull {
            m.userConfig = UserConfigParser.parse(userConfig, reader: r, &d)
        }
        if let lsp = root["lspServers"], !lsp.isNull {
            switch lsp.value {
            case .string, .array, .object: m.lspServers = lsp
            default: r.typeError("lspServers", expected: "a path, an array of paths or an object", got: lsp, &d)
            }
        }
    }

    /// An author object `{name, email, url}`; a plain string is read as the name, with a warning.
    static func readAuthor(_ node: Node, label: String, reader r: FieldReader, _ d: inout Diagnostics) -> Author? {
        if let s = node.string {
            d.warning(id: "manifest.should_object_like_name_string", "'\(label)' should be an object like {\"name\": \"\(s)\"}; the string is read as the name",
                      at: r.at(node))
            return Author(name: s)
        }
        guard node.members != nil else {
            r.typeError(label, expected: "an object with 'name'", got: node, &d)
            return nil
        }
        let email = r.string(node, "email", label: "\(label).email", &d)
        let url = r.string(node, "url", label: "\(label).url", &d)
        guard let nameNode = node["name"], !nameNode.isNull else {
            d.error(id: "manifest.missing_required_key_name", "'\(label)' is missing required key 'name'", at: r.at(node))
            return nil
        }
        guard let name = r.string(nameNode, label: "\(label).name", &d) else { return nil }
        return Author(name: name, email: email, url: url)
    }

    static func readDependencies(_ node: Node, reader r: FieldReader, _ d: inout Diagnostics) -> [String] {
        guard let items = node.array else {
            r.typeError("dependencies", expected: "an array", got: node, &d)
            return []
        }
        var out: [String] = []
        for item in items {
            if let s = item.string {
                if s.isEmpty { d.error(id: "manifest.dependency_name_not_empty", "a dependency name must not be empty", at: r.at(item)) } else { out.append(s) }
            } else if item.members != nil {
                guard let nameNode = item["name"], !nameNode.isNull else {
                    d.error(id: "manifest.dependency_object_missing_required_key", "a dependency object is missing required key 'name'", at: r.at(item))
                    continue
                }
                guard let name = r.string(nameNode, label: "dependencies.name", &d) else { continue }
                _ = r.string(item, "version", label: "dependencies.version", &d)
                if let market = r.string(item, "marketplace", label: "dependencies.marketplace", &d) {
                    out.append("\(name)@\(market)")
                } else {
                    out.append(name)
                }
            } else {
                d.error(id: "manifest.dependencies_entries_strings_objects_name", "'dependencies' entries must be strings or objects with 'name', got \(item.kindDescription)",
                        at: r.at(item))
            }
        }
        return out
    }

    /// A path field: a string or an array of strings, each relative (`./…`) and inside the plugin root.
    static func readPaths(_ object: Node, _ key: String, reader r: FieldReader, _ d: inout Diagnostics) -> [ManifestPath]? {
        guard let value = object[key], !value.isNull else { return nil }
        switch value.value {
        case .string:
            return checkedPaths([value], key: key, reader: r, &d)
        case .array(let items):
            return checkedPaths(items, key: key, reader: r, &d)
        case .object where key == "commands":
            d.warning(id: "manifest.inline_command_definitions_commands_not", "inline command definitions in 'commands' are not supported; they are ignored", at: r.at(value))
            return nil
        default:
            r.typeError(key, expected: "a path or an array of paths", got: value, &d)
            return nil
        }
    }

    private static func checkedPaths(_ items: [Node], key: String, reader r: FieldReader,
                                     _ d: inout Diagnostics) -> [ManifestPath] {
        var out: [ManifestPath] = []
        for item in items {
            guard let s = item.string else {
                d.error(id: "manifest.contain_only_path_strings", "'\(key)' must contain only path strings, got \(item.kindDescription)", at: r.at(item))
                continue
            }
            if RelativePath.check(s, root: "plugin root", at: r.at(item), &d) {
                out.append(ManifestPath(path: s, line: item.line, column: item.column))
            }
        }
        return out
    }

    /// `hooks` / `mcpServers`: path(s), or the content inline. An inline object that is itself wrapped
    /// (`{"hooks": {…}}` / `{"mcpServers": {…}}`, as in the files) is unwrapped.
    static func readComponentRef(_ object: Node, _ key: String, reader r: FieldReader,
                                 _ d: inout Diagnostics) -> ManifestComponentRef? {
        guard let value = object[key], !value.isNull else { return nil }
        switch value.value {
        case .string:
            return .paths(checkedPaths([value], key: key, reader: r, &d))
        case .array(let items):
            return .paths(checkedPaths(items, key: key, reader: r, &d))
        case .object:
            if let inner = value[key], inner.members != nil { return .inline(inner) }
            return .inline(value)
        default:
            r.typeError(key, expected: "a path, an array of paths or an object", got: value, &d)
            return nil
        }
    }
}

extension PluginManifest {
    /// The inline hooks of the manifest, validated; empty when `hooks` names files or is absent.
    public func inlineHooks(diagnostics: inout Diagnostics) -> [HookMatcherGroup] {
        guard case .inline(let node) = hooks else { return [] }
        return HooksParser.parseEventMap(node, file: file, diagnostics: &diagnostics)
    }

    /// The inline MCP servers of the manifest, validated; empty when `mcpServers` names files or is absent.
    public func inlineMCPServers(diagnostics: inout Diagnostics) -> [MCPServerDefinition] {
        guard case .inline(let node) = mcpServers else { return [] }
        return MCPParser.parseServers(node, file: file, diagnostics: &diagnostics)
    }
}
