
/// Reads a skill's SKILL.md, following the Agent Skills specification (https://agentskills.io/specification) and
/// the rules of its reference validator (`skills-ref`), with the Claude Code / Qoder extension keys accepted.
public enum SkillParser {
    /// Keys of the Agent Skills specification.
    public static let specKeys: Set<String> = ["name", "description", "license", "compatibility", "metadata",
                                               "allowed-tools"]
    /// Keys Claude Code and Qoder CLI add to skills; accepted without a warning.
    public static let extensionKeys: Set<String> = [
        "argument-hint", "arguments", "model", "effort", "disable-model-invocation", "user-invocable", "context",
        "agent", "hooks", "version", "when_to_use", "when-to-use", "paths", "shell",
    ]
    public static let maxNameLength = 64
    public static let maxDescriptionLength = 1024
    public static let maxCompatibilityLength = 500

    /// Parses one SKILL.md.
    ///
    /// Errors: no frontmatter, a `name` breaking the naming rules (1–64 lowercase letters, digits and hyphens,
    /// no leading/trailing or doubled hyphen; compared after NFKC normalisation as `skills-ref` does), a missing
    /// or empty `description` or one over 1024 characters, `compatibility` over 500 characters, `metadata` that
    /// is not a map of strings, wrong types.
    /// Warnings (hosts still load the skill): no `name` (the folder name is used), a `name` other than the folder
    /// name, a metadata value that is a number or boolean, a key neither in the spec nor a known extension.
    /// - Parameter folderName: the name of the folder holding SKILL.md.
    /// - Returns: nil when the frontmatter is missing or unusable, or `description` is missing or empty (the other
    ///   fields are still checked, so every problem is reported at once).
    public static func parse(_ bytes: [UInt8], file: String, folderName: String,
                             diagnostics: inout Diagnostics) -> SkillDefinition? {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &diagnostics) else { return nil }
        return parse(frontmatter: fm, file: file, folderName: folderName, diagnostics: &diagnostics)
    }

    /// Parses a skill already split into frontmatter and body (a native module's JSON, see `ModuleComponentParser`).
    public static func parse(frontmatter fm: Frontmatter, file: String, folderName: String,
                             diagnostics: inout Diagnostics) -> SkillDefinition? {
        guard fm.hasFence, let fields = fm.fields else {
            diagnostics.error(id: "skill.skill_md_start_yaml_frontmatter", "SKILL.md must start with YAML frontmatter ('---')",
                              at: SourceLocation(file: file, line: 1, column: 1))
            return nil
        }
        let f = FrontmatterFields(fields, file: file)

        for member in fields.members ?? [] where !specKeys.contains(member.key) && !extensionKeys.contains(member.key) {
            var message = "unknown frontmatter key '\(member.key)'"
            if let near = suggestion(for: member.key) { message += "; did you mean '\(near)'?" }
            diagnostics.warning(id: "skill.unknown_frontmatter_key", message,
                                at: SourceLocation(file: file, line: member.keyLine, column: member.keyColumn))
        }

        // name
        var name = folderName
        if let n = f.node("name") {
            if let raw = n.scalarText {
                let normalized = raw.trimmingBlanks
                if checkName(normalized, at: f.location(n), &diagnostics) {
                    name = normalized
                    if folderName != normalized {
                        diagnostics.warning(id: "skill.skill_name_does_not_match", "skill name '\(normalized)' does not match its folder '\(folderName)'",
                                            at: f.location(n))
                    }
                }
            } else {
                diagnostics.error(id: "skill.name_string", "'name' must be a string, got \(n.kindDescription)", at: f.location(n))
            }
        } else {
            diagnostics.warning(id: "skill.name_missing_folder_name_used", "'name' is missing; the folder name '\(folderName)' is used", at: f.start)
        }

        // description
        var description: String?
        if let n = f.node("description") {
            if let d = n.scalarText {
                if d.trimmingBlanks.isEmpty {
                    diagnostics.error(id: "skill.description_not_empty", "'description' must not be empty", at: f.location(n))
                } else {
                    let length = d.unicodeScalars.count
                    if length > maxDescriptionLength {
                        diagnostics.error(id: "skill.description_characters_limit",
                            "'description' is \(length) characters; the limit is \(maxDescriptionLength)",
                            at: f.location(n))
                    }
                    description = d
                }
            } else {
                diagnostics.error(id: "skill.description_string", "'description' must be a string, got \(n.kindDescription)", at: f.location(n))
            }
        } else if f.has("description") {
            diagnostics.error(id: "skill.description_not_empty", "'description' must not be empty", at: f.keyLocation("description"))
        } else {
            diagnostics.error(id: "skill.description_required", "'description' is required", at: f.start)
        }

        var skill = SkillDefinition(name: name, description: description ?? "", folderName: folderName,
                                    body: fm.body, bodyLine: fm.bodyLine, file: file, frontmatter: fields)
        skill.license = f.text("license", &diagnostics)
        if let c = f.text("compatibility", &diagnostics) {
            let length = c.unicodeScalars.count
            if length > maxCompatibilityLength, let n = f.node("compatibility") {
                diagnostics.error(id: "skill.compatibility_characters_limit", "'compatibility' is \(length) characters; the limit is \(maxCompatibilityLength)",
                                  at: f.location(n))
            }
            skill.compatibility = c
        }
        if let m = f.node("metadata") {
            skill.metadata = metadata(m, f, &diagnostics)
        }
        skill.allowedTools = f.list("allowed-tools", &diagnostics) ?? []
        skill.argumentHint = f.hint("argument-hint", &diagnostics)
        skill.model = f.text("model", &diagnostics)
        skill.disableModelInvocation = f.bool("disable-model-invocation", &diagnostics)
        skill.userInvocable = f.bool("user-invocable", &diagnostics)
        return description == nil ? nil : skill
    }

    /// Checks the naming rules; reports each rule broken. True when the name is valid.
    static func checkName(_ name: String, at location: SourceLocation, _ diagnostics: inout Diagnostics) -> Bool {
        if name.isEmpty {
            diagnostics.error(id: "skill.name_not_empty", "'name' must not be empty", at: location)
            return false
        }
        var ok = true
        let length = name.unicodeScalars.count
        if length > maxNameLength {
            diagnostics.error(id: "skill.skill_name_characters_limit", "skill name '\(name)' is \(length) characters; the limit is \(maxNameLength)",
                              at: location)
            ok = false
        }
        if name.lowercased() != name {
            diagnostics.error(id: "skill.skill_name_lowercase", "skill name '\(name)' must be lowercase", at: location)
            ok = false
        }
        if name.hasPrefix("-") || name.hasSuffix("-") {
            diagnostics.error(id: "skill.skill_name_not_start_end", "skill name '\(name)' must not start or end with '-'", at: location)
            ok = false
        }
        if name.contains("--") {
            diagnostics.error(id: "skill.skill_name_not_contain", "skill name '\(name)' must not contain '--'", at: location)
            ok = false
        }
        // The Agent Skills rule: a-z, 0-9 and '-' (skills-ref also admits letters of other scripts after NFKC
        // normalisation; hosts key skills by name, so Kernel keeps names to what every host accepts).
        if let bad = name.unicodeScalars.first(where: {
            !($0 == "-" || ("a"..."z").contains($0) || ("0"..."9").contains($0))
        }), !("A"..."Z").contains(bad) {  // upper case is reported above
            diagnostics.error(id: "skill.skill_name_contains_only_lowercase", "skill name '\(name)' contains '\(bad)'; only lowercase letters a-z, digits and '-' "
                                  + "are allowed", at: location)
            ok = false
        }
        return ok
    }

    private static func metadata(_ m: Node, _ f: FrontmatterFields, _ diagnostics: inout Diagnostics)
        -> [String: String]
    {
        guard let members = m.members else {
            diagnostics.error(id: "skill.metadata_map_string_keys_string", "'metadata' must be a map of string keys to string values, got \(m.kindDescription)",
                              at: f.location(m))
            return [:]
        }
        var result: [String: String] = [:]
        for member in members {
            let v = member.value
            switch v.value {
            case .string(let s):
                result[member.key] = s
            case .number, .bool:
                diagnostics.warning(id: "skill.metadata_value_quote", "metadata value '\(member.key)' is \(v.kindDescription); quote it: "
                                        + "\(member.key): \"\(v.scalarText ?? "")\"", at: f.location(v))
                result[member.key] = v.scalarText
            case .null, .array, .object:
                diagnostics.error(id: "skill.metadata_value_string", "metadata value '\(member.key)' must be a string, got \(v.kindDescription)",
                                  at: f.location(v))
            }
        }
        return result
    }

    /// The nearest known key within two edits, or the spec's name for a Claude Code agent key.
    private static func suggestion(for key: String) -> String? {
        if key == "tools" { return "allowed-tools" }
        var best: (String, Int)?
        for known in specKeys.union(extensionKeys).sorted() {
            let d = editDistance(key.lowercased(), known)
            if d <= 2 && d < (best?.1 ?? Int.max) { best = (known, d) }
        }
        return best?.0
    }
}
