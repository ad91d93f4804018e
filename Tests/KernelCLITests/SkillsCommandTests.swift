import Foundation
import Testing

/// `kernel skills enable|disable` (the reference host's `skills.disabled` lists) and `skillOverrides`.
@Suite struct SkillsCommandTests {
    func skill(_ box: Sandbox, _ folder: String, scope: Sandbox.SettingsScope, name: String? = nil) throws {
        let root = scope == .user ? box.home : box.project + "/.qoder"
        try write("\(root)/skills/\(folder)/SKILL.md", "---\nname: \(name ?? folder)\ndescription: The \(folder) skill\n---\nbody\n")
    }

    func row(_ list: [[String: Any]], _ name: String) throws -> [String: Any] {
        try #require(entries(list, named: name).first, "\(name) not listed")
    }

    @Test func disableAndEnableEditTheReferenceKeys() async throws {
        let box = try Sandbox()
        try skill(box, "alpha", scope: .user)
        try skill(box, "beta", scope: .project)
        // Default scope: the project's settings.json (the reference host's "workspace").
        #expect(try await box.ok(["skills", "disable", "alpha"])
                == "Skill \"alpha\" disabled: added to skills.disabled in project (\(box.settingsPath(.project))) settings.\n")
        try await box.ok(["skills", "disable", "beta", "-s", "user"])
        try await box.ok(["skills", "disable", "beta", "-s", "workspace"])
        // What qodercli 1.1.76 writes for `skills disable alpha` then `skills disable beta -s project`.
        #expect(read(box.settingsPath(.project)) == """
            {
              "skills": {
                "disabled": [
                  "alpha",
                  "beta"
                ]
              }
            }

            """)
        #expect(try await box.ok(["skills", "disable", "beta", "-s", "project"])
                == "Skill \"beta\" is already disabled in project (\(box.settingsPath(.project))) settings.\n")
        var list = try await box.listing(["skills", "list"])
        #expect(try row(list, "alpha")["state"] as? String == "inactive")
        #expect(try row(list, "alpha")["reason"] as? String == "disabled in skills.disabled of project settings (\(box.settingsPath(.project)))")
        let text = try await box.ok(["skills", "list"])
        #expect(text.contains("inactive: disabled in skills.disabled of"), "\(text)")

        // Enable without -s removes the name from every file that lists it, as the reference does.
        #expect(try await box.ok(["skills", "enable", "beta"])
                == "Skill \"beta\" enabled: removed from skills.disabled in user (\(box.settingsPath(.user))) and project (\(box.settingsPath(.project))) settings.\n")
        list = try await box.listing(["skills", "list"])
        #expect(try row(list, "beta")["state"] as? String == "active")
        #expect(try await box.ok(["skills", "enable", "beta"]) == "Skill \"beta\" is not disabled.\n")
        try await box.ok(["skills", "enable", "alpha", "-s", "local"])
        #expect(try row(try await box.listing(["skills", "list"]), "alpha")["state"] as? String == "inactive")
        let json = try parseJSON(try await box.ok(["skills", "enable", "alpha", "--json"]))
        #expect((json["edited"] as? [[String: Any]])?.first?["scope"] as? String == "project")
    }

    @Test func pluginSkillsAnswerToTheirQualifiedAndOwnName() async throws {
        let box = try Sandbox()
        let plugin = try box.makePlugin("pk", files: ["skills/greet/SKILL.md": "---\nname: greet\ndescription: Greets\n---\nhi\n"])
        try await box.ok(["plugins", "install", plugin])
        try await box.ok(["skills", "disable", "pk:greet", "-s", "local"])
        #expect(try row(try await box.listing(["skills", "list"]), "pk:greet")["state"] as? String == "inactive")
        try await box.ok(["skills", "enable", "pk:greet"])
        try await box.ok(["skills", "disable", "greet", "-s", "user"])
        #expect(try row(try await box.listing(["skills", "list"]), "pk:greet")["reason"] as? String
                == "disabled in skills.disabled of user settings (\(box.settingsPath(.user)))")
    }

    @Test func badInput() async throws {
        let box = try Sandbox()
        try skill(box, "alpha", scope: .user)
        let unknown = try await box.run(["skills", "disable", "alpho"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: No skill named \"alpho\". Did you mean 'alpha'?\n")
        #expect(read(box.settingsPath(.project)) == nil)
        let unknownEnable = try await box.run(["skills", "enable", "nosuch", "--json"])
        #expect(unknownEnable.status == 1)
        #expect(try parseJSON(unknownEnable.stdout)["code"] as? String == "not_found")
        let badScope = try await box.run(["skills", "disable", "alpha", "-s", "global"])
        #expect(badScope.status == 64)
        #expect(badScope.stderr.contains("The value 'global' is invalid for '-s <scope>'"), "\(badScope.stderr)")
        // A name that is only in a list (its skill was removed) can still be enabled.
        try write(box.settingsPath(.local), #"{"skills": {"disabled": ["gone"]}}"#)
        try await box.ok(["skills", "enable", "gone"])
        #expect(read(box.settingsPath(.local)) == #"{"skills": {"disabled": []}}"#)
        // A settings file that does not parse is named and left alone.
        try write(box.settingsPath(.project), "{\"skills\": }")
        let broken = try await box.run(["skills", "disable", "alpha"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains(box.settingsPath(.project) + ":1:"), "\(broken.stderr)")
        #expect(read(box.settingsPath(.project)) == "{\"skills\": }")
    }

    @Test func skillOverrides() async throws {
        let box = try Sandbox()
        for name in ["on", "off", "name-only", "invocable", "unset"] { try skill(box, name, scope: .user) }
        try write(box.settingsPath(.user), #"{"skillOverrides": {"on": "on", "off": "off", "name-only": "name-only", "invocable": "off"}}"#)
        // The most specific file's value wins.
        try write(box.settingsPath(.local), #"{"skillOverrides": {"invocable": "user-invocable-only"}}"#)
        let list = try await box.listing(["skills", "list"])
        #expect(try row(list, "on")["visibility"] as? String == "on")
        #expect(try row(list, "unset")["visibility"] as? String == "on")
        #expect(try row(list, "off")["state"] as? String == "inactive")
        #expect(try row(list, "off")["reason"] as? String == "skillOverrides is \"off\" in user settings (\(box.settingsPath(.user)))")
        #expect(try row(list, "name-only")["visibility"] as? String == "name-only")
        #expect(try row(list, "name-only")["state"] as? String == "active")
        #expect(try row(list, "invocable")["visibility"] as? String == "user-invocable-only")
        let text = try await box.ok(["skills", "list"])
        #expect(text.contains("[name-only] The name-only skill"), "\(text)")
    }
}
