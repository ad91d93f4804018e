internal import Glibc
public import KernelCore
public import KernelStore

/// Where a session's static memory comes from, and what it may read.
public struct MemoryOptions: Sendable {
    /// The user root (`~/.qoder`).
    public var home: String
    /// The user's home folder, for `~/` imports.
    public var userHome: String
    /// The working directory the session starts in (absolute).
    public var cwd: String
    /// Whether project and local memory may load (a trusted project).
    public var trusted: Bool
    /// Memory file names (`context.fileName`): `AGENTS.md` by default.
    public var fileNames: [String] = ["AGENTS.md"]
    /// `security.enableAllExternalImports`.
    public var enableAllExternalImports = false
    /// `security.approvedExternalImportProjects`: project folders whose outside imports are approved.
    public var approvedExternalImportProjects: [String] = []
    /// Enabled plugins whose memory applies (in order).
    public var plugins: [MemoryPlugin] = []
    /// The budget, in characters, across the rules injected.
    public var ruleBudget = MemoryContext.defaultRuleBudget
    /// Where parsed rule files are cached by their stat fields (nil: every rule file is parsed).
    public var ruleCache: KernelStore?
    /// `agentsMdExcludes`: gitignore-style globs matched against a memory file's absolute path (`AGENTS.md`,
    /// `AGENTS.local.md`, the `context.fileName` names, plugin instruction files); a match is skipped with that
    /// reason. Rules are not memory files: turn one off with its own frontmatter.
    public var agentsMdExcludes: [String] = []

    public init(home: String, userHome: String, cwd: String, trusted: Bool) {
        self.home = home
        self.userHome = userHome
        self.cwd = cwd
        self.trusted = trusted
    }
}

/// A plugin's folder, as memory needs it.
public struct MemoryPlugin: Sendable {
    public var id: String
    public var root: String
    public var scope: String
    public init(id: String, root: String, scope: String) {
        self.id = id
        self.root = root
        self.scope = scope
    }
}

/// The static memory of a session (`seeds/cli-memory.md`): what is injected at start, in order, and what the
/// on-demand walk adds as files are read.
///
/// Start: user memory (`~/.qoder/AGENTS.md`, always-on and model-decision user rules), plugin memory (each
/// enabled plugin's instruction file and rules), project memory walking from the git root down to the working
/// directory (at each level `AGENTS.md`, then that level's `.qoder/rules`), then local memory (`AGENTS.local.md`,
/// the same levels). Project and local memory load only in a trusted project. The walk's ceiling is the nearest
/// folder holding `.git` (else the working directory itself); it never enters the user root.
///
/// `access(_:)` is the on-demand walk: after the host reads a file, it returns what that adds — `AGENTS.md`,
/// `AGENTS.local.md` and always-on rules of the folders between the file and the ceiling that are not loaded
/// yet, and file-scoped rules (project, user, plugin) whose globs match it. Folders are scanned once; asking
/// again for files in the same folders costs a few dictionary lookups and glob matches.
public final class MemoryContext {
    public static let defaultRuleBudget = 100_000
    public static let maxImportDepth = 5
    /// The largest memory file read; larger ones are reported and skipped.
    public static let maxFileSize = 1 << 20

    public let options: MemoryOptions
    /// The walk's ceiling: the nearest folder at or above the working directory holding `.git`, else the
    /// working directory.
    public let ceiling: String
    /// Injected items, in order: the start's, then each access's.
    public private(set) var items: [MemoryItem] = []
    /// Rules left out because the budget was spent, in the order they were met.
    public private(set) var cut: [MemoryItem] = []
    /// Files skipped and why (an untrusted project's memory, unreadable files).
    public private(set) var skipped: [(path: String, reason: String)] = []
    public private(set) var diagnostics = Diagnostics()
    /// How many items of `items` were already returned to a hook engine (see `fireInstructionsLoaded`).
    var reported = 0

