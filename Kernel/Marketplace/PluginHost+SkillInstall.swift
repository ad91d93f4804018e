import Foundation
public import KernelCore
import KernelFetch
public import KernelHost
#if canImport(Glibc)
import Glibc
#endif

/// `kernel skills install|link|uninstall`: skill folders copied (or linked) into `~/.qoder/skills/<name>` or the
/// project's `.qoder/skills/<name>`, as the Qoder CLI does. The name is the skill's folder name (the reference
/// host's rule; a `name` in SKILL.md that differs is a warning, as `plugins validate` says).
extension PluginHost {
    /// One skill `installSkills` put in place.
    public struct SkillInstallOutcome: Sendable {
        /// The folder name under `skills/`.
        public var name: String
        public var scope: Scope
        /// `<scope>/skills/<name>`.
        public var location: String
        /// The SKILL.md it was read from (inside the unpacked archive for an archive).
        public var source: String
        /// The skill's description.
        public var description: String
        /// True when a skill of that name was there and has been replaced.
        public var replaced: Bool
        /// True for `skills link`: `location` is a symbolic link to the source folder.
        public var linked: Bool
        /// The warnings SKILL.md drew.
        public var warnings: [Diagnostic]
    }

    /// What `uninstallSkill` removed.
    public struct SkillUninstallOutcome: Sendable {
        public var name: String
        public var scope: Scope
        public var location: String
        /// True when it was a link (the folder it pointed to is left alone).
        public var wasLink: Bool
    }

    /// The folder skills of `scope` are installed in: `~/.qoder/skills` (user) or `<project>/.qoder/skills`.
    public func skillsFolder(_ scope: Scope) -> String { paths.componentsDir("skills", scope: scope) }

    /// Installs the skills of `source` into `scope`'s skills folder, or links them there (`link`).
    ///
    /// `source` is a folder, or (install only) a `.zip`/`.skill` archive, unpacked by `SafeArchive` (traversal,
    /// links, devices and bombs refused). The skills are found as the reference host finds them: the folder
    /// itself when it holds SKILL.md, else every folder below it holding one (not below a skill folder; `.git`
    /// and `node_modules` skipped). A SKILL.md at the top of an archive is named after the archive's file name.
    /// Every SKILL.md is parsed first; any error refuses the whole install and nothing is written. A skill
    /// already installed under that name is replaced (staged beside it and renamed into place).
    /// - Parameters:
    ///   - subpath: `--path`: the folder inside the source (or archive) to read, relative.
    /// - Throws: `notFound` (no such source), `invalidInput` (a URL; no SKILL.md found; a bad `--path`; two
    ///   skills with one name; `link` of an archive), `invalidBundle` with the diagnostics (a SKILL.md with
    ///   errors), `archive`, `io`.
    public func installSkills(from source: String, scope: Scope, subpath: String? = nil,
                              link: Bool = false) throws(KernelError) -> [SkillInstallOutcome] {
        if source.contains("://") || source.hasPrefix("git@") {
            throw KernelError(.invalidInput, "\(source): Kernel installs skills from a folder or a local .zip/.skill archive; "
                              + "it does not fetch a URL: clone or download it, then `kernel skills install <folder or archive>`")
        }
        let path = PluginHost.absolutePath(source)
        guard let type = FileSystem.type(of: path) else { throw KernelError(.notFound, "\(source): no such file or folder") }
        var unpacked: String?
        defer { if let unpacked { try? FileManager.default.removeItem(atPath: unpacked) } }
        var root = path
        var topName = FileSystem.baseName(path)
        if type == .file {
            if link { throw KernelError(.invalidInput, "\(source): skills link takes a folder (an archive can only be installed)") }
            let temporary = try Self.temporaryFolder()
            unpacked = temporary
            root = temporary + "/tree"
            do { _ = try SafeArchive.extract(URL(fileURLWithPath: path), into: URL(fileURLWithPath: root), limits: .default) } catch {
                throw error as? KernelError ?? KernelError(.archive, wrapping: error)
            }
            topName = Self.archiveStem(FileSystem.baseName(path))
        } else if type != .directory {
            throw KernelError(.invalidInput, "\(source): not a folder or an archive")
        }
        if let subpath, !subpath.isEmpty {
            let relative = FileSystem.normalizeRelative(subpath)
            guard !subpath.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw KernelError(.invalidInput, "--path '\(subpath)' must be a relative path inside the source")
            }
            root = FileSystem.join(root, relative)
            topName = FileSystem.baseName(root)
            guard FileSystem.isDirectory(root) else { throw KernelError(.notFound, "--path '\(subpath)': no such folder in \(source)") }
        }

