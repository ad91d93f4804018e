public import KernelCore

/// One piece of static memory a session gets: an AGENTS.md file, a rule, a plugin's instruction file.
public struct MemoryItem: Sendable {
    public enum Kind: String, Sendable {
        /// `AGENTS.md` (or a `context.fileName` name), user or project.
        case agents
        /// `AGENTS.local.md`: machine-local project notes.
        case local
        /// A `rules/**/*.md` file.
        case rule
        /// A plugin's instruction file (`QODER.md`, `AGENTS.md`, `CLAUDE.md` at its root).
        case instructions
    }

    public var kind: Kind
    /// `user`, `project`, `local` or `plugin`.
    public var source: String
    /// For plugin items: the scope the plugin is installed at (`user`, `project`, `local`, `flag`).
    public var scope: String?
    /// For plugin items: the plugin id.
    public var plugin: String?
    public var path: String
    /// Rules only.
    public var mode: RuleMode?
    public var description: String?
    public var globs: [String]
    /// Why it applies, in words.
    public var reason: String
    /// As `InstructionsLoaded` names it: `session_start`, `nested_traversal`, `path_glob_match`.
    public var loadReason: String
    /// For on-demand items: the accessed file that brought it in.
    public var trigger: String?
    /// What is injected: the file's text with HTML comments removed and imports expanded (a rule: its body);
    /// nil for a model-decision rule (only its path and description are injected).
    public var content: String?
    /// `@` imports met in the file and in what it imported.
    public var imports: [MemoryImport]

    /// Characters injected, in UTF-16 code units (as the reference host counts string length).
    public var characters: Int {
        if let content { return content.utf16.count }
        return (description?.utf16.count ?? 0) + path.utf16.count
    }
}

/// One `@path` reference and what became of it.
public struct MemoryImport: Sendable, Equatable {
    public enum Status: String, Sendable {
        case imported
        /// Outside the project and not approved (`enableAllExternalImports`, `approvedExternalImportProjects`).
        case blocked
        /// The file does not exist or cannot be read.
        case failed
        /// Already being imported higher up the chain.
        case cycle
        /// Deeper than `MemoryContext.maxImportDepth`.
        case depth
    }

    /// As written after `@`.
    public var reference: String
    public var resolved: String
    /// The file holding the reference.
    public var parent: String
    public var line: Int
    public var status: Status
    public var reason: String?
}

/// A rule file found, with its state, as `kernel rules list` shows it.
public struct RuleListing: Sendable {
    /// The path under its `rules/` folder, without the extension (`api/handlers`).
    public var name: String
    /// `user`, `project` or `plugin`.
    public var source: String
    public var scope: String?
    public var plugin: String?
    public var path: String
    public var rule: RuleDefinition
    /// `active` (injected at start), `on-demand` (file-scoped), `inactive`.
    public var state: String
    public var reason: String
}
