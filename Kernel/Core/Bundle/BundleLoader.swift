internal import Glibc

/// Reads a plugin folder into a `PluginBundle`: manifest, convention folders, manifest path fields,
/// component files. Never throws; every problem becomes a diagnostic and the rest is still read.
public enum BundleLoader {
    /// The manifest locations, in the order they are looked for.
    public static let manifestPaths: [(path: String, format: ManifestFormat)] = [
        (".qoder-plugin/plugin.json", .qoder),
        (".claude-plugin/plugin.json", .claude),
    ]

    /// Reads the bundle at `root`.
    /// - Parameters:
    ///   - root: the plugin folder, as the user gave it (paths in diagnostics start with it).
    ///   - entryManifest: for a marketplace entry with `strict: false`, the entry read as a manifest, which
    ///     supplies the manifest fields (over a plugin.json when there is one).
    public static func load(at root: String, entryManifest: PluginManifest? = nil) -> PluginBundle {
        var loader = Loader(root: root)
        return loader.run(entryManifest: entryManifest)
    }

    /// Reads the prompt components of a user or project folder (`~/.qoder`, `<project>/.qoder`): its
    /// `commands/`, `skills/` and `agents/`, with no manifest, and agents keeping every field (the plugin safety
    /// policy does not apply). A missing folder is an empty bundle without diagnostics.
    public static func loadComponentFolders(at root: String) -> PluginBundle {
        var loader = Loader(root: root)
        loader.isPlugin = false
        var bundle = PluginBundle(root: root, name: FileSystem.baseName(root), manifestFormat: .none)
        guard FileSystem.isDirectory(root) else { return bundle }
        bundle.commands = loader.loadCommands(nil)
        bundle.skills = loader.loadSkills(nil)
        bundle.agents = loader.loadAgents(nil)
        bundle.diagnostics = loader.diagnostics.items
        bundle.inputs = [root] + loader.inputs
        bundle.inputStamps = [nil] + loader.inputStamps
        return bundle
    }
}

private struct Loader {
    let root: String
    var diagnostics = Diagnostics()
    /// Canonical root, for the "path escapes the plugin root" check.
    /// Computed on first need (a realpath walks every component of the path with readlink).
    lazy var canonicalRoot: String? = FileSystem.realPath(root)
    /// The manifest (or marketplace entry) file, where path-field diagnostics point.
    var manifestFile: String?
    /// False for user and project folders: their agents keep hooks, mcpServers and permissionMode.
    var isPlugin = true
    /// Every folder listed or probed and every file read: what a cache must stat to know the result is
    /// unchanged (a file appearing or disappearing changes its folder's mtime).
    var inputs: [String] = []
    /// The stamp of each input when it was listed or read (nil when only probed).
    var inputStamps: [FileSystem.Stamp?] = []

    mutating func addInput(_ path: String, _ stamp: FileSystem.Stamp?) {
        inputs.append(path)
        inputStamps.append(stamp)
    }

    /// Lists a folder, recording it as an input. An entry whose name cannot be kept as a `String` without loss
    /// (invalid UTF-8, a control character such as a newline) is reported as an error naming it escaped, and
    /// left out: never dropped silently, never re-encoded into a path that names another file.
    mutating func list(_ dir: String) -> [FileSystem.Entry]? {
        var stamp: FileSystem.Stamp?
        guard let entries = FileSystem.list(dir, stamp: &stamp) else { return nil }
        addInput(dir, stamp)
        var usable: [FileSystem.Entry] = []
        usable.reserveCapacity(entries.count)
        for entry in entries {
            if let problem = entry.nameProblem {
                diagnostics.error(id: "bundle.unloadable_name", "the name '\(entry.name)' \(problem); it cannot be loaded (rename it)",
                                  at: SourceLocation(file: FileSystem.join(dir, entry.name)))
                continue
            }
            usable.append(entry)
        }
        return usable
    }

    /// Reports a `.md` entry that is a FIFO, socket or device (listed as `.other`): it is not read.
    mutating func reportNonRegular(_ entry: FileSystem.Entry, in dir: String) {
        guard entry.type == .other, entry.name.hasSuffix(".md") else { return }
        let file = FileSystem.join(dir, entry.name)
        var what = "not a regular file"
        do { _ = try FileSystem.read(file, limit: 0) } catch { what = "\(error)" }
        diagnostics.error(id: "bundle.cannot_read_file", "cannot read file: \(what)", at: SourceLocation(file: file))
    }

    /// The deepest `commands/` nesting read (a `dir:` segment per level).
    static let maxCommandDepth = 16