        let folders = Self.skillFolders(under: root)
        guard !folders.isEmpty else {
            throw KernelError(.invalidInput, "No valid skills found in \(source). Ensure a SKILL.md file exists with valid frontmatter.")
        }
        var diagnostics = Diagnostics()
        var found: [(folder: String, name: String, skill: SkillDefinition?, warnings: [Diagnostic])] = []
        for folder in folders {
            let name = folder == root ? topName : FileSystem.baseName(folder)
            let file = FileSystem.join(folder, "SKILL.md")
            var own = Diagnostics()
            let skill: SkillDefinition?
            do {
                skill = SkillParser.parse(try FileSystem.read(file), file: file, folderName: name, diagnostics: &own)
            } catch {
                own.error(id: "skill.unreadable", "cannot read SKILL.md: \(error)", at: SourceLocation(file: file))
                skill = nil
            }
            diagnostics.append(contentsOf: own.items)
            found.append((folder, name, skill, own.items.filter { $0.severity == .warning }))
        }
        if diagnostics.hasErrors || found.contains(where: { $0.skill == nil }) {
            throw KernelError(.invalidBundle, "\(source): \(diagnostics.errorCount) error(s) in SKILL.md; nothing was installed",
                              diagnostics: diagnostics.items)
        }
        var seen: [String: String] = [:]
        for f in found {
            guard Self.isPlainName(f.name) else {
                throw KernelError(.invalidInput, "\(f.folder): '\(f.name)' cannot be a skill folder's name")
            }
            if let first = seen[f.name] {
                throw KernelError(.invalidInput, "\(source) holds two skills named '\(f.name)' (\(first) and \(f.folder)); "
                                  + "install one of them with --path")
            }
            seen[f.name] = f.folder
        }

