/// How a rule is activated (`seeds/cli-memory.md`, "Supported Activation Modes").
public enum RuleMode: String, Sendable, CaseIterable {
    /// Injected whenever memory is loaded.
    case alwaysOn = "always_on"
    /// Never injected automatically.
    case manual
    /// Only the path and description are injected; the model reads the body when relevant.
    case modelDecision = "model_decision"
    /// Injected on demand, after a file matching one of its globs is read.
    case glob
}

/// One rule file (`rules/**/*.md`), parsed.
public struct RuleDefinition: Sendable {
    public var file: String
    public var mode: RuleMode
    /// What decided the mode: `trigger: glob`, `alwaysApply: true`, `paths`, `no frontmatter`…
    public var decidedBy: String
    public var description: String?
    /// The globs after the reference host's normalisation (see `RuleGlobList`); empty unless `mode == .glob`.
    public var globs: [String]
    /// Why the mode the frontmatter asked for could not be used (the rule then is `manual`): a
    /// `model_decision` without a description, a `glob` without a usable glob, frontmatter that does not parse.
    public var invalid: String?
    /// The Markdown after the frontmatter: what is injected.
    public var body: String
    public var bodyLine: Int

    public init(file: String, mode: RuleMode, decidedBy: String, description: String? = nil, globs: [String] = [],
                invalid: String? = nil, body: String, bodyLine: Int = 1) {
        self.file = file
        self.mode = mode
        self.decidedBy = decidedBy
        self.description = description
        self.globs = globs
        self.invalid = invalid
        self.body = body
        self.bodyLine = bodyLine
    }

    /// The compiled globs.
    public var matcher: GitignoreGlob { GitignoreGlob(globs) }
}

