internal import Glibc

/// Where a setting or a component lives. When two scopes name the same thing, the more specific one wins:
/// `local` > `project` > `user` (see `priority`).
public enum Scope: String, Sendable, Codable, CaseIterable {
    /// `~/.qoder`: the person's own settings, for every project.
    case user
    /// `<project>/.qoder/settings.json`: committed, shared by the team.
    case project
    /// `<project>/.qoder/settings.local.json`: this machine only (git-ignored).
    case local

    /// Higher wins: user 0, project 1, local 2.
    public var priority: Int {
        switch self {
        case .user: 0
        case .project: 1
        case .local: 2
        }
    }
}

/// The kernel's file locations: the user root (`~/.qoder`) and the project root, and every path derived
/// from them. Pure computation: nothing is created; `init` only looks for project markers.
public struct KernelPaths: Sendable, Equatable {
    /// The user root: explicit `--home`, else `$QODER_HOME`, else `$HOME/.qoder`.
    public var home: String
    /// The project root: explicit `--project`, else the nearest ancestor of the working directory holding
    /// `.qoder/` or `.git`, else the working directory. See `discoverProject` for the walk's limits.
    public var project: String

    /// Resolves the user and project roots.
    ///
    /// - Parameters:
    ///   - home: `--home`, if given (relative paths are taken from `cwd`; a leading `~/` is expanded).
    ///   - project: `--project`, if given (same rules).
    ///   - environment: the environment to read `QODER_HOME` and `HOME` from (the process's by default).
    ///   - cwd: the working directory (the process's by default).
    ///
    /// An empty `QODER_HOME` counts as unset. Paths are made absolute and lexically normalised (`.`, `..`
    /// and repeated slashes removed); symlinks are not resolved.
    public init(
        home: String? = nil,
        project: String? = nil,
        environment: [String: String] = KernelPaths.processEnvironment(),
        cwd: String = KernelPaths.currentDirectory()
    ) {
        let userHome = Self.normalize(environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/", relativeTo: "/")
        let cwd = Self.normalize(cwd, relativeTo: "/")
        func resolve(_ p: String) -> String {
            if p == "~" { return userHome }
            if p.hasPrefix("~/") { return Self.normalize(userHome + p.dropFirst(1), relativeTo: cwd) }
            return Self.normalize(p, relativeTo: cwd)
        }
        if let home, !home.isEmpty {
            self.home = resolve(home)
        } else if let env = environment["QODER_HOME"], !env.isEmpty {
            self.home = resolve(env)
        } else {
            self.home = Self.join(userHome, ".qoder")
        }
        if let project, !project.isEmpty {
            self.project = resolve(project)
        } else {
            self.project = Self.discoverProject(from: cwd, userHome: userHome, userRoot: self.home) ?? cwd
        }
    }

    /// Finds the project root above `cwd`: the nearest directory (starting with `cwd` itself) holding `.git`
    /// (a directory, or a file as in worktrees and submodules) or a `.qoder/` directory.
    ///
    /// Two limits keep the user's own root from being mistaken for a project:
    /// - When `cwd` is strictly inside the user's home directory, the walk stops *below* it: `$HOME` and its
    ///   ancestors are never consulted. `~/.qoder` exists on every machine that ran the kernel once, and a
    ///   dotfiles repository makes `~/.git` common too; taking `~` as the project would make every folder
    ///   without a marker share one "project" (whose settings file is the user one).
    /// - A `.qoder/` directory that *is* the user root (e.g. with `QODER_HOME` pointing into a tree) is not a
    ///   project marker.
    ///
    /// Outside the home directory the walk goes up to `/`. With `cwd` equal to `$HOME` nothing is found and
    /// the caller falls back to `cwd`, as it does for any folder without a marker.
    /// - Returns: the project root, or nil when no marker was found.
    public static func discoverProject(from cwd: String, userHome: String, userRoot: String) -> String? {
        let insideHome = userHome != "/" && cwd.hasPrefix(userHome + "/")
        var dir = cwd
        while true {
            if insideHome && dir == userHome { return nil }
            if exists(join(dir, ".git")) { return dir }
            let qoder = join(dir, ".qoder")
            if qoder != userRoot && isDirectory(qoder) { return dir }
            if dir == "/" { return nil }
            dir = parent(dir)
        }
    }

    // MARK: - Derived paths

    /// The settings file of a scope: `~/.qoder/settings.json`, `<project>/.qoder/settings.json`,
    /// `<project>/.qoder/settings.local.json`.
    public func settingsFile(_ scope: Scope) -> String {
        switch scope {
        case .user: Self.join(home, "settings.json")
        case .project: Self.join(project, ".qoder/settings.json")
        case .local: Self.join(project, ".qoder/settings.local.json")
        }
    }

    /// The folder of user or project components of a kind (`commands`, `skills`, `agents`):
    /// `~/.qoder/<kind>` or `<project>/.qoder/<kind>`. There are no local-only component folders, so `local`
    /// gives the project's.
    public func componentsDir(_ kind: String, scope: Scope) -> String {
        switch scope {
        case .user: Self.join(home, kind)
        case .project, .local: Self.join(project, ".qoder/" + kind)
        }
    }

    /// `~/.qoder/plugins`: installed plugins, their data and the kernel's database.
    public var pluginsDir: String { Self.join(home, "plugins") }

    /// `~/.qoder/plugins/cache`: installed plugin versions.
    public var cacheDir: String { Self.join(pluginsDir, "cache") }

    /// Where one version of an installed plugin lives: `~/.qoder/plugins/cache/<marketplace>/<name>/<version>`.
    /// The components are used as given; callers validate them (no `/`, no `..`) before installing.
    public func installDir(marketplace: String, name: String, version: String) -> String {
        Self.join(cacheDir, marketplace + "/" + name + "/" + version)
    }

    /// A plugin's data folder, which survives upgrades: `~/.qoder/plugins/data/<id>` with every Unicode scalar
    /// outside `[A-Za-z0-9_-]` replaced by `-` (`hello@local` → `hello-local`).
    public func dataDir(pluginID: String) -> String {
        Self.join(Self.join(pluginsDir, "data"), Self.sanitizedID(pluginID))
    }

    /// The Qoder CLI's record of installed plugins, shared with it: `~/.qoder/plugins/installed_plugins_v2.json`.
    public var installedPluginsFile: String { Self.join(pluginsDir, "installed_plugins_v2.json") }

    /// The Qoder CLI's record of added marketplaces, shared with it: `~/.qoder/plugins/known_marketplaces.json`.
    public var knownMarketplacesFile: String { Self.join(pluginsDir, "known_marketplaces.json") }

    /// The kernel's SQLite database: `~/.qoder/plugins/kernel.sqlite`.
    public var databaseFile: String { Self.join(pluginsDir, "kernel.sqlite") }

    /// The project's MCP server file: `<project>/.mcp.json`.
    public var projectMCPFile: String { Self.join(project, ".mcp.json") }

    /// A plugin id as a single safe path component: scalars outside `[A-Za-z0-9_-]` become `-`.
    public static func sanitizedID(_ id: String) -> String {
        var out = String.UnicodeScalarView()
        for s in id.unicodeScalars {
            switch s {
            case "A"..."Z", "a"..."z", "0"..."9", "_", "-": out.append(s)
            default: out.append("-")
            }
        }
        return String(out)
    }

    // MARK: - Process state and path helpers

    /// One variable of the process environment (`getenv`): its value as set (empty when set empty), nil when
    /// unset. For one lookup, not a copy of the whole environment (`processEnvironment()`).
    public static func environmentVariable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The process environment, read through `environ`.
    public static func processEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                env[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return env
    }

    /// The working directory (`getcwd`), or `/` when it cannot be read (e.g. it was deleted).
    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` made absolute against `base` and lexically normalised: no `.`, no `..` (never above `/`),
    /// no repeated or trailing slash.
    public static func normalize(_ path: String, relativeTo base: String) -> String {
        let full = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir == "/" ? "/" + name : dir + "/" + name
    }

    /// The folder holding `path` (`/` for `/x` and `/`).
    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
