import Foundation
import Testing

/// A home and project with user, project and plugin components that collide on purpose:
/// - commands: `deploy` (user and project), plugin `tools:build` and `tools:plain`;
/// - skills: `lint` (user and project), plugin `tools:lint`;
/// - agents: `helper` (user, project and plugin), `reviewer` (user and project);
/// - hooks: user settings, project settings, plugin; MCP: user settings, project `.mcp.json`, plugin.
private struct Fixture {
    let box: Sandbox
    let tools: String
    var root: String { box.cacheDir("tools", "2.0.0") }

    static let buildBody = """
        All: $ARGUMENTS
        First: $0
        Second: $ARGUMENTS[1]
        Missing: [$ARGUMENTS[5]]
        Root: ${QODER_PLUGIN_ROOT}
        Project: ${QODER_PROJECT_DIR}

        """

    init(installToolsAt scope: String = "user") async throws {
        box = try Sandbox()
        tools = try box.makePlugin("tools", version: "2.0.0", files: [
            "commands/build.md": "---\ndescription: Build it\nargument-hint: \"[target] [mode]\"\n---\n" + Self.buildBody,
            "commands/plain.md": "Do the plain thing.\n",
            "agents/helper.md": "---\nname: helper\ndescription: Plugin helper\n---\nPlugin prompt.\n",
            "skills/lint/SKILL.md": "---\nname: lint\ndescription: Plugin lint\n---\nLint.\n",
            "hooks/hooks.json": """
                {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "${QODER_PLUGIN_ROOT}/check.sh"}]}]}}
                """,
            ".mcp.json": """
                {"mcpServers": {"srv": {"command": "${QODER_PLUGIN_ROOT}/bin/server",
                  "args": ["--token", "${E2E_TOKEN}", "--mode", "${E2E_MODE:-fast}", "--data", "${QODER_PLUGIN_DATA}"],
                  "env": {"X": "${E2E_UNSET_VAR}", "Y": "${E2E_TOKEN:-none}"}}}}
                """,
        ])
        let h = box.home, p = box.project + "/.qoder"
        try write(h + "/commands/deploy.md", "---\ndescription: User deploy\n---\nUser deploy.\n")
        try write(p + "/commands/deploy.md", "---\ndescription: Project deploy\n---\nProject deploy.\n")
        try write(h + "/skills/lint/SKILL.md", "---\nname: lint\ndescription: User lint\n---\nU.\n")
        try write(p + "/skills/lint/SKILL.md", "---\nname: lint\ndescription: Project lint\n---\nP.\n")
        for (dir, who) in [(h, "User"), (p, "Project")] {
            try write(dir + "/agents/helper.md", "---\nname: helper\ndescription: \(who) helper\n---\n\(who).\n")
            try write(dir + "/agents/reviewer.md", "---\nname: reviewer\ndescription: \(who) reviewer\n---\n\(who).\n")
        }
        try write(box.settingsPath(.user), """
            {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo user-stop"}]}]},
             "mcpServers": {"usersrv": {"command": "user-server", "args": ["${E2E_MODE:-u}"]}}}

            """)
        try write(box.settingsPath(.project), """
            {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo project-stop"}]}]}}

            """)
        try write(box.project + "/.mcp.json", """
            {"mcpServers": {"projsrv": {"command": "node", "args": ["${E2E_MODE:-slow}"]}}}

            """)
        try await box.ok(["plugins", "install", tools, "-s", scope])
    }
}

private func one(_ list: [[String: Any]], _ name: String, source: String,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let matches = list.filter { $0["name"] as? String == name && $0["source"] as? String == source }
    try #require(matches.count == 1, "\(name) from \(source): \(matches.count) entries", sourceLocation: sourceLocation)
    return matches[0]
}

@Suite struct InspectTests {
    @Test func commandsProjectBeatsUserAndPluginCommandsAreNamespaced() async throws {
        let f = try await Fixture()
        let list = try await f.box.listing(["commands", "list"])
        // The kernel's built-in commands come from its built-in module; the rest are this fixture's.
        #expect(list.filter { $0["source"] as? String != "module" }.compactMap { $0["name"] as? String }
                == ["deploy", "deploy", "tools:build", "tools:plain"])
        #expect(Set(list.filter { $0["source"] as? String == "module" }.compactMap { $0["name"] as? String }) == ["review", "init"])

