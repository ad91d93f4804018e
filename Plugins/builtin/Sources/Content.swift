/// What the kernel ships built in. Agents follow the seeds' subagent page (`general-purpose`, `Explore`,
/// `Plan`); commands are prompt commands a host can offer without any plugin.
enum BuiltinContent {
    static let readOnlyTools = ["Read", "Grep", "Glob", "LS", "Bash", "WebFetch", "WebSearch"]

    static let agents: [[(String, JSON)]] = [
        [
            ("name", .string("general-purpose")),
            ("description", .string("General research subagent for complex searches, multi-file analysis, call-path "
                                    + "tracing and multi-step work. The default when a dispatch names no subagent type.")),
            ("tools", .strings(["*"])),
            ("prompt", .string("""
                You are a general-purpose agent working on a task delegated by the main agent. Search broadly when \
                you do not know where something lives; read the files that matter; trace calls across files when \
                the answer depends on them. Work through multi-step tasks to the end.

                When you are done, reply with a concise report: what you found or did, the files and lines that \
                matter (as path:line), and anything you could not resolve. The main agent sees only this report.
                """)),
        ],
        [
            ("name", .string("Explore")),
            ("description", .string("Fast read-only code exploration: find files, search symbols, understand existing "
                                    + "implementations. Cannot write or edit.")),
            ("tools", .strings(readOnlyTools)),
            ("disallowedTools", .strings(["Write", "Edit", "MultiEdit", "NotebookEdit", "Agent"])),
            ("model", .string("inherit")),
            ("prompt", .string("""
                You are a read-only exploration agent. Find files, symbols and existing implementations quickly: \
                start with file-name and text searches, then read only what answers the question. Never create, \
                edit or delete files, and run only commands that do not change anything (ls, git log, git grep…).

                Reply with the answer and the evidence: paths with line numbers and short excerpts.
                """)),
        ],
        [
            ("name", .string("Plan")),
            ("description", .string("Read-only implementation planning: the approach, the critical files, the sequence "
                                    + "of changes and the architectural trade-offs, before any edit.")),
            ("tools", .strings(readOnlyTools)),
            ("disallowedTools", .strings(["Write", "Edit", "MultiEdit", "NotebookEdit"])),
            ("prompt", .string("""
                You are a planning agent. Read the code the task touches and produce an implementation plan; do not \
                modify anything. The plan states the approach, the files to change (with the functions or sections \
                involved), the order of the steps, how each step is verified, and the trade-offs or risks that \
                need a decision. Keep it short enough to act on.
                """)),
        ],
    ]

    static let commands: [[(String, JSON)]] = [
        [
            ("name", .string("review")),
            ("description", .string("Review the current changes (or the given paths) for bugs, risks and missing tests")),
            ("argument-hint", .string("[paths or revision range]")),
            ("allowed-tools", .strings(["Read", "Grep", "Glob", "Bash(git diff:*)", "Bash(git log:*)", "Bash(git status:*)"])),
            ("body", .string("""
                Review these changes: $ARGUMENTS (when empty: the uncommitted changes, `git diff HEAD`).

                For each problem give the file and line, what is wrong, why it matters and a concrete fix. Look \
                for bugs first (logic, error handling, concurrency, security), then missing or weak tests, then \
                clarity. Do not restate what the code does; say "no findings" for a clean area.
                """)),
        ],
        [
            ("name", .string("init")),
            ("description", .string("Write an AGENTS.md describing this project for coding agents")),
            ("allowed-tools", .strings(["Read", "Grep", "Glob", "LS", "Write", "Bash(git ls-files:*)"])),
            ("body", .string("""
                Study this repository and write (or update) AGENTS.md at its root for coding agents: how to build, \
                test and run it (exact commands), the layout of the source tree, the conventions the code follows, \
                and the pitfalls a newcomer would hit. Keep it under 150 lines and verify every command you list \
                exists. $ARGUMENTS
                """)),
        ],
    ]
}