    private var loaded = Set<FileID>()
    private var loadedPaths = Set<String>()
    private var budgetUsed = 0
    private var levels: [String: Level] = [:]
    /// Levels whose `AGENTS.md`, always-on rules (and `AGENTS.local.md`) were added, at start or on demand.
    private var visited = Set<String>()
    private var visitedLocal = Set<String>()
    private var userRules: [ScannedRule] = []
    private var pluginRules: [(MemoryPlugin, [ScannedRule])] = []
    private var listings: [RuleListing] = []
    /// Compiled glob lists, by their patterns (see `matcher(_:)`).
    private var matchers: [[String]: GitignoreGlob] = [:]

    /// `agentsMdExcludes`, compiled; paths are matched relative to `/`.
    private let excludes: GitignoreGlob

    /// Reads the start's memory.
    public init(_ options: MemoryOptions) {
        self.options = options
        excludes = GitignoreGlob(options.agentsMdExcludes)
        let cwd = options.cwd
        ceiling = Self.ceiling(for: cwd, home: options.home)
        loadStart()
    }

    /// The walk's ceiling for a working directory: the nearest folder at or above it holding `.git`, else the
    /// directory itself; never the user root (`home`) or above it.
    public static func ceiling(for cwd: String, home: String) -> String {
        gitRoot(above: cwd, stoppingAt: home) ?? cwd
    }

    // MARK: - The start

    private func loadStart() {
        // User memory.
        for name in options.fileNames {
            addFile(FileSystem.join(options.home, name), kind: .agents, source: "user", reason: "user memory",
                    boundary: nil)
        }
        userRules = scanRules(FileSystem.join(options.home, "rules"))
        for r in userRules { addStartRule(r, source: "user", scope: nil, plugin: nil, level: "user rule") }

        // Plugin memory.
        for plugin in options.plugins {
            for name in Self.pluginInstructionNames {
                let path = FileSystem.join(plugin.root, name)
                if FileSystem.isFile(path) {
                    addFile(path, kind: .instructions, source: "plugin", scope: plugin.scope, plugin: plugin.id,
                            reason: "instructions of plugin \(plugin.id)", boundary: plugin.root)
                    break
                }
            }
            let rules = scanRules(FileSystem.join(plugin.root, "rules"))
            pluginRules.append((plugin, rules))
            for r in rules { addStartRule(r, source: "plugin", scope: plugin.scope, plugin: plugin.id, level: "rule of plugin \(plugin.id)") }
        }

        // Project memory, from the ceiling down to the working directory, then local memory.
        let walk = Self.folders(from: ceiling, to: options.cwd)
        guard options.trusted else {
            for dir in walk {
                let level = level(dir)
                for path in level.agents + level.locals { skipped.append((path, "the project is not trusted (kernel trust)")) }
                for r in level.rules { skipped.append((r.path, "the project is not trusted (kernel trust)")) }
                for r in level.rules { listings.append(listing(r, source: "project", state: "inactive", reason: "the project is not trusted (kernel trust)")) }
            }
            return
        }
        // Room in the loaded sets for every file the walk can load, at start or on demand, made before they fill:
        // growing a set past its capacity rehashes every path in it, and the first on-demand access (100 rules
        // added to 710) paid that in the middle of the walk.
        let outsideTheWalk = items.count + userRules.count + pluginRules.reduce(0) { $0 + $1.1.count }
        let expected = walk.reduce(outsideTheWalk) { n, dir in
            let level = level(dir)
            return n + level.agents.count + level.locals.count + level.rules.count
        }
        loaded.reserveCapacity(expected)
        loadedPaths.reserveCapacity(expected)
        for dir in walk {
            let level = level(dir)
            visited.insert(dir)
            visitedLocal.insert(dir)
            for path in level.agents {
                addFile(path, kind: .agents, source: "project", reason: dir == options.cwd ? "project memory of the working directory" : "project memory of \(dir)", boundary: ceiling)
            }
            for r in level.rules { addStartRule(r, source: "project", scope: nil, plugin: nil, level: "project rule of \(dir)") }
        }
        for dir in walk {
            for path in level(dir).locals {
                addFile(path, kind: .local, source: "local", reason: "local memory of \(dir)", boundary: ceiling)
            }
        }
    }