        let user = try one(list, "deploy", source: "user")
        #expect(user["scope"] as? String == "user")
        #expect(user["plugin"] is NSNull)
        #expect(user["file"] as? String == f.box.home + "/commands/deploy.md")
        #expect(user["state"] as? String == "shadowed")
        #expect(user["reason"] as? String == "shadowed by project (\(f.box.project)/.qoder/commands/deploy.md)")
        let project = try one(list, "deploy", source: "project")
        #expect(project["scope"] as? String == "project")
        #expect(project["state"] as? String == "active")
        #expect(project["reason"] is NSNull)

        let build = try one(list, "tools:build", source: "plugin")
        #expect(build["scope"] as? String == "user")
        #expect(build["plugin"] as? String == "tools@local")
        #expect(build["state"] as? String == "active")
        #expect(build["description"] as? String == "Build it")
        #expect(build["argumentHint"] as? String == "[target] [mode]")
        #expect(build["file"] as? String == f.root + "/commands/build.md")

        // `deploy` renders the project one.
        #expect(try await f.box.ok(["commands", "render", "deploy"]) == "Project deploy.\n\n")
        // The text table marks the shadowed entry.
        let text = try await f.box.ok(["commands", "list"])
        #expect(text.contains("deploy       user                     shadowed by project (\(f.box.project)/.qoder/commands/deploy.md)  User deploy"))
    }

    @Test func renderSubstitutesArgumentsAndPluginRoot() async throws {
        let f = try await Fixture()
        for name in ["tools:build", "build"] {  // a bare name resolves when only one plugin has it
            // Options go before the name: everything after it is the command's arguments.
            let out = try await f.box.ok(["commands", "render", "--json", name, "alpha", "beta gamma"])
            let object = try parseJSON(out)
            #expect(object["name"] as? String == "tools:build")
            #expect(object["prompt"] as? String == """
                All: alpha beta gamma
                First: alpha
                Second: beta gamma
                Missing: []
                Root: \(f.root)
                Project: \(f.box.project)

                """)
        }
        // Without a placeholder the arguments are appended.
        let plain = try parseJSON(try await f.box.ok(["commands", "render", "--json", "plain", "x", "y"]))
        #expect(plain["prompt"] as? String == "Do the plain thing.\n\n\nARGUMENTS: x y")
        // And without arguments nothing is appended.
        let bare = try parseJSON(try await f.box.ok(["commands", "render", "--json", "tools:plain"]))
        #expect(bare["prompt"] as? String == "Do the plain thing.\n")
    }

    @Test func bareNameIsAmbiguousBetweenTwoPluginsAndUnknownNamesSuggest() async throws {
        let f = try await Fixture()
        let other = try f.box.makePlugin("other", files: ["commands/build.md": "Other build.\n"])
        try await f.box.ok(["plugins", "install", other])
        let r = try await f.box.run(["commands", "render", "build", "x"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: command 'build' is ambiguous: other:build, tools:build\n")
        #expect(try await f.box.ok(["commands", "render", "other:build", "x"]) == "Other build.\n\n\nARGUMENTS: x\n")

        let unknown = try await f.box.run(["commands", "render", "tools:buld"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: no command named 'tools:buld'; did you mean 'tools:build'?\n")
        #expect(try await f.box.run(["commands", "render"]).status == 64)
    }

    @Test func skillsProjectBeatsUserAndPluginSkillsAreNamespaced() async throws {
        let f = try await Fixture()
        let list = try await f.box.listing(["skills", "list"])
        #expect(list.compactMap { $0["name"] as? String } == ["lint", "lint", "tools:lint"])
        let user = try one(list, "lint", source: "user")
        #expect(user["state"] as? String == "shadowed")
        #expect(user["reason"] as? String == "shadowed by project (\(f.box.project)/.qoder/skills/lint/SKILL.md)")
        #expect(try one(list, "lint", source: "project")["state"] as? String == "active")
        let plugin = try one(list, "tools:lint", source: "plugin")
        #expect(plugin["plugin"] as? String == "tools@local")
        #expect(plugin["scope"] as? String == "user")
        #expect(plugin["state"] as? String == "active")
        #expect(plugin["description"] as? String == "Plugin lint")
        let show = try parseJSON(try await f.box.ok(["skills", "show", "lint", "--json"]))
        #expect(show["description"] as? String == "Project lint")
    }

    @Test func agentsUserBelowProjectBelowPlugin() async throws {
        let f = try await Fixture()
        let list = try await f.box.listing(["agents", "list"])
        let pluginFile = f.root + "/agents/helper.md"
        let user = try one(list, "helper", source: "user")
        #expect(user["state"] as? String == "shadowed")
        #expect(user["reason"] as? String == "shadowed by plugin tools@local (\(pluginFile))")
        let project = try one(list, "helper", source: "project")
        #expect(project["state"] as? String == "shadowed")
        #expect(project["reason"] as? String == "shadowed by plugin tools@local (\(pluginFile))")
        let plugin = try one(list, "helper", source: "plugin")
        #expect(plugin["state"] as? String == "active")
        #expect(plugin["plugin"] as? String == "tools@local")
        #expect(plugin["description"] as? String == "Plugin helper")

        #expect(try one(list, "reviewer", source: "user")["state"] as? String == "shadowed")
        #expect(try one(list, "reviewer", source: "project")["state"] as? String == "active")
        #expect(try parseJSON(try await f.box.ok(["agents", "show", "helper", "--json"]))["description"] as? String == "Plugin helper")
        #expect(try parseJSON(try await f.box.ok(["agents", "show", "tools:helper", "--json"]))["source"] as? String == "plugin")
    }

    @Test func disabledPluginComponentsAreInactive() async throws {
        let f = try await Fixture()
        try await f.box.ok(["plugins", "disable", "tools"])
        let reason = "plugin tools@local is disabled"
        for kind in ["commands", "skills", "agents", "hooks", "mcp"] {
            let plugin = try await f.box.listing([kind, "list"]).filter { $0["plugin"] as? String == "tools@local" }
            #expect(!plugin.isEmpty, "\(kind)")
            for e in plugin {
                #expect(e["state"] as? String == "inactive", "\(kind) \(e["name"] ?? "")")
                #expect(e["reason"] as? String == reason, "\(kind) \(e["name"] ?? "")")
            }
        }
        // The project agent takes over; inactive commands do not render.
        let agents = try await f.box.listing(["agents", "list"])
        #expect(try one(agents, "helper", source: "project")["state"] as? String == "active")
        #expect(try one(agents, "helper", source: "user")["reason"] as? String
                == "shadowed by project (\(f.box.project)/.qoder/agents/helper.md)")
        #expect(try await f.box.run(["commands", "render", "tools:build"]).status == 1)

        try await f.box.ok(["plugins", "enable", "tools"])
        #expect(try one(try await f.box.listing(["commands", "list"]), "tools:build", source: "plugin")["state"] as? String == "active")
    }

    @Test func hooksMergeAndProjectHooksNeedTrust() async throws {
        let f = try await Fixture()
        var hooks = try await f.box.listing(["hooks", "list"])
        #expect(hooks.count == 3)
        let user = try #require(hooks.first { $0["source"] as? String == "user" })
        #expect(user["event"] as? String == "Stop")
        #expect(user["state"] as? String == "active")
        #expect((user["handlers"] as? [[String: Any]])?.first?["command"] as? String == "echo user-stop")
        let projectHook = try #require(hooks.first { $0["source"] as? String == "project" })
        #expect(projectHook["event"] as? String == "Stop")
        #expect(projectHook["scope"] as? String == "project")
        #expect(projectHook["state"] as? String == "inactive")
        #expect(projectHook["reason"] as? String == "project not trusted (run `kernel trust` in it)")
        let plugin = try #require(hooks.first { $0["source"] as? String == "plugin" })
        #expect(plugin["event"] as? String == "PreToolUse")
        #expect(plugin["matcher"] as? String == "Bash")
        #expect(plugin["plugin"] as? String == "tools@local")
        #expect(plugin["file"] as? String == f.root + "/hooks/hooks.json")
        #expect(plugin["state"] as? String == "active")  // a user-scope plugin

        #expect(try await f.box.ok(["trust"]) == "Trusted \(f.box.project).\n")
        hooks = try await f.box.listing(["hooks", "list"])
        #expect(hooks.allSatisfy { $0["state"] as? String == "active" })
    }

    @Test func mcpExpandsVariablesAndProjectServersNeedTrust() async throws {
        let f = try await Fixture()
        let env = ["E2E_TOKEN": "s3cret"]
        var list = try await f.box.listing(["mcp", "list"], environment: env)
        #expect(Set(list.compactMap { $0["name"] as? String }) == ["usersrv", "projsrv", "tools:srv"])

        let srv = try one(list, "tools:srv", source: "plugin")
        #expect(srv["command"] as? String == f.root + "/bin/server")
        #expect(srv["args"] as? [String] == ["--token", "s3cret", "--mode", "fast", "--data", f.box.dataDir("tools-local")])
        #expect(srv["env"] as? [String: String] == ["X": "${E2E_UNSET_VAR}", "Y": "s3cret"])
        #expect(srv["missingVariables"] as? [String] == ["E2E_UNSET_VAR"])
        #expect(srv["plugin"] as? String == "tools@local")
        #expect(srv["scope"] as? String == "user")
        #expect(srv["state"] as? String == "active")

        let user = try one(list, "usersrv", source: "user")
        #expect(user["args"] as? [String] == ["u"])
        #expect(user["state"] as? String == "active")

        var project = try one(list, "projsrv", source: "project")
        #expect(project["args"] as? [String] == ["slow"])
        #expect(project["file"] as? String == f.box.project + "/.mcp.json")
        #expect(project["state"] as? String == "inactive")
        #expect(project["reason"] as? String == "project not trusted (run `kernel trust` in it)")

        let trusted = try parseJSON(try await f.box.ok(["trust", "--json"]))
        #expect(trusted["trusted"] as? String == f.box.project)
        // Trusted, but a .mcp.json server also needs the user's approval (mcp approve).
        list = try await f.box.listing(["mcp", "list"])
        #expect(try one(list, "projsrv", source: "project")["reason"] as? String == "project server not approved (run `kernel mcp approve projsrv`)")
        try await f.box.ok(["mcp", "approve", "projsrv"])
        list = try await f.box.listing(["mcp", "list"], environment: ["E2E_MODE": "turbo"])
        project = try one(list, "projsrv", source: "project")
        #expect(project["state"] as? String == "active")
        #expect(project["args"] as? [String] == ["turbo"])
        #expect(try one(list, "tools:srv", source: "plugin")["missingVariables"] as? [String] == ["E2E_TOKEN", "E2E_UNSET_VAR"])

        #expect(try await f.box.ok(["untrust"]) == "No longer trusted: \(f.box.project).\n")
        list = try await f.box.listing(["mcp", "list"])
        #expect(try one(list, "projsrv", source: "project")["state"] as? String == "inactive")
    }

    @Test func projectScopePluginExecutesOnlyInATrustedProject() async throws {
        let f = try await Fixture(installToolsAt: "project")
        let untrusted = "project not trusted (run `kernel trust` in it)"
        let mcp = try one(try await f.box.listing(["mcp", "list"]), "tools:srv", source: "plugin")
        #expect(mcp["scope"] as? String == "project")
        #expect(mcp["reason"] as? String == untrusted)
        let hook = try #require(try await f.box.listing(["hooks", "list"]).first { $0["source"] as? String == "plugin" })
        #expect(hook["reason"] as? String == untrusted)
        // Prompt components are usable anyway.
        #expect(try one(try await f.box.listing(["commands", "list"]), "tools:build", source: "plugin")["state"] as? String == "active")

        try await f.box.ok(["trust"])
        #expect(try one(try await f.box.listing(["mcp", "list"]), "tools:srv", source: "plugin")["state"] as? String == "active")
    }

    @Test func pluginDirAddsAPluginForOneRunWithoutInstalling() async throws {
        let box = try Sandbox()
        let dir = try box.makePlugin("flagged", version: "0.3.0", files: [
            "commands/go.md": "---\ndescription: Go\n---\nGo $ARGUMENTS.\n",
            "agents/scout.md": "---\nname: scout\ndescription: Scouts.\n---\nScout.\n",
        ])
        let rows = try await box.list(["--plugin-dir", dir])
        try #require(rows.count == 1)
        let row = rows[0]
        #expect(row["id"] as? String == "flagged@flag")
        #expect(row["source"] as? String == "flagged@inline")
        #expect(row["scope"] as? String == "flag")
        #expect(row["version"] as? String == "0.3.0")
        #expect(row["enabled"] as? Bool == true)
        #expect(row["canDisable"] as? Bool == false)
        #expect(row["installPath"] as? String == dir)
        #expect(row["installedAt"] == nil)
        #expect(row["projectPath"] == nil)
        #expect(resourceNames(row, "commands") == ["flagged:go"])
        #expect(resourceNames(row, "agents") == ["flagged:scout"])

        let commands = try await box.listing(["commands", "list", "--plugin-dir", dir])
        let go = try one(commands, "flagged:go", source: "flag")
        #expect(go["plugin"] as? String == "flagged@flag")
        #expect(go["state"] as? String == "active")
        let rendered = try parseJSON(try await box.ok(["commands", "render", "--plugin-dir", dir, "--json", "go", "now", "--json"]))
        #expect(rendered["prompt"] as? String == "Go now --json.\n")

        // Nothing was installed.
        #expect(try await box.list().isEmpty)
        #expect(files(under: box.home + "/plugins/cache") == [])
        #expect(!exists(box.settingsPath(.user)))
    }
}
