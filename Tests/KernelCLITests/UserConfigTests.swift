import Foundation
import KernelTestSupport
import Testing

/// User configuration end to end: `plugins install --config`, `plugins configure`, where values are stored
/// (settings `pluginConfigs`, the 0600 secrets file), their substitution into a real hook run and an MCP
/// server's resolved definition, and the gating of a plugin that needs configuration.
@Suite struct UserConfigTests {
    static let manifest = #"""
        {
          "name": "weather",
          "version": "1.0.0",
          "userConfig": {
            "api_key": {"type": "string", "title": "API key", "required": true, "sensitive": true},
            "units": {"type": "string", "options": ["metric", "imperial"], "default": "metric"},
            "retries": {"type": "number", "min": 0, "max": 5}
          }
        }
        """#

    /// A plugin whose SessionStart hook writes what it was given, and whose stdio server takes the key.
    static func makeWeather(_ box: Sandbox, out: String) throws -> String {
        try box.makePlugin("weather", files: [
            ".qoder-plugin/plugin.json": manifest,
            "hooks/hooks.json": #"""
                {"hooks": {"SessionStart": [{"hooks": [{"type": "command",
                  "command": "printf '%s|%s|%s' \"${user_config.api_key}\" \"${user_config.units}\" \"$WEATHER_UNITS\" > \#(out)",
                  "env": {"WEATHER_UNITS": "${user_config.units}"}}]}]}}
                """#,
            ".mcp.json": #"""
                {"mcpServers": {"forecast": {"command": "forecast-server",
                  "args": ["--key", "${user_config.api_key}", "--units", "${user_config.units}"],
                  "env": {"RETRIES": "${user_config.retries}"}}}}
                """#,
        ])
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func jsonArray(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test func installConfigSubstitutesIntoAHookRunAndTheServerAndKeepsTheSecretOutOfSettings() async throws {
        let box = try Sandbox()
        let out = box.sourcesDir.path + "/hook-out.txt"
        let dir = try Self.makeWeather(box, out: out)
        let installed = try await box.ok(["plugins", "install", dir, "--config", "api_key=s3cr3t-value", "--config", "units=imperial", "--json"])
        let result = try json(installed)
        #expect(result["ok"] as? Bool == true)
        #expect(result["needsConfiguration"] == nil)

        // Non-sensitive in the user settings under pluginConfigs.<id>.options; the secret nowhere in settings.
        let settingsText = try #require(read(box.settingsPath(.user)))
        #expect(!settingsText.contains("s3cr3t-value"))
        let settings = try json(settingsText)
        let configs = try #require(settings["pluginConfigs"] as? [String: Any])
        // A folder install is keyed by its plain name, as the reference host looks `@local` plugins up.
        let entry = try #require(configs["weather"] as? [String: Any])
        #expect((entry["options"] as? [String: Any])?["units"] as? String == "imperial")

        // The secret in a 0600 file in a 0700 folder under the user root.
        let secrets = box.home + "/kernel/secrets/plugin-config.json"
        #expect(try mode(secrets) == 0o600)
        #expect(try mode(box.home + "/kernel/secrets") == 0o700)
        let stored = try json(try #require(read(secrets)))
        #expect((stored["weather"] as? [String: Any])?["api_key"] as? String == "s3cr3t-value")

        // A real hook run gets the values (command and env); the default fills nothing here (units was given).
        let fired = try await kernel(["hooks", "fire", "SessionStart", "--json"], cwd: box.projectDir.fileURL,
                                     environment: ["QODER_HOME": box.home], stdin: "{}")
        #expect(fired.status == 0, "\(fired.stdout)\(fired.stderr)")
        #expect(read(out) == "s3cr3t-value|imperial|imperial")

        // The server's resolved definition: args substituted; an optional key without value or default is empty.
        let servers = try await box.listing(["mcp", "list"])
        let forecast = try #require(servers.first { $0["name"] as? String == "weather:forecast" })
        #expect(forecast["state"] as? String == "active")
        let args = try #require(forecast["args"] as? [String])
        #expect(args == ["--key", "********", "--units", "imperial"], "a sensitive value is masked in listings")
        #expect((forecast["env"] as? [String: String])?["RETRIES"] == "")

        // Listed without "needs configuration".
        let row = try #require(try await box.list().first { $0["id"] as? String == "weather@local" })
        #expect(row["configuration"] == nil)
    }

    @Test func configureShowsSetsUnsetsMasksAndRefusesBadValuesChangingNothing() async throws {
        let box = try Sandbox()
        let dir = try Self.makeWeather(box, out: box.sourcesDir.path + "/unused")
        try await box.ok(["plugins", "install", dir])

        // Set, then show (text and JSON): the sensitive value masked, the default shown as such.
        let set = try await box.ok(["plugins", "configure", "weather", "api_key=top-secret-1", "retries=3"])
        #expect(set.contains("Configuration of \"weather@local\" updated (api_key, retries)."))
        #expect(!set.contains("top-secret-1"))
        let shown = try await box.ok(["plugins", "configure", "weather"])
        #expect(shown.contains("********"))
        #expect(shown.contains("metric (default)"))
        #expect(!shown.contains("top-secret-1"))
        let view = try json(try await box.ok(["plugins", "configure", "weather", "--json"]))
        #expect(view["needsConfiguration"] as? Bool == false)
        let options = try #require(view["options"] as? [[String: Any]])
        let key = try #require(options.first { $0["key"] as? String == "api_key" })
        #expect(key["value"] as? String == "********")
        #expect(key["sensitive"] as? Bool == true)
        #expect(key["origin"] as? String == "secrets")
        let retries = try #require(options.first { $0["key"] as? String == "retries" })
        #expect(retries["value"] as? Int == 3)
        #expect(retries["origin"] as? String == box.settingsPath(.user))

        // Bad values: refused with the reason, nothing written.
        let before = read(box.settingsPath(.user))
        let secretsBefore = read(box.home + "/kernel/secrets/plugin-config.json")
        let badOption = try await box.run(["plugins", "configure", "weather", "units=kelvin", "retries=1"])
        #expect(badOption.status == 1)
        #expect(badOption.stderr.contains("'units' must be one of 'metric', 'imperial', got 'kelvin'"), "\(badOption.stderr)")
        let overMax = try await box.run(["plugins", "configure", "weather", "retries=9"])
        #expect(overMax.status == 1)
        #expect(overMax.stderr.contains("'retries' must be at most 5, got 9"), "\(overMax.stderr)")
        let notNumber = try await box.run(["plugins", "configure", "weather", "retries=many"])
        #expect(notNumber.stderr.contains("'retries' must be a number, got 'many'"))
        let unknown = try await box.run(["plugins", "configure", "weather", "unit=metric"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("has no configuration key 'unit'; did you mean 'units'?"), "\(unknown.stderr)")
        let usage = try await box.run(["plugins", "configure", "weather", "=x"])
        #expect(usage.status == 64)
        #expect(read(box.settingsPath(.user)) == before)
        #expect(read(box.home + "/kernel/secrets/plugin-config.json") == secretsBefore)

        // Unset: the secret leaves the secrets file; the plugin needs configuration again.
        try await box.ok(["plugins", "configure", "weather", "--unset", "api_key", "--unset", "retries"])
        #expect(read(box.home + "/kernel/secrets/plugin-config.json")?.contains("top-secret-1") == false)
        let after = try json(try await box.ok(["plugins", "configure", "weather", "--json"]))
        #expect(after["missing"] as? [String] == ["api_key"])
    }

    @Test func withoutATerminalTheInstallSucceedsAndThePluginIsGatedUntilConfigured() async throws {
        let box = try Sandbox()
        let out = box.sourcesDir.path + "/hook-out.txt"
        let otherOut = box.sourcesDir.path + "/other-out.txt"
        let dir = try Self.makeWeather(box, out: out)
        let other = try box.makePlugin("other", files: [
            "hooks/hooks.json": #"{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "echo ran > \#(otherOut)"}]}]}}"#,
        ])
        try await box.ok(["plugins", "install", other])
        // stdin is a pipe here: no prompt, the install succeeds and says what is missing.
        let installed = try await box.ok(["plugins", "install", dir])
        #expect(installed.contains("Plugin \"weather@local\" needs configuration: missing api_key"), "\(installed)")
        let installedJSON = try json(try await box.ok(["plugins", "install", dir, "--json"]))
        #expect(installedJSON["needsConfiguration"] as? Bool == true)
        #expect(installedJSON["missing"] as? [String] == ["api_key"])

        // Listed as needing configuration, with the missing keys (text and JSON).
        let rows = try await box.list()
        let row = try #require(rows.first { $0["id"] as? String == "weather@local" })
        let configuration = try #require(row["configuration"] as? [String: Any])
        #expect(configuration["state"] as? String == "needs configuration")
        #expect(configuration["missing"] as? [String] == ["api_key"])
        #expect(rows.first { $0["id"] as? String == "other@local" }?["configuration"] == nil)
        let text = try await box.ok(["plugins", "list"])
        #expect(text.contains("needs configuration (missing: api_key)"))

        // The hook engine skips its hook with the reason; the other plugin's hook runs.
        let fired = try await kernel(["hooks", "fire", "SessionStart", "--json"], cwd: box.projectDir.fileURL,
                                     environment: ["QODER_HOME": box.home], stdin: "{}")
        #expect(fired.status == 0)
        let outcome = try json(fired.stdout)
        let handlers = try #require(outcome["handlers"] as? [[String: Any]])
        let skipped = try #require(handlers.first { $0["plugin"] as? String == "weather@local" })
        #expect((skipped["skipped"] as? String)?.hasPrefix("needs configuration: missing api_key") == true)
        #expect(!exists(out))
        #expect(read(otherOut) == "ran\n")

        // `mcp list` shows the server as needing configuration; `hooks list` the hook.
        let servers = try await box.listing(["mcp", "list"])
        let forecast = try #require(servers.first { $0["name"] as? String == "weather:forecast" })
        #expect(forecast["state"] as? String == "inactive")
        #expect((forecast["reason"] as? String)?.hasPrefix("needs configuration: missing api_key") == true)
        let hooks = try await box.listing(["hooks", "list"])
        #expect(hooks.contains { ($0["reason"] as? String)?.hasPrefix("needs configuration") == true })
        #expect(hooks.contains { $0["plugin"] as? String == "other@local" && $0["state"] as? String == "active" })

        // Configured: the gate lifts.
        try await box.ok(["plugins", "configure", "weather@local", "api_key=k"])
        let again = try await kernel(["hooks", "fire", "SessionStart"], cwd: box.projectDir.fileURL,
                                     environment: ["QODER_HOME": box.home], stdin: "{}")
        #expect(again.status == 0)
        #expect(read(out) == "k|metric|metric", "the default fills the unset optional key")
    }

    @Test func aProjectScopeInstallLeavesNothingSensitiveUnderTheProject() async throws {
        let box = try Sandbox()
        let out = box.sourcesDir.path + "/hook-out.txt"
        let dir = try Self.makeWeather(box, out: out)
        try await box.ok(["trust"])
        try await box.ok(["plugins", "install", dir, "-s", "project", "--config", "api_key=project-secret-42", "--config", "units=imperial"])
        // The non-sensitive value is in the project's (committed) settings; the secret in no file of the project.
        let projectSettings = try #require(read(box.settingsPath(.project)))
        #expect(projectSettings.contains("\"imperial\""))
        for file in files(under: box.project) {
            #expect(read(box.project + "/" + file)?.contains("project-secret-42") != true, "\(file) holds the secret")
        }
        #expect(read(box.home + "/kernel/secrets/plugin-config.json")?.contains("project-secret-42") == true)
        let fired = try await kernel(["hooks", "fire", "SessionStart"], cwd: box.projectDir.fileURL,
                                     environment: ["QODER_HOME": box.home], stdin: "{}")
        #expect(fired.status == 0)
        #expect(read(out) == "project-secret-42|imperial|imperial")
    }

    @Test func theQoderPlaceholderURLIsConfigurableAsAServerKey() async throws {
        let box = try Sandbox()
        let dir = try box.makePlugin("remote", files: [
            ".mcp.json": #"""
                {"mcpServers": {"api": {"type": "http", "url": "{{USER_CONFIG}}",
                  "_setup": {"configUrl": "https://example.com/keys", "guide": "Paste your server URL", "required": true}}}}
                """#,
        ])
        let installed = try await box.ok(["plugins", "install", dir])
        #expect(installed.contains("missing mcpServers.api.url"), "\(installed)")
        let view = try json(try await box.ok(["plugins", "configure", "remote", "--json"]))
        let option = try #require((view["options"] as? [[String: Any]])?.first)
        #expect(option["key"] as? String == "mcpServers.api.url")
        #expect(option["description"] as? String == "Paste your server URL Get it at https://example.com/keys")

        try await box.ok(["plugins", "configure", "remote", "mcpServers.api.url=https://mcp.example.com/u/7"])
        // Stored where the reference host reads server-level values.
        let settings = try json(try #require(read(box.settingsPath(.user))))
        let entry = try #require((settings["pluginConfigs"] as? [String: Any])?["remote"] as? [String: Any])
        #expect(((entry["mcpServers"] as? [String: Any])?["api"] as? [String: Any])?["url"] as? String == "https://mcp.example.com/u/7")
        let server = try #require(try await box.listing(["mcp", "list"]).first { $0["name"] as? String == "remote:api" })
        #expect(server["state"] as? String == "active")
        #expect(server["url"] as? String == "https://mcp.example.com/u/7")
    }

    @Test func badDeclarationsAreReportedAtTheirPositions() async throws {
        let box = try Sandbox()
        let dir = try box.makePlugin("broken", files: [
            ".qoder-plugin/plugin.json": """
                {
                  "name": "broken",
                  "userConfig": {
                    "token": {"type": "strin"},
                    "bad key": {"type": "string"},
                    "level": {"type": "number", "min": 5, "max": 1},
                    "mode": {"type": "string", "options": ["a", "b"], "default": "c"},
                    "flag": {"type": "boolean", "sensitiv": true}
                  },
                  "commands": "./commands"
                }
                """,
            "commands/x.md": "# x\n",
        ])
        let r = try await box.run(["plugins", "validate", dir])
        #expect(r.status == 1)
        let text = r.stdout + r.stderr
        #expect(text.contains("plugin.json:4:23: error: unknown userConfig type 'strin' for 'token'; did you mean 'string'?"), "\(text)")
        #expect(text.contains("plugin.json:5:5: error: userConfig key 'bad key' must start with a letter"))
        #expect(text.contains("plugin.json:6:50: error: userConfig 'level': 'min' (5) is greater than 'max' (1)"))
        #expect(text.contains("plugin.json:7:66: error: default of 'mode' must be one of 'a', 'b', got 'c'"))
        #expect(text.contains("plugin.json:8:33: warning: unknown field 'sensitiv' in userConfig 'flag'; did you mean 'sensitive'?"))
        // An install refuses the bundle (errors), and a value for an unknown type cannot be given.
        let install = try await box.run(["plugins", "install", dir])
        #expect(install.status == 1)
    }

    @Test func badConfigValuesRefuseTheInstallBeforeAnythingIsWritten() async throws {
        let box = try Sandbox()
        let dir = try Self.makeWeather(box, out: box.sourcesDir.path + "/unused")
        let r = try await box.run(["plugins", "install", dir, "--config", "api_key=x", "--config", "retries=-1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("'retries' must be at least 0, got -1"), "\(r.stderr)")
        #expect(!exists(box.settingsPath(.user)))
        #expect(!exists(box.home + "/kernel/secrets/plugin-config.json"))
        #expect(try await box.list().isEmpty)
        let twice = try await box.run(["plugins", "install", dir, "--config", "units=metric", "--config", "units=imperial"])
        #expect(twice.stderr.contains("'units' takes one value, got 2"))
    }

    @Test func aTeamSetPluginNeedingConfigurationIsInstalledAndReportedNotFailed() async throws {
        let team = try Team()
        try team.repo.write("plugins/alpha/.qoder-plugin/plugin.json", #"""
            {"name": "alpha", "version": "1.0.0", "userConfig": {"token": {"type": "string", "required": true, "sensitive": true}}}
            """#)
        try team.repo.write("plugins/alpha/.mcp.json", #"{"mcpServers": {"svc": {"command": "svc", "args": ["${user_config.token}"]}}}"#)
        _ = try team.repo.commit("alpha asks for a token")
        try await team.ok(team.box.home, ["trust"])
        try await team.ok(team.box.home, ["plugins", "marketplace", "add", team.repo.url, "--scope", "project"])
        try await team.ok(team.box.home, ["plugins", "install", "alpha@team", "-s", "project"])
        try await team.ok(team.box.home, ["plugins", "install", "beta@team", "-s", "project"])

        // A teammate's fresh home: sync installs both, exit 0, and names what alpha needs.
        let mate = try TempDir()
        try await team.ok(mate.path, ["trust"])
        let synced = try await team.ok(mate.path, ["plugins", "sync"])
        #expect(synced.contains("Plugin \"alpha@team\" needs configuration: missing token"), "\(synced)")
        let report = try parseJSON(try await team.ok(mate.path, ["plugins", "sync", "--json"]))
        #expect(report["ok"] as? Bool == true)
        let needs = try #require(report["needsConfiguration"] as? [[String: Any]])
        #expect(needs.map { $0["pluginId"] as? String } == ["alpha@team"])
        #expect(needs.first?["missing"] as? [String] == ["token"])
        let status = try await team.status(mate.path)
        #expect(status["alpha@team"]?["state"] as? String == "ok")
        #expect(status["beta@team"]?["state"] as? String == "ok")
    }

    /// What qodercli 1.1.76 reads (checked by running it: a session started `/bin/sh -c 'echo "$0|$1"' ${user_config.token}
    /// ${user_config.other}` with `pluginConfigs.demo.mcpServers.svc.token = T123` and `options.other` set, and wrote
    /// `T123|${user_config.other}`): server-level values under the plain name of a folder install. Kernel reads the same
    /// hand-written entry.
    @Test func theReferenceHostsServerLevelValuesAreRead() async throws {
        let box = try Sandbox()
        let dir = try box.makePlugin("demo", files: [
            ".mcp.json": #"{"mcpServers": {"svc": {"command": "/bin/sh", "args": ["-c", "true", "${user_config.token}"]}}}"#,
        ])
        try await box.ok(["plugins", "install", dir])
        try write(box.settingsPath(.user), #"""
            {"enabledPlugins": {"demo@local": true}, "pluginConfigs": {"demo": {"mcpServers": {"svc": {"token": "T123"}}}}}
            """#)
        let svc = try #require(try await box.listing(["mcp", "list"]).first { $0["name"] as? String == "demo:svc" })
        #expect(svc["args"] as? [String] == ["-c", "true", "T123"])
        #expect(svc["state"] as? String == "active")
        let view = try json(try await box.ok(["plugins", "configure", "demo", "--json"]))
        #expect(view["configKey"] as? String == "demo")
        let option = try #require((view["options"] as? [[String: Any]])?.first)
        #expect(option["key"] as? String == "mcpServers.svc.token")
        #expect(option["value"] as? String == "T123")
    }

    /// On a terminal (a pseudo-terminal from util-linux `script`), install asks for each missing required key: a bad
    /// answer is refused with the reason and asked again; the answers are stored as `configure` stores them.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalInstallAsksForMissingRequiredKeys() async throws {
        let box = try Sandbox()
        let dir = try box.makePlugin("asker", files: [
            ".qoder-plugin/plugin.json": #"""
                {"name": "asker", "version": "1.0.0", "commands": "./commands",
                 "userConfig": {"api_key": {"type": "string", "title": "API key", "required": true, "sensitive": true},
                                "n": {"type": "number", "required": true, "max": 3}}}
                """#,
            "commands/c.md": "# c\n",
        ])
        let command = "\(TestPaths.kernel) plugins install \(dir)"
        let r = try await offPool { [box] in
            try runChild("/usr/bin/script", ["-qec", command, "/dev/null"], cwd: box.project,
                         environment: ["QODER_HOME": box.home], stdin: "typed-secret\n9\n2\n")
        }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("API key [api_key]: "))
        #expect(r.stdout.contains("'n' must be at most 3, got 9"))
        #expect(!r.stdout.contains("needs configuration"), "\(r.stdout)")
        let settings = try json(try #require(read(box.settingsPath(.user))))
        #expect(((settings["pluginConfigs"] as? [String: Any])?["asker"] as? [String: Any]).flatMap { $0["options"] as? [String: Any] }?["n"] as? Int == 2)
        #expect(read(box.settingsPath(.user))?.contains("typed-secret") == false)
        #expect(read(box.home + "/kernel/secrets/plugin-config.json")?.contains("typed-secret") == true)
    }
}
