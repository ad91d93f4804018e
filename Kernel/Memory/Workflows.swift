public import KernelCore
public import KernelHost

/// One saved workflow as `kernel workflows list` shows it.
public struct WorkflowListing: Sendable {
    /// The name a session asks for: `meta.name`, or `plugin:name` for a plugin's.
    public var name: String
    /// `project`, `user` or `plugin`.
    public var source: String
    public var scope: String?
    public var plugin: String?
    public var path: String
    /// Nil when the script's `meta` cannot be used (see `diagnostics`).
    public var workflow: WorkflowDefinition?
    /// `active`, `shadowed`, `inactive` or `invalid`.
    public var state: String
    public var reason: String?
    public var diagnostics: [Diagnostic]
}

/// Saved workflows (`seeds/cli-workflows.md`): `<project>/.qoder/workflows/*.js`, `~/.qoder/workflows/*.js` and
/// each plugin's `workflows/*.js`, read without running them. Same name: project over user over plugin (plugin
/// ones are `plugin:name`, so only a bare name can clash). Kernel has no built-in workflows.
public enum WorkflowCatalog {
    /// Reads one folder's `*.js` files (sorted by name).
    public static func read(folder: String, source: String, scope: String?, plugin: String?) -> [WorkflowListing] {
        guard let entries = FileSystem.list(folder) else { return [] }
        var out: [WorkflowListing] = []
        for e in entries where e.type == .file && e.name.hasSuffix(".js") {
            let path = FileSystem.join(folder, e.name)
            var diagnostics = Diagnostics()
            var workflow: WorkflowDefinition?
            do {
                let bytes = try FileSystem.read(path, limit: WorkflowParser.maxSize)
                workflow = WorkflowParser.parse(bytes, file: path, diagnostics: &diagnostics)
            } catch {
                diagnostics.error(id: "workflow.cannot_read_the_script", "cannot read the script: \(error)", at: SourceLocation(file: path))
            }
            let base = workflow?.name ?? String(e.name.dropLast(3))
            let name = plugin.map { "\(Self.pluginName($0)):\(base)" } ?? base
            let firstError = diagnostics.items.first { $0.severity == .error }
            out.append(WorkflowListing(name: name, source: source, scope: scope, plugin: plugin, path: path, workflow: workflow,
                                       state: workflow == nil ? "invalid" : "active",
                                       reason: workflow == nil ? firstError.map { "\($0.location): \($0.message)" } : nil,
                                       diagnostics: diagnostics.items))
        }
        return out
    }

    static func pluginName(_ id: String) -> String {
        id.split(separator: "@", maxSplits: 1).first.map(String.init) ?? id
    }

    /// Resolves names: the first active entry of a name wins; later ones are `shadowed` by it.
    public static func resolve(_ entries: [WorkflowListing]) -> [WorkflowListing] {
        var winners: [String: WorkflowListing] = [:]
        var out = entries
        for i in out.indices where out[i].state == "active" {
            if let winner = winners[out[i].name] {
                out[i].state = "shadowed"
                out[i].reason = "shadowed by the \(winner.source) workflow \(winner.path)"
            } else {
                winners[out[i].name] = out[i]
            }
        }
        return out
    }
}

extension PluginHost {
    /// Saved workflows, resolved: project (marked inactive in an untrusted project: a workflow runs agents), user,
    /// then plugins (disabled plugins' listed as inactive).
    public func workflows(pluginDirs: [String] = []) throws(KernelError) -> [WorkflowListing] {
        var entries: [WorkflowListing] = []
        let trusted = isProjectTrusted()
        let projectFolder = FileSystem.join(paths.project, ".qoder/workflows")
        let userFolder = FileSystem.join(paths.home, "workflows")
        if projectFolder != userFolder {
            var project = WorkflowCatalog.read(folder: projectFolder, source: "project", scope: "project", plugin: nil)
            if !trusted {
                for i in project.indices where project[i].state == "active" {
                    project[i].state = "inactive"
                    project[i].reason = "the project is not trusted (kernel trust)"
                }
            }
            entries += project
        }
        entries += WorkflowCatalog.read(folder: userFolder, source: "user", scope: "user", plugin: nil)
        for row in try listings(pluginDirs: pluginDirs) {
            var found = WorkflowCatalog.read(folder: FileSystem.join(row.installPath, "workflows"), source: "plugin",
                                             scope: row.scope, plugin: row.id)
            let untrusted = (row.scope == "project" || row.scope == "local") && !trusted
            for i in found.indices where found[i].state == "active" && (!row.enabled || untrusted) {
                found[i].state = "inactive"
                found[i].reason = row.enabled ? "the project is not trusted (kernel trust)" : "plugin \(row.id) is disabled"
            }
            entries += found
        }
        return WorkflowCatalog.resolve(entries)
    }
}

/// What a plugin folder contributes to memory and workflows, as `kernel plugins validate` counts and checks it.
public struct PluginMemoryComponents: Sendable {
    /// `rules/**/*.md` names (`api/handlers`), sorted by path.
    public var rules: [String]
    /// `workflows/*.js` names (`meta.name`, or the file name when the meta is unusable).
    public var workflows: [String]
    /// Every problem of those files: rule frontmatter, workflow `meta`.
    public var diagnostics: [Diagnostic]

    public init(root: String) {
        var d = Diagnostics()
        rules = MemoryContext.pluginRules(root: root, diagnostics: &d).map(\.name)
        let found = WorkflowCatalog.read(folder: FileSystem.join(root, "workflows"), source: "plugin", scope: nil, plugin: nil)
        workflows = found.map(\.name)
        diagnostics = d.items + found.flatMap(\.diagnostics)
    }
}