        let target = skillsFolder(scope)
        // A link to a folder of the skills folder itself would replace that folder with a link to nothing.
        if link, let realTarget = FileSystem.realPath(target),
           let inside = found.first(where: { FileSystem.isInside(FileSystem.realPath($0.folder) ?? $0.folder, root: realTarget) }) {
            throw KernelError(.invalidInput, "\(inside.folder) is in \(target) already: link a folder outside it")
        }
        var outcomes: [SkillInstallOutcome] = []
        for f in found {
            let destination = FileSystem.join(target, f.name)
            let replaced = FileSystem.exists(destination) || FileSystem.isSymlink(destination)
            let staged: StagedCopy
            if link {
                staged = try Self.stageLink(to: f.folder, beside: destination)
            } else {
                staged = try stage(f.folder, beside: destination)
            }
            try staged.swap().commit()
            outcomes.append(SkillInstallOutcome(name: f.name, scope: scope, location: destination,
                                                source: FileSystem.join(f.folder, "SKILL.md"),
                                                description: f.skill?.description ?? "", replaced: replaced, linked: link,
                                                warnings: f.warnings))
        }
        return outcomes
    }

    /// Removes skill `name` (its folder, or its link: the linked folder is left) from `scope`'s skills folder.
    /// - Throws: `notFound` when `scope` has no skill folder of that name, with a suggestion among its skills
    ///   and the other scope's when that one has it; `invalidInput` for a name that is not a folder name; `io`.
    public func uninstallSkill(_ name: String, scope: Scope) throws(KernelError) -> SkillUninstallOutcome {
        guard Self.isPlainName(name) else { throw KernelError(.invalidInput, "'\(name)' is not a skill's folder name") }
        let location = FileSystem.join(skillsFolder(scope), name)
        let isLink = FileSystem.isSymlink(location)
        guard isLink || FileSystem.isFile(FileSystem.join(location, "SKILL.md")) else {
            let label = scope == .user ? "user" : "workspace"
            var message = "Skill \"\(name)\" is not installed in the \(label) scope (\(skillsFolder(scope)))."
            let other: Scope = scope == .user ? .project : .user
            if FileSystem.isFile(FileSystem.join(skillsFolder(other), name + "/SKILL.md")) {
                message += " It is installed in the \(other == .user ? "user" : "workspace") scope: use -s \(other == .user ? "user" : "workspace")."
            } else if let near = closestMatch(name, in: installedSkillNames(scope)) {
                message += " Did you mean '\(near)'?"
            }
            throw KernelError(.notFound, message)
        }
        // Renamed aside first, so a reader sees the skill or nothing; then the copy (or the link) is removed.
        let aside = FileSystem.join(skillsFolder(scope), ".removing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard rename(location, aside) == 0 else {
            throw KernelError(.io, "cannot remove \(location): \(String(cString: strerror(errno)))")
        }
        do { try FileManager.default.removeItem(atPath: aside) } catch {
            throw KernelError(.io, wrapping: error, context: "cannot remove \(aside)")
        }
        return SkillUninstallOutcome(name: name, scope: scope, location: location, wasLink: isLink)
    }

    /// The skill folders (and links) of `scope`'s skills folder.
    func installedSkillNames(_ scope: Scope) -> [String] {
        (FileSystem.list(skillsFolder(scope)) ?? []).filter { !$0.name.hasPrefix(".") && $0.type == .directory }.map(\.name)
    }

    /// `root` when it holds SKILL.md; else every folder below it that does (not below such a folder), sorted.
    /// Links are not followed; `.git` and `node_modules` are skipped; 16 levels at most.
    static func skillFolders(under root: String) -> [String] {
        var result: [String] = []
        func walk(_ folder: String, _ depth: Int) {
            if FileSystem.isFile(FileSystem.join(folder, "SKILL.md")) {
                result.append(folder)
                return
            }
            guard depth < 16, let entries = FileSystem.list(folder) else { return }
            for entry in entries where entry.type == .directory && entry.name != ".git" && entry.name != "node_modules" {
                let child = FileSystem.join(folder, entry.name)
                if !FileSystem.isSymlink(child) { walk(child, depth + 1) }
            }
        }
        walk(root, 0)
        return result
    }

    /// A name usable as one folder under `skills/`: not empty, no `/`, not hidden, no control characters.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.hasPrefix(".") && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// `my-skill.zip` → `my-skill` (also `.skill`, `.tar.gz`, `.tgz`, `.tar`).
    static func archiveStem(_ file: String) -> String {
        for suffix in [".tar.gz", ".tgz", ".tar", ".zip", ".skill"] where file.lowercased().hasSuffix(suffix) && file.count > suffix.count {
            return String(file.dropLast(suffix.count))
        }
        return file
    }

    /// `path` made absolute (`~/` expanded, relative to the working directory).
    static func absolutePath(_ path: String) -> String {
        let expanded = path.hasPrefix("~/") ? NSString(string: path).expandingTildeInPath : path
        return KernelPaths.normalize(expanded, relativeTo: KernelPaths.currentDirectory())
    }

    /// A fresh private folder under the system's temporary folder.
    static func temporaryFolder() throws(KernelError) -> String {
        var template = Array((NSTemporaryDirectory() + "/kernel-skill-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw KernelError(.io, "cannot create a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// A symbolic link to `folder` (absolute) staged beside `destination`, ready to be swapped into place.
    static func stageLink(to folder: String, beside destination: String) throws(KernelError) -> StagedCopy {
        let parent = KernelPaths.parent(destination)
        let token = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let staging = parent + "/.staging-" + token
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw KernelError(.io, wrapping: error, context: "cannot create \(parent)")
        }
        guard symlink(folder, staging) == 0 else {
            throw KernelError(.io, "cannot create a link to \(folder) in \(parent): \(String(cString: strerror(errno)))")
        }
        return StagedCopy(staging: staging, destination: destination, token: token)
    }
}