    private func addStartRule(_ r: ScannedRule, source: String, scope: String?, plugin: String?, level: String) {
        let rule = r.rule
        if rule.mode == .alwaysOn || rule.mode == .modelDecision, identityLoaded(r) {
            let first = items.first { item in r.id != nil && FileID(item.path) == r.id }?.path ?? r.path
            listings.append(listing(r, source: source, scope: scope, plugin: plugin, state: "active",
                                    reason: "the same file as \(first), loaded once"))
            return
        }
        switch rule.mode {
        case .alwaysOn:
            let reason = "\(level): always-on (\(rule.decidedBy))"
            let added = addRule(r, source: source, scope: scope, plugin: plugin, reason: reason, loadReason: "session_start", trigger: nil)
            listings.append(listing(r, source: source, scope: scope, plugin: plugin, state: added ? "active" : "inactive",
                                    reason: added ? "always-on (\(rule.decidedBy))" : "cut: over the \(options.ruleBudget)-character budget for rules"))
        case .modelDecision:
            let reason = "\(level): model decision (path and description only)"
            let added = addRule(r, source: source, scope: scope, plugin: plugin, reason: reason, loadReason: "session_start", trigger: nil)
            listings.append(listing(r, source: source, scope: scope, plugin: plugin, state: added ? "active" : "inactive",
                                    reason: added ? "model decision: path and description injected" : "cut: over the \(options.ruleBudget)-character budget for rules"))
        case .glob:
            listings.append(listing(r, source: source, scope: scope, plugin: plugin, state: "on-demand",
                                    reason: "file-scoped: loads when a file matching \(rule.globs.joined(separator: ", ")) is read"))
        case .manual:
            listings.append(listing(r, source: source, scope: scope, plugin: plugin, state: "inactive",
                                    reason: rule.invalid.map { "\($0); not injected" } ?? "manual (\(rule.decidedBy)): never injected automatically"))
        }
    }

    private func identityLoaded(_ r: ScannedRule) -> Bool { r.id.map { loaded.contains($0) } ?? loadedPaths.contains(r.path) }

    private func listing(_ r: ScannedRule, source: String, scope: String? = nil, plugin: String? = nil, state: String, reason: String) -> RuleListing {
        RuleListing(name: r.name, source: source, scope: scope, plugin: plugin, path: r.path, rule: r.rule, state: state, reason: reason)
    }

    /// Every rule file met (user, plugin, project levels of the walk) with its state, in the order they were met.
    public var rules: [RuleListing] { listings }

    // MARK: - On demand

    /// The on-demand walk for one file the host has read (absolute, or relative to the working directory).
    /// - Returns: the items it adds (also appended to `items`), in injection order; none for a file outside the
    ///   ceiling, or when everything it brings is already loaded.
    @discardableResult
    public func access(_ file: String) -> [MemoryItem] {
        let path = KernelPaths.normalize(file, relativeTo: options.cwd)
        let first = items.count
        guard FileSystem.isInside(path, root: ceiling) else { return userAndPluginGlobRules(for: path, first: first) }
        if options.trusted {
            let dir = FileSystem.isDirectory(path) ? path : KernelPaths.parent(path)
            let walk = Self.folders(from: ceiling, to: dir)
            // The path split once, relative to the ceiling: relative to the i-th level it is the split minus i.
            let split = Self.relative(path, to: ceiling).map(GitignoreGlob.components) ?? []
            for (depth, d) in walk.enumerated() {
                let level = level(d)
                // A level walked before has nothing new but file-scoped rules.
                let firstVisit = visited.insert(d).inserted
                for agents in level.agents where firstVisit {
                    addFile(agents, kind: .agents, source: "project", reason: "on demand: \(FileSystem.baseName(agents)) of \(d) (read \(path))",
                            boundary: ceiling, loadReason: "nested_traversal", trigger: path)
                }
                for r in level.rules where firstVisit && r.rule.mode == .alwaysOn {
                    _ = addRule(r, source: "project", scope: nil, plugin: nil, reason: "on demand: always-on project rule of \(d) (read \(path))",
                                loadReason: "nested_traversal", trigger: path)
                }
                let components = split.count > depth ? split[depth...] : []
                for r in level.rules where r.rule.mode == .glob && !identityLoaded(r) {
                    guard matcher(r).matches(components: components), let rel = Self.relative(path, to: d) else { continue }
                    _ = addRule(r, source: "project", scope: nil, plugin: nil,
                                reason: "file-scoped project rule of \(d): \(rel) matches \(r.rule.globs.joined(separator: ", "))",
                                loadReason: "path_glob_match", trigger: path)
                }
            }
            for d in walk where !visitedLocal.contains(d) {
                visitedLocal.insert(d)
                for local in level(d).locals {
                    addFile(local, kind: .local, source: "local", reason: "on demand: local memory of \(d) (read \(path))",
                            boundary: ceiling, loadReason: "nested_traversal", trigger: path)
                }
            }
        }
        return userAndPluginGlobRules(for: path, first: first)
    }

