/// The component kinds a plugin (or a user / project folder, or a native module) contributes.
public enum ComponentKind: String, Sendable, Codable, CaseIterable {
    case command, skill, agent, hook, mcpServer, outputStyle
}

/// A slash command read from `commands/**.md` (or a command folder holding SKILL.md).
///
/// The name comes from the path, never from frontmatter: `commands/git/commit.md` is `git:commit`.
public struct CommandDefinition: Sendable, Codable {
    public var name: String
    /// `name` from frontmatter: a display label only.
    public var label: String?
    /// Frontmatter `description`; when that is missing, the first non-empty body line (heading marks removed,
    /// cut to 100 characters), as Claude Code shows it, and `descriptionFromBody` is true.
    public var description: String?
    /// True when `description` was taken from the body because the frontmatter has none.
    public var descriptionFromBody: Bool = false
    public var argumentHint: String?
    public var allowedTools: [String]
    public var model: String?
    public var disableModelInvocation: Bool?
    /// The prompt: the Markdown after the frontmatter.
    public var body: String
    /// 1-based line in `file` where `body` starts.
    public var bodyLine: Int
    /// The file read (a `.md`, or the `SKILL.md` of a command folder).
    public var file: String
    /// True when the command is a folder holding SKILL.md.
    public var isSkillFolder: Bool
    public var frontmatter: Node?
    /// For a native command (ABI 1.1 `register_command`): the module file whose function produces the prompt
    /// when the command is rendered; `body` is then empty. Nil for a Markdown or JSON-contributed command.
    public var nativeModule: String?

    /// True when the prompt comes from a native module's function, not from `body`.
    public var isNative: Bool { nativeModule != nil }

    public init(name: String, label: String? = nil, description: String? = nil, argumentHint: String? = nil,
                allowedTools: [String] = [], model: String? = nil, disableModelInvocation: Bool? = nil,
                body: String, bodyLine: Int, file: String, isSkillFolder: Bool = false, frontmatter: Node? = nil) {
        self.name = name
        self.label = label
        self.description = description
        self.argumentHint = argumentHint
        self.allowedTools = allowedTools
        self.model = model
        self.disableModelInvocation = disableModelInvocation
        self.body = body
        self.bodyLine = bodyLine
        self.file = file
        self.isSkillFolder = isSkillFolder
        self.frontmatter = frontmatter
    }
}

/// A skill: `skills/<folder>/SKILL.md`, following the Agent Skills specification.
public struct SkillDefinition: Sendable, Codable {
    /// The skill's name: frontmatter `name`, else the folder name.
    public var name: String
    public var description: String
    public var license: String?
    public var compatibility: String?
    public var metadata: [String: String]
    public var allowedTools: [String]
    /// Claude Code / Qoder extensions to the spec.
    public var argumentHint: String?
    public var model: String?
    public var disableModelInvocation: Bool?
    public var userInvocable: Bool?
    /// The folder holding SKILL.md (its last path component).
    public var folderName: String
    public var body: String
    public var bodyLine: Int
    /// Path of SKILL.md.
    public var file: String
    public var frontmatter: Node?
    /// How the host shows it when `skillOverrides` says so: `name-only` (listed by name, without its
    /// description) or `user-invocable-only` (hidden from the model, invocable as a slash command); nil is
    /// fully visible. Set when composing, not read from SKILL.md.
    public var visibility: String?

    public init(name: String, description: String, license: String? = nil, compatibility: String? = nil,
                metadata: [String: String] = [:], allowedTools: [String] = [], folderName: String,
                body: String, bodyLine: Int, file: String, frontmatter: Node? = nil) {
        self.name = name
        self.description = description
        self.license = license
        self.compatibility = compatibility
        self.metadata = metadata
        self.allowedTools = allowedTools
        self.folderName = folderName
        self.body = body
        self.bodyLine = bodyLine
        self.file = file
        self.frontmatter = frontmatter
    }
}

/// A subagent from `agents/*.md`: frontmatter fields of the seeds' subagent reference, body = system prompt.
public struct AgentDefinition: Sendable, Codable {
    public var name: String
    public var description: String
    /// nil when omitted (inherit the session's tools); `["*"]` for all.
    public var tools: [String]?
    public var disallowedTools: [String]?
    public var model: String?
    public var permissionMode: String?
    public var color: String?
    public var memory: String?
    public var isolation: String?
    public var maxTurns: Int?
    public var timeoutMins: Int?
    /// `low|medium|high|xhigh|max` or a positive integer, as written.
    public var effort: String?
    public var background: Bool?
    public var initialPrompt: String?
    public var skills: [String]?
    public var temperature: Double?
    /// `local` (default) or `remote`.
    public var kind: String?
    /// Frontmatter `hooks` (event → matcher groups), kept as read.
    public var hooks: Node?
    /// `hooks`, parsed when the agent is read (its problems are the agent file's diagnostics): what the hook
    /// engine runs for inputs naming this agent.
    public var hookGroups: [HookMatcherGroup] = []
    /// Frontmatter `mcpServers` (names and/or inline servers), kept as read.
    public var mcpServers: Node?
    public var body: String
    public var bodyLine: Int
    public var file: String
    public var frontmatter: Node?

    public init(name: String, description: String, body: String, bodyLine: Int, file: String) {
        self.name = name
        self.description = description
        self.body = body
        self.bodyLine = bodyLine
        self.file = file
    }
}

/// An output style from `output-styles/*.md`.
public struct OutputStyleDefinition: Sendable, Codable {
    public var name: String
    public var description: String?
    /// Frontmatter `keep-coding-instructions`.
    public var keepCodingInstructions: Bool?
    /// The style's instructions: the Markdown after the frontmatter.
    public var body: String
    public var bodyLine: Int
    public var file: String
    public var frontmatter: Node?

    public init(name: String, description: String? = nil, keepCodingInstructions: Bool? = nil, body: String = "",
                bodyLine: Int = 1, file: String, frontmatter: Node? = nil) {
        self.name = name
        self.description = description
        self.keepCodingInstructions = keepCodingInstructions
        self.body = body
        self.bodyLine = bodyLine
        self.file = file
        self.frontmatter = frontmatter
    }
}
