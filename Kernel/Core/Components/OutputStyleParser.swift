/// Reads an output style: `output-styles/*.md`.
public enum OutputStyleParser {
    /// Parses one output style. Frontmatter is optional; `name` defaults to `defaultName` (the file name without
    /// `.md`), `description` is optional, `keep-coding-instructions` is a boolean. Unknown keys are ignored.
    /// - Returns: nil only when the frontmatter is unusable (see `FrontmatterReader.read`).
    public static func parse(_ bytes: [UInt8], file: String, defaultName: String,
                             diagnostics: inout Diagnostics) -> OutputStyleDefinition? {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &diagnostics) else { return nil }
        return parse(frontmatter: fm, file: file, defaultName: defaultName, diagnostics: &diagnostics)
    }

    /// Parses an output style already split into frontmatter and body (a native module's JSON).
    public static func parse(frontmatter fm: Frontmatter, file: String, defaultName: String,
                             diagnostics: inout Diagnostics) -> OutputStyleDefinition? {
        let f = FrontmatterFields(fm.fields, file: file)
        var name = f.text("name", &diagnostics) ?? defaultName
        if name.trimmingBlanks.isEmpty {
            if let n = f.node("name") { diagnostics.error(id: "output_style.name_not_empty", "'name' must not be empty", at: f.location(n)) }
            name = defaultName
        }
        return OutputStyleDefinition(
            name: name,
            description: f.text("description", &diagnostics),
            keepCodingInstructions: f.bool("keep-coding-instructions", &diagnostics),
            body: fm.body, bodyLine: fm.bodyLine, file: file, frontmatter: fm.fields)
    }
}