    /// User and plugin file-scoped rules match relative to the project root (the ceiling).
    private func userAndPluginGlobRules(for path: String, first: Int) -> [MemoryItem] {
        if let rel = Self.relative(path, to: ceiling) {
            let components = GitignoreGlob.components(rel)
            for r in userRules where r.rule.mode == .glob && !identityLoaded(r) && matcher(r).matches(components: components) {
                _ = addRule(r, source: "user", scope: nil, plugin: nil, reason: "file-scoped user rule: \(rel) matches \(r.rule.globs.joined(separator: ", "))",
                            loadReason: "path_glob_match", trigger: path)
            }
            for (plugin, rules) in pluginRules {
                for r in rules where r.rule.mode == .glob && !identityLoaded(r) && matcher(r).matches(components: components) {
                    _ = addRule(r, source: "plugin", scope: plugin.scope, plugin: plugin.id,
                                reason: "file-scoped rule of plugin \(plugin.id): \(rel) matches \(r.rule.globs.joined(separator: ", "))",
                                loadReason: "path_glob_match", trigger: path)
                }
            }
        }
        return Array(items[first...])
    }

    // MARK: - Adding items

    private func claim(_ path: String, id: FileID?) -> Bool {
        if let id {
            guard loaded.insert(id).inserted else { return false }
        }
        return loadedPaths.insert(path).inserted
    }

    private func addFile(_ path: String, kind: MemoryItem.Kind, source: String, scope: String? = nil, plugin: String? = nil,
                         reason: String, boundary: String?, loadReason: String = "session_start", trigger: String? = nil) {
        guard !loadedPaths.contains(path), let id = FileID(path), !loaded.contains(id) else { return }
        if excludes.matches(String(Substring(path.utf8.dropFirst()))) {
            if !skipped.contains(where: { $0.path == path }) { skipped.append((path, "excluded by agentsMdExcludes")) }
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(path, limit: Self.maxFileSize)
        } catch {
            diagnostics.warning(id: "memory.cannot_read_memory_file", "cannot read memory file: \(error)", at: SourceLocation(file: path))
            skipped.append((path, "\(error)"))
            return
        }
        _ = claim(path, id: id)
        var imports: [MemoryImport] = []
        let text = expand(String(decoding: bytes, as: UTF8.self), file: path, boundary: boundary, chain: [id], imports: &imports)
        items.append(MemoryItem(kind: kind, source: source, scope: scope, plugin: plugin, path: path, mode: nil, description: nil,
                                globs: [], reason: reason, loadReason: loadReason, trigger: trigger, content: text, imports: imports))
    }