    init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    func path(_ relative: String) -> String { FileSystem.join(root, relative) }

    mutating func run(entryManifest: PluginManifest?) -> PluginBundle {
        let rootStatus = FileSystem.status(root)
        guard let rootStatus, rootStatus.type == .directory else {
            let exists = rootStatus != nil
            diagnostics.error(id: exists ? "bundle.not_a_directory" : "bundle.no_such_directory",
                              exists ? "not a directory" : "no such directory",
                              at: SourceLocation(file: root))
            var bundle = PluginBundle(root: root, name: FileSystem.baseName(root), manifestFormat: .none)
            bundle.diagnostics = diagnostics.items
            return bundle
        }

        addInput(root, rootStatus.stamp)

        // 1. The manifest.
        var manifest: PluginManifest?
        var format = ManifestFormat.none
        for candidate in BundleLoader.manifestPaths {
            let file = path(candidate.path)
            guard FileSystem.exists(file) else {
                // A manifest appearing later in an existing folder changes the folder's mtime (a new folder
                // changes the root's).
                let dir = FileSystem.join(root, String(candidate.path.prefix { $0 != "/" }))
                if let status = FileSystem.status(dir), status.type == .directory { addInput(dir, status.stamp) }
                continue
            }
            format = candidate.format
            if let bytes = readFile(file) {
                manifest = ManifestParser.parse(bytes, file: file, diagnostics: &diagnostics)
            }
            break
        }
        if let entryManifest {
            manifest = manifest.map { $0.overlaid(by: entryManifest) } ?? entryManifest
            format = .marketplaceEntry
        }
        manifestFile = manifest?.file

        let folderName = manifest == nil ? FileSystem.baseName(canonicalRoot ?? root) : FileSystem.baseName(root)
        var bundle = PluginBundle(root: root, name: manifest?.name ?? folderName, manifestFormat: format)
        bundle.manifest = manifest
        bundle.version = manifest?.version
        bundle.description = manifest?.description

        // 2. Components. `commands`, `agents` and `outputStyles` replace their folder; `skills`, `hooks` and
        //    `mcpServers` add to theirs.
        bundle.commands = loadCommands(manifest?.commands)
        bundle.skills = loadSkills(manifest?.skills)
        bundle.agents = loadAgents(manifest?.agents)
        bundle.hooks = loadHooks(manifest)
        bundle.mcpServers = loadMCP(manifest)
        bundle.outputStyles = loadOutputStyles(manifest?.outputStyles)
        bundle.binaries = listFiles(in: "bin").map { path("bin/" + $0) }
        bundle.modules = loadModules(manifest?.modules)
        bundle.workflows = listFiles(in: "workflows").filter { $0.hasSuffix(".js") }.sorted().map { path("workflows/" + $0) }
        if FileSystem.isDirectory(path("rules")) {
            var visited = Set<FileSystem.FileID>()
            collectRules(in: path("rules"), depth: 0, into: &bundle.rules, visited: &visited)
            bundle.rules.sort()
        }
        bundle.tasks = listFiles(in: "tasks").filter { $0.hasSuffix(".md") }.sorted().map { path("tasks/" + $0) }
        UserConfigReference.checkDeclared(bundle, &diagnostics)

        if !bundle.hasComponents {
            diagnostics.note(id: "bundle.no_components_found_nothing_commands", "no components found: nothing in commands/, agents/, skills/, output-styles/, workflows/, "
                             + "rules/, tasks/ or bin/, no hooks/hooks.json, .mcp.json, mcp.json or modules/*.so", at: SourceLocation(file: root))
        }
        bundle.diagnostics = diagnostics.items
        bundle.inputs = inputs
        bundle.inputStamps = inputStamps
        return bundle
    }

    // MARK: - Files and paths

    mutating func readFile(_ file: String, limit: Int = 16 << 20) -> [UInt8]? {
        var stamp: FileSystem.Stamp?
        defer { addInput(file, stamp) }
        do {
            return try FileSystem.read(file, limit: limit, stamp: &stamp)
        } catch {
            diagnostics.error(id: "bundle.cannot_read_file", "cannot read file: \(error)", at: SourceLocation(file: file))
            return nil
        }
    }

