/// Reads a slash command: `commands/**/*.md`, or the SKILL.md of a command folder.
public enum CommandParser {
    /// Parses one command file.
    ///
    /// Frontmatter is optional. Fields: `description`, `argument-hint`, `allowed-tools` (comma/space-separated
    /// string or list), `model`, `disable-model-invocation` (boolean, `yes`/`on`/`1` accepted); `name` is only a
    /// display label. Unknown keys are not reported (hosts ignore them). A wrong type is an error at the value.
    /// Without a `description`, the first non-empty body line is used (as Claude Code does) and
    /// `descriptionFromBody` is set.
    /// - Parameters:
    ///   - name: the path-derived name (`commands/git/commit.md` → `git:commit`), computed by the loader.
    ///   - isSkillFolder: true when `file` is the SKILL.md of a command folder.
    /// - Returns: nil only when the frontmatter is unusable (see `FrontmatterReader.read`).
    public static func parse(_ bytes: [UInt8], file: String, name: String, isSkillFolder: Bool,
                             diagnostics: inout Diagnostics) -> CommandDefinition? {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &diagnostics) else { return nil }
        return parse(frontmatter: fm, file: file, name: name, isSkillFolder: isSkillFolder, diagnostics: &diagnostics)
    }

    /// Parses a command already split into frontmatter and body (a native module's JSON, see `ModuleComponentParser`).
    public static func parse(frontmatter fm: Frontmatter, file: String, name: String, isSkillFolder: Bool,
                             diagnostics: inout Diagnostics) -> CommandDefinition? {
        let f = FrontmatterFields(fm.fields, file: file)
        var command = CommandDefinition(name: name, body: fm.body, bodyLine: fm.bodyLine, file: file,
                                        isSkillFolder: isSkillFolder, frontmatter: fm.fields)
        command.label = f.text("name", &diagnostics)
        command.description = f.text("description", &diagnostics)
        if f.node("description") == nil {
            if let fallback = firstLineDescription(fm.body) {
                command.description = fallback
                command.descriptionFromBody = true
            }
        }
        command.argumentHint = f.hint("argument-hint", &diagnostics)
        command.allowedTools = f.list("allowed-tools", &diagnostics) ?? []
        command.model = f.text("model", &diagnostics)
        command.disableModelInvocation = f.bool("disable-model-invocation", &diagnostics)
        return command
    }
}