    /// Adds a rule unless it is loaded already or over the budget (then it goes to `cut`).
    /// - Returns: true when added.
    private func addRule(_ r: ScannedRule, source: String, scope: String?, plugin: String?, reason: String,
                         loadReason: String, trigger: String?) -> Bool {
        if identityLoaded(r) { return false }
        var imports: [MemoryImport] = []
        var content: String?
        if r.rule.mode != .modelDecision {
            let boundary = source == "project" ? ceiling : (source == "plugin" ? options.plugins.first { $0.id == plugin }?.root : nil)
            content = expand(r.rule.body, file: r.path, boundary: boundary, chain: r.id.map { [$0] } ?? [], imports: &imports)
        }
        let item = MemoryItem(kind: .rule, source: source, scope: scope, plugin: plugin, path: r.path, mode: r.rule.mode,
                              description: r.rule.description, globs: r.rule.globs, reason: reason, loadReason: loadReason,
                              trigger: trigger, content: content, imports: imports)
        if budgetUsed + item.characters > options.ruleBudget {
            if !cut.contains(where: { $0.path == item.path }) { cut.append(item) }
            return false
        }
        _ = claim(r.path, id: r.id)
        budgetUsed += item.characters
        items.append(item)
        return true
    }

    func appendDiagnostics(_ extra: [Diagnostic]) { diagnostics.append(contentsOf: extra) }

    /// Characters of the rule budget spent.
    public var ruleCharacters: Int { budgetUsed }

    // MARK: - Imports

    /// The text with HTML comments removed and `@path` imports replaced by the imported files' (expanded) text.
    /// `boundary`: the folder imports must stay in unless approved (nil: anywhere).
    private func expand(_ text: String, file: String, boundary: String?, chain: [FileID], imports: inout [MemoryImport]) -> String {
        let stripped = MemoryImports.strippingComments(text)
        guard MemoryImports.mayHaveReferences(stripped) else { return stripped }
        let refs = MemoryImports.references(in: stripped)
        if refs.isEmpty { return stripped }
        let bytes = Array(stripped.utf8)
        var out: [UInt8] = []
        var last = 0
        let dir = KernelPaths.parent(file)
        for ref in refs {
            out += bytes[last..<ref.range.lowerBound]
            last = ref.range.upperBound
            let literal = Array(bytes[ref.range])
            let resolved: String
            if ref.path.hasPrefix("~/") {
                resolved = KernelPaths.normalize(String(ref.path.dropFirst(2)), relativeTo: options.userHome)
            } else {
                resolved = KernelPaths.normalize(ref.path, relativeTo: dir)
            }
            var record = MemoryImport(reference: ref.path, resolved: resolved, parent: file, line: ref.line, status: .imported, reason: nil)
            if let boundary, !isAllowed(resolved, boundary: boundary) {
                record.status = .blocked
                record.reason = "outside \(boundary); approve it with security.approvedExternalImportProjects or security.enableAllExternalImports"
                imports.append(record)
                out += literal
                continue
            }
            if chain.count > Self.maxImportDepth {
                record.status = .depth
                record.reason = "imports nest deeper than \(Self.maxImportDepth) levels"
                imports.append(record)
                out += literal
                continue
            }
            guard let id = FileID(resolved), FileSystem.isFile(resolved) else {
                record.status = .failed
                record.reason = "no such file"
                imports.append(record)
                out += literal
                continue
            }
            if chain.contains(id) {
                record.status = .cycle
                record.reason = "already imported higher up (a cycle)"
                imports.append(record)
                out += literal
                continue
            }
            let content: [UInt8]
            do {
                content = try FileSystem.read(resolved, limit: Self.maxFileSize)
            } catch {
                record.status = .failed
                record.reason = "\(error)"
                imports.append(record)
                out += literal
                continue
            }
            imports.append(record)
            let nested = expand(String(decoding: content, as: UTF8.self), file: resolved, boundary: boundary, chain: chain + [id], imports: &imports)
            out += Array(nested.trimmingTrailingNewlines.utf8)
        }
        out += bytes[last...]
        return String(decoding: out, as: UTF8.self)
    }