    /// Resolves a manifest path field value to a path under the root, reporting paths that do not exist or that
    /// escape the root once symlinks are resolved. Nil when unusable.
    mutating func resolve(_ field: ManifestPath, key: String) -> String? {
        let relative = FileSystem.normalizeRelative(field.path)
        let full = relative.isEmpty ? root : path(relative)
        let location = SourceLocation(file: manifestFile ?? root, line: field.line, column: field.column)
        guard let real = FileSystem.realPath(full) else {
            diagnostics.error(id: "bundle.path_does_not_exist", "'\(key)' path '\(field.path)' does not exist", at: location)
            return nil
        }
        if let canonicalRoot, !FileSystem.isInside(real, root: canonicalRoot) {
            diagnostics.error(id: "bundle.path_resolves_outside_plugin_root", "'\(key)' path '\(field.path)' resolves to '\(real)', outside the plugin root", at: location)
            return nil
        }
        return full
    }

    /// Names of regular files directly in a folder of the bundle (none when it is absent).
    mutating func listFiles(in relative: String) -> [String] {
        (list(path(relative)) ?? []).filter { $0.type == .file }.map(\.name)
    }

    // MARK: - Commands

    mutating func loadCommands(_ fields: [ManifestPath]?) -> [CommandDefinition] {
        var found: [(name: String, file: String, isSkillFolder: Bool)] = []
        var visited = Set<FileSystem.FileID>()
        if let fields {
            for field in fields {
                guard let full = resolve(field, key: "commands") else { continue }
                if FileSystem.isDirectory(full) {
                    collectCommands(in: full, prefix: [], into: &found, visited: &visited)
                } else if full.hasSuffix(".md") {
                    found.append((String(FileSystem.baseName(full).dropLast(3)), full, false))
                } else {
                    diagnostics.warning(id: "bundle.commands_path_neither_folder_nor", "'commands' path '\(field.path)' is neither a folder nor a .md file; ignored",
                                        at: SourceLocation(file: full))
                }
            }
        } else if FileSystem.isDirectory(path("commands")) {
            collectCommands(in: path("commands"), prefix: [], into: &found, visited: &visited)
        }

        var byName: [String: String] = [:]
        var commands: [CommandDefinition] = []
        for item in found {
            if let first = byName[item.name] {
                diagnostics.error(id: "bundle.command_defined_twice", "command '\(item.name)' is defined twice: by '\(first)' and by '\(item.file)'",
                                  at: SourceLocation(file: item.file, line: 1, column: 1))
                continue
            }
            byName[item.name] = item.file
            guard let bytes = readFile(item.file) else { continue }
            if let command = CommandParser.parse(bytes, file: item.file, name: item.name,
                                                 isSkillFolder: item.isSkillFolder, diagnostics: &diagnostics) {
                commands.append(command)
            }
        }
        return commands
    }

    /// A folder holding SKILL.md is one command and nothing under it is read; otherwise every `.md` file is a
    /// command and every subfolder adds a `dir:` segment. Each folder is read once (by device and inode): a
    /// symlink back to a folder already read (`commands/a -> .`) is a warning and is not followed; nesting
    /// deeper than `maxCommandDepth` is a warning and is not read.
    /// Rule files under `rules/`, at any depth (as the memory walk reads them), each folder once.
    mutating func collectRules(in dir: String, depth: Int, into found: inout [String], visited: inout Set<FileSystem.FileID>) {
        guard depth < 32, FileSystem.fileID(dir).map({ visited.insert($0).inserted }) ?? true, let entries = list(dir) else { return }
        for entry in entries {
            let full = FileSystem.join(dir, entry.name)
            if entry.type == .file, entry.name.hasSuffix(".md") || entry.name.hasSuffix(".mdc") {
                found.append(full)
            } else if entry.type == .directory {
                collectRules(in: full, depth: depth + 1, into: &found, visited: &visited)
            }
        }
    }

    mutating func collectCommands(in dir: String, prefix: [String],
                                  into found: inout [(name: String, file: String, isSkillFolder: Bool)],
                                  visited: inout Set<FileSystem.FileID>) {
        if let id = FileSystem.fileID(dir), !visited.insert(id).inserted {
            diagnostics.warning(id: "bundle.folder_already_read", "'\(FileSystem.baseName(dir))' leads to a folder already read (a symbolic link loop "
                                + "or a second link to it); not followed", at: SourceLocation(file: dir))
            return
        }
        if prefix.count > Self.maxCommandDepth {
            diagnostics.warning(id: "bundle.commands_too_deep", "commands nested more than \(Self.maxCommandDepth) folders deep; this folder is not read",
                                at: SourceLocation(file: dir))
            return
        }
        guard let entries = list(dir) else { return }
        if !prefix.isEmpty, entries.contains(where: { $0.name == "SKILL.md" && $0.type == .file }) {
            found.append((prefix.joined(separator: ":"), FileSystem.join(dir, "SKILL.md"), true))
            return
        }
        for entry in entries {
            if entry.type == .file, entry.name.hasSuffix(".md"), entry.name.count > 3 {
                found.append(((prefix + [String(entry.name.dropLast(3))]).joined(separator: ":"),
                              FileSystem.join(dir, entry.name), false))
            } else if entry.type == .directory, !entry.name.hasPrefix(".") {
                collectCommands(in: FileSystem.join(dir, entry.name), prefix: prefix + [entry.name], into: &found,
                                visited: &visited)
            } else {
                reportNonRegular(entry, in: dir)
            }
        }
    }

