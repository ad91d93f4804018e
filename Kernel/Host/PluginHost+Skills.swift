public import KernelCore

/// `kernel skills enable|disable`: the `skills.disabled` lists of the settings files, as the Qoder CLI edits
/// them.
extension PluginHost {
    /// What `setSkillDisabled` did: the files edited, and those that already said so.
    public struct SkillSwitch: Sendable {
        public var name: String
        public var disabled: Bool
        /// The scopes whose file was edited.
        public var edited: [Scope]
        /// The scopes whose file already said so (nothing to change).
        public var unchanged: [Scope]
    }

    /// Disables skill `name` (adds it to `skills.disabled` of `scope`'s file, project by default, as the Qoder
    /// CLI's `workspace`), or enables it (removes it from the list of `scope`'s file, else of every file that
    /// lists it).
    /// - Parameter name: a skill's name as listed (`plugin:skill`), or its own name (which switches every skill of
    ///   that name, as the reference host does).
    /// - Throws: `notFound` (with a suggestion) when no skill has that name and no list holds it; `settings`.
    @discardableResult
    public func setSkillDisabled(_ name: String, _ disabled: Bool, scope: Scope?) throws(KernelError) -> SkillSwitch {
        let settings = try SettingsSnapshot(paths: paths)
        let listed = Scope.allCases.filter { s in settings[s]["skills"]?["disabled"]?.array?.contains { $0.string == name } == true }
        if listed.isEmpty || disabled {
            let skills = try compose(needs: .prompts).registry.skills
            let known = skills.flatMap { [$0.name, $0.item.name] }
            guard known.contains(name) || !listed.isEmpty else {
                var message = "No skill named \"\(name)\"."
                if let near = closestMatch(name, in: known) { message += " Did you mean '\(near)'?" }
                throw KernelError(.notFound, message)
            }
        }
        let targets = disabled ? [scope ?? .project] : (scope.map { [$0] } ?? listed)
        var result = SkillSwitch(name: name, disabled: disabled, edited: [], unchanged: [])
        for target in targets {
            var changed = false
            do {
                try SettingsFile.update(paths.settingsFile(target)) { document in
                    var list = document["skills"]?["disabled"]?.array?.compactMap(\.string) ?? []
                    if disabled {
                        guard !list.contains(name) else { return [] }
                        list.append(name)
                    } else {
                        guard list.contains(name) else { return [] }
                        list.removeAll { $0 == name }
                    }
                    changed = true
                    return [(["skills", "disabled"], .strings(list))]
                }
            } catch let error as SettingsError {
                throw KernelError(settings: error)
            } catch {
                throw KernelError(.io, wrapping: error)
            }
            if changed { result.edited.append(target) } else { result.unchanged.append(target) }
        }
        return result
    }
}