    private func isAllowed(_ path: String, boundary: String) -> Bool {
        if options.enableAllExternalImports { return true }
        if options.approvedExternalImportProjects.contains(where: { KernelPaths.normalize($0, relativeTo: "/") == ceiling }) { return true }
        guard FileSystem.isInside(path, root: boundary) else { return false }
        // A symlink inside the boundary that points outside it is outside.
        if let real = FileSystem.realPath(path), let realBoundary = FileSystem.realPath(boundary) {
            return FileSystem.isInside(real, root: realBoundary)
        }
        return true
    }

    // MARK: - Scanning folders

    /// A class: the on-demand walk iterates every level's rules per accessed file, and copying a reference is
    /// one retain where copying the struct was a dozen.
    final class ScannedRule {
        let name: String
        let path: String
        let id: FileID?
        let rule: RuleDefinition
        /// Compiled on first use (``MemoryContext/matcher(_:)``): only file-scoped rules are matched, and only
        /// when a file is accessed.
        var compiled: GitignoreGlob?

        init(name: String, path: String, id: FileID?, rule: RuleDefinition) {
            self.name = name
            self.path = path
            self.id = id
            self.rule = rule
        }
    }

    /// The rule's compiled globs: compiled once per distinct glob list in this context (many rules share
    /// theirs, `**/*.ts`), then kept on the rule.
    private func matcher(_ r: ScannedRule) -> GitignoreGlob {
        if let m = r.compiled { return m }
        let m: GitignoreGlob
        if let known = matchers[r.rule.globs] {
            m = known
        } else {
            m = r.rule.matcher
            matchers[r.rule.globs] = m
        }
        r.compiled = m
        return m
    }

    struct Level {
        var agents: [String]
        var locals: [String]
        var rules: [ScannedRule]
    }

    static let pluginInstructionNames = ["QODER.md", "qoder.md", "AGENTS.md", "CLAUDE.md"]

    private func level(_ dir: String) -> Level {
        if let cached = levels[dir] { return cached }
        var agents: [String] = []
        var locals: [String] = []
        if dir != options.home {
            for name in options.fileNames {
                let p = FileSystem.join(dir, name)
                if FileSystem.isFile(p) { agents.append(p) }
                let l = FileSystem.join(dir, Self.localName(name))
                if FileSystem.isFile(l) { locals.append(l) }
            }
        }
        let qoder = FileSystem.join(dir, ".qoder")
        let rules = qoder == options.home ? [] : scanRules(FileSystem.join(qoder, "rules"))
        let level = Level(agents: agents, locals: locals, rules: rules)
        levels[dir] = level
        return level
    }

    /// `AGENTS.md` → `AGENTS.local.md`.
    static func localName(_ name: String) -> String {
        name.hasSuffix(".md") ? String(name.dropLast(3)) + ".local.md" : name + ".local"
    }

    private func scanRules(_ root: String) -> [ScannedRule] {
        var skippedFiles: [(String, String)] = []
        let rules = Self.scanRules(root, diagnostics: &diagnostics, skipped: &skippedFiles, cache: options.ruleCache)
        skipped += skippedFiles.map { (path: $0.0, reason: $0.1) }
        return rules
    }