    // MARK: - Skills

    mutating func loadSkills(_ fields: [ManifestPath]?) -> [SkillDefinition] {
        var containers: [(path: String, explicit: Bool)] = []
        var seenContainers = Set<String>()  // canonical paths: `./skills/` in the manifest is the convention folder
        if FileSystem.isDirectory(path("skills")) {
            containers.append((path("skills"), false))
            // Canonical paths only matter when the manifest names skill folders too.
            if fields != nil { seenContainers.insert(FileSystem.realPath(path("skills")) ?? path("skills")) }
        }
        for field in fields ?? [] {
            if let full = resolve(field, key: "skills"), seenContainers.insert(FileSystem.realPath(full) ?? full).inserted {
                containers.append((full, true))
            }
        }
        // Skill folders with their SKILL.md, read as they are found (one open per folder, no stat first).
        var found: [(folder: String, bytes: [UInt8])] = []
        for container in containers {
            // A path that is itself a skill folder, or a folder of skill folders.
            if let bytes = readSkillFile(in: container.path) {
                found.append((container.path, bytes))
                continue
            }
            guard let entries = list(container.path) else {
                if container.explicit {
                    diagnostics.error(id: "bundle.skills_path_not_folder", "'skills' path is not a folder", at: SourceLocation(file: container.path))
                }
                continue
            }
            for entry in entries where entry.type == .directory && !entry.name.hasPrefix(".") {
                let folder = FileSystem.join(container.path, entry.name)
                if let bytes = readSkillFile(in: folder) {
                    found.append((folder, bytes))
                    continue
                }
                addInput(folder, nil)  // a SKILL.md added later changes its mtime
                if FileSystem.isFile(FileSystem.join(folder, "skill.md")) {
                    diagnostics.warning(id: "bundle.skill_file_named_skill_md", "skill file must be named SKILL.md (upper case); 'skill.md' is not loaded",
                                        at: SourceLocation(file: FileSystem.join(folder, "skill.md")))
                }
            }
        }

        var skills: [SkillDefinition] = []
        var byName: [String: String] = [:]
        for (folder, bytes) in found {
            let file = FileSystem.join(folder, "SKILL.md")
            guard let skill = SkillParser.parse(bytes, file: file, folderName: FileSystem.baseName(folder),
                                                diagnostics: &diagnostics) else { continue }
            if let first = byName[skill.name] {
                diagnostics.warning(id: "bundle.skill_defined_twice_used_one", "skill '\(skill.name)' is defined twice: '\(first)' is used and this one is ignored",
                                    at: SourceLocation(file: file, line: 1, column: 1))
                continue
            }
            byName[skill.name] = file
            skills.append(skill)
        }
        return skills
    }

    /// The bytes of `folder/SKILL.md`; nil when there is none (a missing file, or a folder by that name). Other
    /// read failures are reported.
    mutating func readSkillFile(in folder: String) -> [UInt8]? {
        let file = FileSystem.join(folder, "SKILL.md")
        var stamp: FileSystem.Stamp?
        do {
            let bytes = try FileSystem.read(file, stamp: &stamp)
            addInput(file, stamp)
            return bytes
        } catch .cannotOpen(_, let code) where code == ENOENT || code == ENOTDIR {
            return nil
        } catch .notAFile(_, let kind) where kind == "a folder" {
            return nil
        } catch {
            addInput(file, nil)
            diagnostics.error(id: "bundle.cannot_read_file", "cannot read file: \(error)", at: SourceLocation(file: file))
            return nil
        }
    }

    // MARK: - Agents

    mutating func loadAgents(_ fields: [ManifestPath]?) -> [AgentDefinition] {
        var files: [String] = []
        if let fields {
            for field in fields {
                guard let full = resolve(field, key: "agents") else { continue }
                if FileSystem.isDirectory(full) {
                    files += mdFiles(in: full)
                } else {
                    files.append(full)
                }
            }
        } else {
            files = mdFiles(in: path("agents"))
        }
        var agents: [AgentDefinition] = []
        var byName: [String: String] = [:]
        for file in files {
            guard let bytes = readFile(file) else { continue }
            guard let agent = AgentParser.parse(bytes, file: file, fromPlugin: isPlugin, diagnostics: &diagnostics) else {
                continue
            }
            if let first = byName[agent.name] {
                diagnostics.warning(id: "bundle.agent_defined_twice_used_one", "agent '\(agent.name)' is defined twice: '\(first)' is used and this one is ignored",
                                    at: SourceLocation(file: file, line: 1, column: 1))
                continue
            }
            byName[agent.name] = file
            agents.append(agent)
        }
        return agents
    }

