import Foundation
import Testing

/// `kernel hooks migrate --from-claude`: Claude Code's three settings files into the Qoder ones of the same
/// scope, through the settings editor.
@Suite struct HookMigrateTests {
    /// A Claude Code user folder and project files: the user file has a tool hook using `$CLAUDE_PROJECT_DIR`,
    /// a Claude-only event and an unknown one; the project file a PostToolUse hook; the local file a Stop hook.
    func claude(_ box: Sandbox) throws -> String {
        let dir = box.sourcesDir.path + "/claude"
        try write(dir + "/settings.json", """
            {
              "model": "opus",
              "hooks": {
                "PreToolUse": [
                  {"matcher": "Bash", "hooks": [{"type": "command", "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/check.sh", "timeout": 10}]}
                ],
                "Setup": [{"hooks": [{"type": "command", "command": "echo setup"}]}],
                "Bogus": [{"hooks": [{"type": "command", "command": "echo bogus"}]}]
              }
            }
            """)
        try write(box.project + "/.claude/settings.json", """
            {"hooks": {"PostToolUse": [{"matcher": "Edit|Write", "hooks": [
              {"type": "command", "command": "prettier --write"},
              {"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/fmt ${CLAUDE_PROJECT_DIRS}"}
            ]}]}}
            """)
        try write(box.project + "/.claude/settings.local.json", #"{"hooks": {"Stop": [{"hooks": [{"type": "prompt", "prompt": "Done?"}]}]}}"#)
        return dir
    }

    /// The project's Qoder settings before: another key, and the first PostToolUse handler already there.
    let projectBefore = """
        {
            "model": "qwen",
            "hooks": {
                "PostToolUse": [
                    {"matcher": "Edit|Write", "hooks": [{"command": "prettier --write", "type": "command"}]}
                ]
            }
        }

        """

    @Test func migratesEachScopeOnceAndReportsWhatItSkipped() async throws {
        let box = try Sandbox()
        let dir = try claude(box)
        try write(box.settingsPath(.project), projectBefore)
        let out = try await box.ok(["hooks", "migrate", "--from-claude", "--claude-dir", dir])
        #expect(out.contains("Found Claude Code settings in: \(dir)/settings.json (user)"), "\(out)")
        #expect(out.contains("skipped  Setup[*]: 'Setup' is a Claude Code event the Qoder CLI does not fire"), "\(out)")
        #expect(out.contains("skipped  Bogus[*]: 'Bogus' is not a hook event"), "\(out)")
        #expect(out.contains("skipped  PostToolUse[Edit|Write] command: prettier --write: already in \(box.settingsPath(.project))"), "\(out)")
        #expect(out.contains("Migrated 3 handler(s)"), "\(out)")

        // User: the variable renamed, the handler's other keys kept.
        let user = try parseJSON(try #require(read(box.settingsPath(.user))))
        let pre = try #require((user["hooks"] as? [String: Any])?["PreToolUse"] as? [[String: Any]])
        #expect(pre.first?["matcher"] as? String == "Bash")
        let handler = try #require((pre.first?["hooks"] as? [[String: Any]])?.first)
        #expect(handler["command"] as? String == "$QODER_PROJECT_DIR/.claude/hooks/check.sh")
        #expect(handler["timeout"] as? Int == 10)
        #expect((user["hooks"] as? [String: Any])?.keys.sorted() == ["PreToolUse"])

        // Project: appended to the group of the same matcher; `model` and the layout above it untouched.
        let project = try #require(read(box.settingsPath(.project)))
        #expect(project.hasPrefix("{\n    \"model\": \"qwen\",\n    \"hooks\": {\n"), "\(project)")
        let post = try #require((try parseJSON(project)["hooks"] as? [String: Any])?["PostToolUse"] as? [[String: Any]])
        #expect(post.count == 1)
        let commands = (post[0]["hooks"] as? [[String: Any]])?.compactMap { $0["command"] as? String }
        // A longer name (CLAUDE_PROJECT_DIRS) is not one of the kernel's variables: left as written.
        #expect(commands == ["prettier --write", "${QODER_PLUGIN_ROOT}/fmt ${CLAUDE_PROJECT_DIRS}"])

        // Local: a prompt handler, whole.
        let local = try parseJSON(try #require(read(box.settingsPath(.local))))
        let stop = (local["hooks"] as? [String: Any])?["Stop"] as? [[String: Any]]
        #expect((stop?.first?["hooks"] as? [[String: Any]])?.first?["prompt"] as? String == "Done?")
        #expect(stop?.first?["matcher"] == nil)

        // Listed by the composition (the user file's hooks need no trust).
        let hooks = try await box.listing(["hooks", "list"])
        #expect(hooks.contains { $0["event"] as? String == "PreToolUse" && $0["scope"] as? String == "user" }, "\(hooks)")

        // Idempotent: a second run writes nothing and says why.
        let files = Sandbox.SettingsScope.allCases.map { read(box.settingsPath($0)) }
        let again = try parseJSON(try await box.ok(["hooks", "migrate", "--from-claude", "--claude-dir", dir, "--json"]))
        #expect((again["moved"] as? [Any])?.count == 0)
        #expect((again["edited"] as? [Any])?.count == 0)
        let reasons = (again["skipped"] as? [[String: Any]])?.compactMap { $0["reason"] as? String } ?? []
        #expect(reasons.filter { $0.hasPrefix("already in ") }.count == 4, "\(reasons)")
        #expect(Sandbox.SettingsScope.allCases.map { read(box.settingsPath($0)) } == files)
        #expect(try await box.ok(["hooks", "migrate", "--from-claude", "--claude-dir", dir]).contains("No hooks to migrate"))
    }

    @Test func dryRunShowsTheEditAndWritesNothing() async throws {
        let box = try Sandbox()
        let dir = try claude(box)
        try write(box.settingsPath(.project), projectBefore)
        let out = try await box.ok(["hooks", "migrate", "--from-claude", "--dry-run"], environment: ["CLAUDE_CONFIG_DIR": dir])
        #expect(out.contains("would move  PreToolUse[Bash] command: $QODER_PROJECT_DIR/.claude/hooks/check.sh -> \(box.settingsPath(.user))"), "\(out)")
        #expect(out.contains("--- /dev/null\n+++ \(box.settingsPath(.user))\n@@ -1,0 +1,"), "\(out)")
        #expect(out.contains("+++ \(box.settingsPath(.project))\n@@ -5,"), "\(out)")
        #expect(out.contains("${QODER_PLUGIN_ROOT}/fmt"), "\(out)")
        #expect(out.hasSuffix("Dry run: 3 handler(s) would be migrated; nothing was written.\n"), "\(out)")
        #expect(read(box.settingsPath(.user)) == nil)
        #expect(read(box.settingsPath(.local)) == nil)
        #expect(read(box.settingsPath(.project)) == projectBefore)
    }

    @Test func badInputIsRefusedBeforeAnythingIsWritten() async throws {
        let box = try Sandbox()
        let empty = box.sourcesDir.path + "/none"
        var r = try await box.run(["hooks", "migrate", "--from-claude", "--claude-dir", empty, "--json"])
        #expect(r.status == 1)
        #expect(try parseJSON(r.stdout)["code"] as? String == "not_found")

        let dir = try claude(box)
        try write(box.project + "/.claude/settings.local.json", "{\n  \"hooks\": {,\n}")
        r = try await box.run(["hooks", "migrate", "--from-claude", "--claude-dir", dir])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(box.project)/.claude/settings.local.json:2:"), "\(r.stderr)")
        #expect(read(box.settingsPath(.user)) == nil)

        // A Qoder target that does not parse: nothing is written anywhere.
        try write(box.project + "/.claude/settings.local.json", "{}")
        try write(box.settingsPath(.project), "{\"hooks\": [}")
        r = try await box.run(["hooks", "migrate", "--from-claude", "--claude-dir", dir])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(box.settingsPath(.project)):1:"), "\(r.stderr)")
        #expect(read(box.settingsPath(.user)) == nil)
        #expect(read(box.settingsPath(.project)) == "{\"hooks\": [}")

        r = try await box.run(["hooks", "migrate"])
        #expect(r.status == 64)
    }
}
