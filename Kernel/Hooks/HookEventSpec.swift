public import KernelCore

/// What the seed (`seeds/cli-hooks.md`, "Event Reference") says about one event, in one table: the input field
/// its matcher is tested against, whether it can be blocked, and how handler output is read.
public struct HookEventSpec: Sendable, Equatable {
    /// The input field a group's `matcher` is tested against.
    public enum MatcherField: Sendable, Equatable {
        /// The event has no matcher field: every group fires whatever its matcher says (as Claude Code).
        case none
        /// A top-level string field of the input, e.g. `tool_name`.
        case field(String)
        /// The basename of a top-level path field (FileChanged's `file_path`).
        case basename(String)
    }

    /// Whether exit 2 / `decision: "deny"` / `"block"` blocks the event.
    public enum Blocking: Sendable, Equatable {
        case no
        case yes
        /// Blocks except when the input's `field` equals `value` (ConfigChange from `policy_settings`).
        case unless(field: String, equals: String)
        /// Any non-zero exit fails the event (WorktreeCreate).
        case anyNonZeroExit
    }

    public var event: HookEvent
    public var matcherField: MatcherField
    public var blocking: Blocking
    /// Exit 0 with plain-text stdout adds it as context (SessionStart, UserPromptSubmit).
    public var plainTextIsContext: Bool
    /// Notification only: output and exit code are ignored (StopFailure, InstructionsLoaded).
    public var outputIgnored: Bool
    /// A tool event: `if` conditions apply (on other events a handler with `if` never runs, as Claude Code).
    public var isToolEvent: Bool

    /// The spec of every event the kernel fires.
    public static let all: [HookEvent: HookEventSpec] = {
        func s(_ e: HookEvent, _ m: MatcherField, _ b: Blocking = .no, text: Bool = false, ignored: Bool = false,
               tool: Bool = false) -> (HookEvent, HookEventSpec) {
            (e, HookEventSpec(event: e, matcherField: m, blocking: b, plainTextIsContext: text, outputIgnored: ignored,
                              isToolEvent: tool))
        }
        let rows: [(HookEvent, HookEventSpec)] = [
            s(.sessionStart, .field("source"), text: true),
            s(.sessionEnd, .field("reason")),
            s(.userPromptSubmit, .none, .yes, text: true),
            s(.preToolUse, .field("tool_name"), .yes, tool: true),
            s(.postToolUse, .field("tool_name"), tool: true),
            s(.postToolUseFailure, .field("tool_name"), tool: true),
            s(.permissionRequest, .field("tool_name"), tool: true),
            s(.permissionDenied, .field("tool_name"), tool: true),
            s(.stop, .none, .yes),
            s(.stopFailure, .field("error_type"), ignored: true),
            s(.subagentStart, .field("agent_type")),
            s(.subagentStop, .field("agent_type"), .yes),
            s(.preCompact, .field("trigger"), .yes),
            s(.postCompact, .field("trigger")),
            s(.notification, .field("notification_type")),
            s(.instructionsLoaded, .field("load_reason"), ignored: true),
            s(.configChange, .field("source"), .unless(field: "source", equals: "policy_settings")),
            s(.cwdChanged, .none),
            s(.fileChanged, .basename("file_path")),
            s(.worktreeCreate, .none, .anyNonZeroExit),
            s(.worktreeRemove, .none),
            s(.elicitation, .field("mcp_server_name"), .yes),
            s(.elicitationResult, .field("mcp_server_name"), .yes),
            // Task runs: the matcher is tested against the blueprint's name.
            s(.taskCreated, .field("task_name"), .yes),
            s(.taskCompleted, .field("task_name")),
        ]
        return Dictionary(uniqueKeysWithValues: rows)
    }()

    public static func spec(_ event: HookEvent) -> HookEventSpec { all[event]! }

    /// The input field the `if` glob is checked against for a tool: Bash's `command`, file tools' `file_path`…
    /// Unknown tools (MCP tools, new ones) use the first of `command`, `file_path`, `path`, `url`, `pattern`,
    /// `query`, `prompt` present.
    public static func primaryArgument(tool: String) -> [String] {
        switch tool {
        case "Bash", "BashOutput", "PowerShell": ["command"]
        case "Read", "Write", "Edit", "MultiEdit": ["file_path"]
        case "NotebookEdit", "NotebookRead": ["notebook_path", "file_path"]
        case "Glob", "Grep": ["pattern"]
        case "WebFetch": ["url"]
        case "WebSearch": ["query"]
        case "Task", "Agent": ["subagent_type", "prompt"]
        case "Skill": ["skill", "command"]
        default: ["command", "file_path", "path", "url", "pattern", "query", "prompt"]
        }
    }
}