    /// `.md` files directly in a folder (none when absent).
    mutating func mdFiles(in dir: String) -> [String] {
        let entries = list(dir) ?? []
        for entry in entries { reportNonRegular(entry, in: dir) }
        return entries
            .filter { $0.type == .file && $0.name.hasSuffix(".md") && $0.name.count > 3 }
            .map { FileSystem.join(dir, $0.name) }
    }

    // MARK: - Hooks and MCP

    /// The convention file plus the manifest's paths (each file once, even when named twice).
    mutating func files(convention: String, _ ref: ManifestComponentRef?, key: String) -> [String] {
        var files: [String] = []
        // Anything by that name but a folder is read: a FIFO or device there is a located error, not skipped.
        if let type = FileSystem.type(of: path(convention)), type != .directory { files.append(path(convention)) }
        if case .paths(let fields) = ref {
            for field in fields {
                guard let full = resolve(field, key: key) else { continue }
                let real = FileSystem.realPath(full)
                if !files.contains(where: { FileSystem.realPath($0) == real }) { files.append(full) }
            }
        }
        return files
    }

    mutating func loadHooks(_ manifest: PluginManifest?) -> [HookMatcherGroup] {
        if !FileSystem.isFile(path("hooks/hooks.json")), FileSystem.isDirectory(path("hooks")) {
            addInput(path("hooks"), nil)  // hooks.json created later changes the folder's mtime
        }
        var groups = manifest?.inlineHooks(diagnostics: &diagnostics) ?? []
        let files = files(convention: "hooks/hooks.json", manifest?.hooks, key: "hooks")
        for file in files {
            guard let bytes = readFile(file) else { continue }
            groups += HooksParser.parseHooksFile(bytes, file: file, diagnostics: &diagnostics)
        }
        return groups
    }

    mutating func loadMCP(_ manifest: PluginManifest?) -> [MCPServerDefinition] {
        var servers = manifest?.inlineMCPServers(diagnostics: &diagnostics) ?? []
        var files = files(convention: ".mcp.json", manifest?.mcpServers, key: "mcpServers")
        // `mcp.json` without the dot is read too (the Qoder CLI counts it as content).
        if FileSystem.isFile(path("mcp.json")) { files.insert(path("mcp.json"), at: FileSystem.isFile(path(".mcp.json")) ? 1 : 0) }
        for file in files {
            guard let bytes = readFile(file) else { continue }
            servers += MCPParser.parseFile(bytes, file: file, diagnostics: &diagnostics)
        }
        var seen: [String: MCPServerDefinition] = [:]
        var unique: [MCPServerDefinition] = []
        for server in servers {
            if let first = seen[server.name] {
                diagnostics.warning(id: "bundle.mcp_server_defined_twice_first", "MCP server '\(server.name)' is defined twice (first in \(first.file)); the first is used",
                                    at: SourceLocation(file: server.file, line: server.line, column: server.column))
                continue
            }
            seen[server.name] = server
            unique.append(server)
        }
        return unique
    }

    // MARK: - Output styles and modules

    mutating func loadOutputStyles(_ fields: [ManifestPath]?) -> [OutputStyleDefinition] {
        var files: [String] = []
        if let fields {
            for field in fields {
                guard let full = resolve(field, key: "outputStyles") else { continue }
                files += FileSystem.isDirectory(full) ? mdFiles(in: full) : [full]
            }
        } else {
            files = mdFiles(in: path("output-styles"))
        }
        return files.compactMap { file in
            guard let bytes = readFile(file) else { return nil }
            let name = String(FileSystem.baseName(file).dropLast(3))
            return OutputStyleParser.parse(bytes, file: file, defaultName: name, diagnostics: &diagnostics)
        }
    }

    mutating func loadModules(_ fields: [ManifestPath]?) -> [String] {
        var modules = listFiles(in: "modules").filter { $0.hasSuffix(".so") }.map { path("modules/" + $0) }
        for field in fields ?? [] {
            guard let full = resolve(field, key: "modules") else { continue }
            if !modules.contains(full) { modules.append(full) }
        }
        return modules
    }
}
