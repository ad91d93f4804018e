import Foundation
public import KernelCore

/// Where a blueprint came from.
public enum BlueprintSource: String, Sendable {
    case user, project, plugin
}

/// One blueprint file as composed: its blueprint (nil when the file could not be read as one), where it came
/// from and whether it is the one that runs.
public struct BlueprintEntry: Sendable {
    /// Active, shadowed by a project blueprint of the same name (its file), or inactive and why: the states every
    /// registry component has.
    public typealias State = ComponentState

    public var name: String
    public var blueprint: TaskBlueprint?
    public var source: BlueprintSource
    public var pluginID: String?
    public var pluginRoot: String?
    public var file: String
    public var state: State
    public var diagnostics: [Diagnostic]
}

/// A plugin whose `tasks/` folder is read.
public struct TaskPluginRoot: Sendable {
    public var id: String
    public var name: String
    public var root: String
    public var enabled: Bool
    /// Installed at project or local scope (runs only in a trusted project).
    public var projectScoped: Bool

    public init(id: String, name: String, root: String, enabled: Bool, projectScoped: Bool) {
        self.id = id; self.name = name; self.root = root; self.enabled = enabled; self.projectScoped = projectScoped
    }
}

/// Every blueprint of the user, the project and the plugins, composed like commands: project beats user,
/// plugin blueprints are `plugin:name`.
public struct BlueprintCatalog: Sendable {
    public var entries: [BlueprintEntry]

    public init(entries: [BlueprintEntry]) { self.entries = entries }

    /// Reads `<userRoot>/tasks/*.md`, `<project>/.qoder/tasks/*.md` and each plugin's `tasks/*.md`.
    ///
    /// Project blueprints and project-scope plugins' run only in a trusted project (they run code); in an
    /// untrusted one they are listed as inactive with the reason. A disabled plugin's are inactive too.
    public static func load(userRoot: String, projectDir: String, plugins: [TaskPluginRoot], projectTrusted: Bool) -> BlueprintCatalog {
        var entries: [BlueprintEntry] = []
        let user = readFolder(FileSystem.join(userRoot, "tasks"), source: .user, plugin: nil)
        let projectRoot = FileSystem.join(projectDir, ".qoder")
        var project: [BlueprintEntry] = []
        if projectRoot != userRoot {
            project = readFolder(FileSystem.join(projectRoot, "tasks"), source: .project, plugin: nil)
            if !projectTrusted {
                for i in project.indices where project[i].state == .active {
                    project[i].state = .inactive(reason: "project not trusted (kernel trust)")
                }
            }
        }
        // Only a project blueprint that can run shadows the user's (an untrusted project's does not).
        let projectNames = Dictionary(project.filter { $0.state == .active }.map { ($0.name, $0.file) }, uniquingKeysWith: { a, _ in a })
        for var e in user {
            if e.state == .active, let by = projectNames[e.name] { e.state = .shadowed(by: by) }
            entries.append(e)
        }
        entries += project
        var seenPlugins = Set<String>()
        for p in plugins where !seenPlugins.contains(p.root) {
            seenPlugins.insert(p.root)
            var rows = readFolder(FileSystem.join(p.root, "tasks"), source: .plugin, plugin: p)
            for i in rows.indices where rows[i].state == .active {
                if !p.enabled { rows[i].state = .inactive(reason: "plugin \(p.id) is disabled") }
                else if p.projectScoped && !projectTrusted { rows[i].state = .inactive(reason: "project not trusted (kernel trust)") }
            }
            entries += rows
        }
        // Two active entries of one name (two plugins of one name, two files naming the same blueprint): the first wins.
        var taken: [String: String] = [:]
        for i in entries.indices where entries[i].state == .active {
            if let first = taken[entries[i].name] { entries[i].state = .shadowed(by: first) } else { taken[entries[i].name] = entries[i].file }
        }
        // Webhook paths are global: a second active blueprint claiming one is inactive, with the reason.
        var paths: [String: String] = [:]
        for i in entries.indices where entries[i].state == .active {
            for t in entries[i].blueprint?.triggers ?? [] where t.kind == .webhook {
                guard let p = t.path else { continue }
                if let owner = paths[p] {
                    let message = "webhook path '\(p)' is already used by \(owner)"
                    entries[i].diagnostics.append(Diagnostic(id: "task.webhook_path_taken", .error, message, at: SourceLocation(file: entries[i].file, line: t.line, column: t.column)))
                    entries[i].state = .inactive(reason: message)
                } else {
                    paths[p] = entries[i].name
                }
            }
        }
        return BlueprintCatalog(entries: entries)
    }

    /// The blueprints of one folder, in file-name order.
    public static func readFolder(_ dir: String, source: BlueprintSource, plugin: TaskPluginRoot?) -> [BlueprintEntry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [BlueprintEntry] = []
        for fileName in names.sorted() where fileName.hasSuffix(".md") && !fileName.hasPrefix(".") {
            let file = FileSystem.join(dir, fileName)
            let stem = String(fileName.dropLast(3))
            var d = Diagnostics()
            var blueprint: TaskBlueprint?
            if let bytes = try? FileSystem.read(file) {
                blueprint = BlueprintParser.parse(bytes, file: file, defaultName: stem, diagnostics: &d)
            } else {
                d.error(id: "task.unreadable", "cannot read the file", at: SourceLocation(file: file))
            }
            if var b = blueprint, let plugin { b.name = "\(plugin.name):\(b.name)"; blueprint = b }
            let name = blueprint?.name ?? (plugin.map { "\($0.name):\(stem)" } ?? stem)
            let state: BlueprintEntry.State = d.hasErrors || blueprint == nil
                ? .inactive(reason: "invalid: \(d.items.first { $0.severity == .error }?.description ?? "unreadable")")
                : (blueprint!.enabled ? .active : .inactive(reason: "enabled: false in the blueprint"))
            out.append(BlueprintEntry(name: name, blueprint: d.hasErrors ? nil : blueprint, source: source,
                                      pluginID: plugin?.id, pluginRoot: plugin?.root, file: file, state: state,
                                      diagnostics: d.items))
        }
        return out
    }

    /// The active blueprints by name.
    public var active: [String: BlueprintEntry] {
        var out: [String: BlueprintEntry] = [:]
        for e in entries where e.state == .active && e.blueprint != nil { out[e.name] = e }
        return out
    }

    /// The entry a user means by `name`: an exact name (the active one first), or a plugin blueprint's bare name
    /// when only one plugin has it.
    public func resolve(_ name: String) -> BlueprintEntry? {
        let exact = entries.filter { $0.name == name }
        if let e = exact.first(where: { $0.state == .active }) ?? exact.first { return e }
        let bare = entries.filter { $0.source == .plugin && $0.name.split(separator: ":", maxSplits: 1).last.map(String.init) == name }
        let names = Set(bare.map(\.name))
        if names.count == 1 { return bare.first { $0.state == .active } ?? bare.first }
        return nil
    }

    /// The names that a bare plugin-blueprint name could mean, when more than one plugin has it.
    public func ambiguous(_ name: String) -> [String] {
        let names = Set(entries.filter { $0.source == .plugin && $0.name.hasSuffix(":\(name)") }.map(\.name))
        return names.count > 1 ? names.sorted() : []
    }
}