    /// Every `*.md` / `*.mdc` under a rules folder, sorted by path, symlinks followed (a folder reached twice is
    /// read once), each parsed — or, with a `cache`, taken from it while the file's stat fields are unchanged
    /// (parsing is most of the cost of a start with many rules). Unreadable files are reported and listed in
    /// `skipped`.
    static func scanRules(_ root: String, diagnostics: inout Diagnostics, skipped: inout [(String, String)],
                          cache: KernelStore? = nil) -> [ScannedRule] {
        guard FileSystem.isDirectory(root) else { return [] }
        var files: [String] = []
        var seen = Set<String>()
        func walk(_ dir: String, depth: Int) {
            guard depth < 32, seen.insert(FileSystem.realPath(dir) ?? dir).inserted, let entries = FileSystem.list(dir) else { return }
            for e in entries {
                let p = FileSystem.join(dir, e.name)
                switch e.type {
                case .directory: walk(p, depth: depth + 1)
                case .file where e.name.hasSuffix(".md") || e.name.hasSuffix(".mdc"): files.append(p)
                default: break
                }
            }
        }
        walk(root, depth: 0)
        files.sort()
        var out: [ScannedRule] = []
        out.reserveCapacity(files.count)
        // Stat before reading: a file changed in between is cached under its old fields, so it is a miss next time.
        let keys = files.map { FileKey.stat($0) }
        let hits = cache.flatMap { try? $0.cachedComponents(for: keys.compactMap { $0 }, under: root, parserVersion: RuleCache.version) } ?? [:]
        var fresh: [CachedComponent] = []
        for (path, key) in zip(files, keys) {
            let rule: RuleDefinition
            if let hit = hits[path], hit.kind == RuleCache.kind, let (cached, found) = RuleCache.decode(hit.payload, file: path) {
                rule = cached
                diagnostics.append(contentsOf: found)
            } else {
                let bytes: [UInt8]
                do {
                    bytes = try FileSystem.read(path, limit: Self.maxFileSize)
                } catch {
                    diagnostics.warning(id: "memory.cannot_read_rule", "cannot read rule: \(error)", at: SourceLocation(file: path))
                    skipped.append((path, "\(error)"))
                    continue
                }
                var found = Diagnostics()
                rule = RuleParser.parse(bytes, file: path, diagnostics: &found)
                diagnostics.append(contentsOf: found.items)
                if cache != nil, let key {
                    fresh.append(CachedComponent(key: key, kind: RuleCache.kind, parserVersion: RuleCache.version,
                                                 payload: RuleCache.encode(rule, diagnostics: found.items)))
                }
            }
            var name = String(Substring(path.utf8.dropFirst(root.utf8.count + 1)))
            if name.hasSuffix(".mdc") { name.removeLast(4) } else if name.hasSuffix(".md") { name.removeLast(3) }
            let id = key.map { FileID(device: $0.device, inode: $0.inode) } ?? FileID(path)
            out.append(ScannedRule(name: name, path: path, id: id, rule: rule))
        }
        if let cache, !fresh.isEmpty { try? cache.storeComponents(fresh) }
        return out
    }

    /// A plugin's `rules/` as `plugins validate` counts them: names and parsed rules, with their diagnostics.
    public static func pluginRules(root: String, diagnostics: inout Diagnostics) -> [(name: String, rule: RuleDefinition)] {
        var skipped: [(String, String)] = []
        return scanRules(FileSystem.join(root, "rules"), diagnostics: &diagnostics, skipped: &skipped).map { ($0.name, $0.rule) }
    }

    // MARK: - Paths

    /// The nearest folder at or above `dir` holding `.git` (a folder or a file), never the user root or above
    /// it when `dir` is inside it.
    static func gitRoot(above dir: String, stoppingAt home: String) -> String? {
        var d = dir
        while true {
            if d == home { return nil }
            if FileSystem.exists(FileSystem.join(d, ".git")) { return d }
            if d == "/" { return nil }
            d = KernelPaths.parent(d)
        }
    }

    /// The folders from `top` down to `bottom` (both included); just `bottom` when it is not inside `top`.
    public static func folders(from top: String, to bottom: String) -> [String] {
        guard FileSystem.isInside(bottom, root: top) else { return [bottom] }
        var out: [String] = []
        var d = bottom
        while true {
            out.append(d)
            if d == top || d == "/" { break }
            d = KernelPaths.parent(d)
        }
        return out.reversed()
    }

    /// `path` relative to `base`, or nil when it is not inside it (or is it).
    static func relative(_ path: String, to base: String) -> String? {
        guard path != base, FileSystem.isInside(path, root: base) else { return nil }
        return String(path.dropFirst(base == "/" ? 1 : base.count + 1))
    }
}

/// A file's identity (device and inode): the same file reached by two paths (a symlink) loads once.
struct FileID: Hashable {
    var device: UInt64
    var inode: UInt64

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while s.last == "\n" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