/// Reads a rule's frontmatter: `trigger` (`always_on`, `manual`, `model_decision`, `glob`), `alwaysApply`,
/// `description`, `glob`, `paths`.
///
/// Precedence, as the reference host decides it: a known `trigger` wins; else `alwaysApply` (`true` always-on,
/// `false` manual); else `paths` (file-scoped); else always-on. `model_decision` needs a non-empty
/// `description` and `glob` a usable `glob`: otherwise the rule is manual (not injected) and a warning says why.
/// Fields the chosen mode does not use are reported as warnings, never errors: the rule still loads.
public enum RuleParser {
    public static func parse(_ bytes: [UInt8], file: String, diagnostics: inout Diagnostics) -> RuleDefinition {
        guard let fm = FrontmatterReader.read(bytes, file: file, diagnostics: &diagnostics) else {
            return RuleDefinition(file: file, mode: .manual, decidedBy: "frontmatter",
                                  invalid: "its frontmatter does not parse", body: "")
        }
        guard let fields = fm.fields else {
            return RuleDefinition(file: file, mode: .alwaysOn, decidedBy: "no frontmatter", body: fm.body, bodyLine: fm.bodyLine)
        }
        var rule = RuleDefinition(file: file, mode: .alwaysOn, decidedBy: "default", body: fm.body, bodyLine: fm.bodyLine)

        func text(_ key: String) -> (String, Node)? {
            guard let node = fields[key] else { return nil }
            if let s = node.scalarText { return (s.trimmingSpaces, node) }
            if !node.isNull {
                diagnostics.warning(id: "rule.should_be_a_string_not", "'\(key)' should be a string, not \(node.kindDescription); ignored", at: node.location(in: file))
            }
            return nil
        }
        func globList(_ key: String) -> (globs: [String], node: Node)? {
            guard let node = fields[key] else { return nil }
            var entries: [String] = []
            if let s = node.scalarText {
                entries = [s]
            } else if let items = node.array {
                for item in items {
                    if let s = item.string { entries.append(s) } else {
                        diagnostics.warning(id: "rule.entries_should_be_strings_not", "'\(key)' entries should be strings, not \(item.kindDescription); ignored", at: item.location(in: file))
                    }
                }
            } else if !node.isNull {
                diagnostics.warning(id: "rule.should_be_a_glob_or", "'\(key)' should be a glob or a list of globs, not \(node.kindDescription)", at: node.location(in: file))
            }
            var usable: [String] = []
            for glob in RuleGlobList.normalize(entries) {
                if let problem = GitignoreGlob.problem(in: glob) {
                    diagnostics.warning(id: "rule.is_not_a_usable_glob", "\(key) '\(glob)' is not a usable glob: \(problem)", at: node.location(in: file))
                } else {
                    usable.append(glob)
                }
            }
            return (usable, node)
        }

        let description = text("description").flatMap { $0.0.isEmpty ? nil : $0.0 }
        rule.description = description
        let glob = globList("glob")
        let paths = globList("paths")
        var trigger: RuleMode?
        if let (value, node) = text("trigger") {
            trigger = RuleMode(rawValue: value)
            if trigger == nil {
                diagnostics.warning(id: "rule.unknown_trigger_expected_always_on", "unknown trigger '\(value)' (expected always_on, manual, model_decision or glob); ignored",
                                    at: node.location(in: file))
            }
        }
        var alwaysApply: Bool?
        if let node = fields["alwaysApply"] {
            alwaysApply = node.flexibleBool
            if alwaysApply == nil {
                diagnostics.warning(id: "rule.alwaysapply_should_be_true_or", "'alwaysApply' should be true or false; ignored", at: node.location(in: file))
            }
        }

        if let trigger {
            rule.decidedBy = "trigger: \(trigger.rawValue)"
            rule.mode = trigger
            if let node = fields["alwaysApply"], alwaysApply != nil {
                diagnostics.note(id: "rule.alwaysapply_is_ignored_trigger_takes", "'alwaysApply' is ignored: 'trigger' takes precedence", at: node.location(in: file))
            }
            switch trigger {
            case .modelDecision where description == nil:
                rule.mode = .manual
                rule.invalid = "trigger: model_decision needs a non-empty description"
            case .glob:
                if let glob, !glob.globs.isEmpty {
                    rule.globs = glob.globs
                } else {
                    rule.mode = .manual
                    rule.invalid = glob == nil ? "trigger: glob needs a 'glob'" : "trigger: glob has no usable glob"
                }
            default:
                break
            }
            if trigger != .glob, let glob {
                diagnostics.warning(id: "rule.glob_is_used_only_with", "'glob' is used only with trigger: glob; ignored", at: glob.node.location(in: file))
            }
            if let paths {
                diagnostics.warning(id: "rule.paths_is_ignored_trigger_takes", "'paths' is ignored: 'trigger' takes precedence", at: paths.node.location(in: file))
            }
        } else if let alwaysApply {
            rule.decidedBy = "alwaysApply: \(alwaysApply)"
            rule.mode = alwaysApply ? .alwaysOn : .manual
            if let paths { diagnostics.warning(id: "rule.paths_is_ignored_alwaysapply_takes", "'paths' is ignored: 'alwaysApply' takes precedence", at: paths.node.location(in: file)) }
        } else if let paths {
            rule.decidedBy = "paths"
            if paths.globs.isEmpty {
                // The reference host treats an unusable `paths` as absent: the rule is always-on.
                diagnostics.warning(id: "rule.paths_has_no_usable_glob", "'paths' has no usable glob; the rule is always-on", at: paths.node.location(in: file))
                rule.decidedBy = "default"
            } else {
                rule.mode = .glob
                rule.globs = paths.globs
            }
            if let glob { diagnostics.warning(id: "rule.glob_is_used_only_with", "'glob' is used only with trigger: glob; ignored", at: glob.node.location(in: file)) }
        } else if let glob {
            diagnostics.warning(id: "rule.glob_is_used_only_with", "'glob' is used only with trigger: glob (or write 'paths'); ignored", at: glob.node.location(in: file))
        }
        if let invalid = rule.invalid {
            diagnostics.warning(id: "rule.the_rule_is_not_injected", "\(invalid): the rule is not injected", at: SourceLocation(file: file, line: 1, column: 1))
        }
        return rule
    }
}
