public import KernelCore
public import KernelHost

extension PluginHost {
    /// What memory reads for a session starting in `cwd`: the user root, trust (of this host's project or of a
    /// folder between `cwd` and the git root), the
    /// settings (`context.fileName` — local over project over user —, and the user's
    /// `security.enableAllExternalImports` / `security.approvedExternalImportProjects`: a project's own
    /// settings cannot approve its imports), and the enabled plugins (`--plugin-dir` folders first, then
    /// installs; a project or local install's memory only in a trusted project).
    /// - Throws: `KernelError` (`settings`) when a settings file does not parse.
    public func memoryOptions(cwd: String, pluginDirs: [String] = [], diagnostics: inout Diagnostics) throws(KernelError) -> MemoryOptions {
        let userHome = KernelPaths.environmentVariable("HOME").flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let cwd = KernelPaths.normalize(cwd, relativeTo: KernelPaths.currentDirectory())
        // Trusted: this host's project, or any folder from the working directory up to the walk's ceiling (trusting
        // a repository's root covers the projects nested in it).
        var trusted = isProjectTrusted()
        if !trusted, let all = try? store.trustedPaths() {
            let walk = Set(MemoryContext.folders(from: MemoryContext.ceiling(for: cwd, home: paths.home), to: cwd))
            trusted = all.contains { walk.contains($0) }
        }
        var options = MemoryOptions(home: paths.home, userHome: userHome, cwd: cwd, trusted: trusted)
        options.ruleCache = store
        var fileNames: [String]?
        for scope in [Scope.user, .project, .local] {
            let node = try settings(scope)
            if let excludes = node["agentsMdExcludes"] {
                let file = paths.settingsFile(scope)
                for item in excludes.array ?? [excludes] {
                    if let glob = item.string, GitignoreGlob.problem(in: glob) == nil {
                        options.agentsMdExcludes.append(glob)
                    } else {
                        diagnostics.warning(id: "memory.agents_md_exclude_unusable",
                                            "agentsMdExcludes entries should be glob strings; \(item.string.flatMap(GitignoreGlob.problem(in:)) ?? "not a string"); ignored",
                                            at: item.location(in: file))
                    }
                }
            }
            guard let value = node["context"]?["fileName"] else { continue }
            let file = paths.settingsFile(scope)
            var names: [String] = []
            if let s = value.string {
                names = [s]
            } else if let list = value.array {
                for item in list {
                    if let s = item.string { names.append(s) } else {
                        diagnostics.warning(id: "memory.context_filename_entries_should_be", "context.fileName entries should be strings", at: item.location(in: file))
                    }
                }
            } else {
                diagnostics.warning(id: "memory.context_filename_should_be_a", "context.fileName should be a string or a list of strings", at: value.location(in: file))
                continue
            }
            let usable = names.filter { name in
                let ok = !name.isEmpty && !name.contains("/") && name != "." && name != ".."
                if !ok { diagnostics.warning(id: "memory.context_filename_is_not_a", "context.fileName '\(name)' is not a file name; ignored", at: value.location(in: file)) }
                return ok
            }
            if !usable.isEmpty { fileNames = usable }
        }
        if let fileNames { options.fileNames = fileNames }
        let user = try settings(.user)
        if let security = user["security"] {
            options.enableAllExternalImports = security["enableAllExternalImports"]?.flexibleBool ?? false
            options.approvedExternalImportProjects = security["approvedExternalImportProjects"]?.array?.compactMap(\.string) ?? []
        }
        for row in try listings(pluginDirs: pluginDirs) where row.enabled {
            if (row.scope == "project" || row.scope == "local") && !options.trusted { continue }
            options.plugins.append(MemoryPlugin(id: row.id, root: row.installPath, scope: row.scope))
        }
        return options
    }

    /// The static memory of a session starting in `cwd` (see `MemoryContext`); settings problems are in its
    /// diagnostics.
    public func memory(cwd: String, pluginDirs: [String] = []) throws(KernelError) -> MemoryContext {
        var diagnostics = Diagnostics()
        let options = try memoryOptions(cwd: cwd, pluginDirs: pluginDirs, diagnostics: &diagnostics)
        let context = MemoryContext(options)
        context.report(diagnostics.items)
        return context
    }
}

extension MemoryContext {
    func report(_ extra: [Diagnostic]) {
        appendDiagnostics(extra)
    }
}
