import Foundation
import KernelTestSupport
import Testing

/// `kernel skills install|link|uninstall`, checked against what qodercli 1.1.76 does
/// (Tests/Fixtures/qoder-cli/skills-install.txt): copies to <scope>/skills/<folder name>, replaces, links.
@Suite struct SkillInstallTests {
    func skill(_ box: Sandbox, _ folder: String, name: String? = nil, extra: [String: String] = [:]) throws -> String {
        try box.sourcesDir.write("\(folder)/SKILL.md", "---\nname: \(name ?? (folder as NSString).lastPathComponent)\ndescription: The \(folder) skill\n---\nBody\n")
        for (path, text) in extra { try box.sourcesDir.write("\(folder)/\(path)", text) }
        return box.sourcesDir.path + "/" + folder
    }

    @Test func installCopiesReplacesAndUninstalls() async throws {
        let box = try Sandbox()
        // The folder's name is the installed name, as the reference host does (SKILL.md says my-skill).
        let source = try skill(box, "myskill", name: "my-skill", extra: ["extra.txt": "one"])
        let location = box.home + "/skills/myskill"
        var r = try await box.run(["skills", "install", source, "--consent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "Successfully installed skill: myskill (scope: user, location: \(location))\n")
        #expect(r.stderr.contains("skill name 'my-skill' does not match its folder 'myskill'"), "\(r.stderr)")
        #expect(tree(location) == ["SKILL.md": "---\nname: my-skill\ndescription: The myskill skill\n---\nBody\n", "extra.txt": "one"])
        let listed = try await box.listing(["skills", "list"])
        #expect(entries(listed, named: "my-skill").first?["scope"] as? String == "user")

        // Again, changed: replaced (the reference's words), no leftover staging folder.
        try box.sourcesDir.write("myskill/extra.txt", "two")
        r = try await box.run(["skills", "install", source])
        #expect(r.stdout == "Skill \"myskill\" already exists. Overwriting...\nSuccessfully installed skill: myskill (scope: user, location: \(location))\n")
        #expect(read(location + "/extra.txt") == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home + "/skills") == ["myskill"])

        // workspace (and project) is the project's .qoder/skills.
        try await box.ok(["skills", "install", source, "-s", "workspace"])
        #expect(exists(box.project + "/.qoder/skills/myskill/SKILL.md"))

        // Uninstall: user by default; an unknown name is refused with a suggestion; the other scope is named.
        r = try await box.run(["skills", "uninstall", "myskil"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("Skill \"myskil\" is not installed in the user scope (\(box.home)/skills). Did you mean 'myskill'?"), "\(r.stderr)")
        #expect(try await box.ok(["skills", "uninstall", "myskill"])
                == "Successfully uninstalled skill: myskill (scope: user, location: \(location))\n")
        #expect(!exists(location))
        r = try await box.run(["skills", "uninstall", "myskill"])
        #expect(r.stderr.contains("It is installed in the workspace scope: use -s workspace."), "\(r.stderr)")
        let json = try parseJSON(try await box.ok(["skills", "uninstall", "myskill", "-s", "project", "--json"]))
        #expect(json["scope"] as? String == "workspace")
        #expect(json["wasLink"] as? Bool == false)
        #expect(!exists(box.project + "/.qoder/skills/myskill"))
        #expect(exists(source + "/SKILL.md"))
    }

    @Test func aFolderOfSkillsInstallsEachOne() async throws {
        let box = try Sandbox()
        _ = try skill(box, "pack/skills/a")
        _ = try skill(box, "pack/x/y/b")
        _ = try skill(box, "pack/node_modules/dep")  // skipped, as the reference does
        let json = try parseJSON(try await box.ok(["skills", "install", box.sourcesDir.path + "/pack", "--json"]))
        let names = (json["installed"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["a", "b"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: box.home + "/skills")) == ["a", "b"])
        // --path picks one folder inside the source.
        let one = try parseJSON(try await box.ok(["skills", "install", box.sourcesDir.path + "/pack", "--path", "x/y", "-s", "project", "--json"]))
        #expect((one["installed"] as? [[String: Any]])?.map { $0["name"] as? String } == ["b"])
        let r = try await box.run(["skills", "install", box.sourcesDir.path + "/pack", "--path", "../elsewhere"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--path '../elsewhere' must be a relative path inside the source"), "\(r.stderr)")
    }

    @Test func linkPointsAtTheSourceFolder() async throws {
        let box = try Sandbox()
        let source = try skill(box, "linked")
        // A copy is there already: the link replaces it.
        try await box.ok(["skills", "install", source])
        let location = box.home + "/skills/linked"
        #expect(try await box.ok(["skills", "link", source])
                == "Skill \"linked\" already exists at destination. Overwriting...\nSuccessfully linked skill: linked (scope: user, location: \(location) -> \(source))\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: location) == source)
        try box.sourcesDir.write("linked/SKILL.md", "---\nname: linked\ndescription: Edited in place\n---\nBody\n")
        let listed = try await box.listing(["skills", "list"])
        #expect(entries(listed, named: "linked").first?["description"] as? String == "Edited in place")
        let json = try parseJSON(try await box.ok(["skills", "uninstall", "linked", "--json"]))
        #expect(json["wasLink"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: location))
        #expect(read(source + "/SKILL.md")?.contains("Edited in place") == true)

        // Linking a folder of the skills folder to itself is refused; the copy stays.
        try await box.ok(["skills", "install", source])
        let r = try await box.run(["skills", "link", location])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is in \(box.home)/skills already: link a folder outside it"), "\(r.stderr)")
        #expect(read(location + "/SKILL.md")?.contains("Edited in place") == true)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: location)) == nil)
    }

    @Test func archivesAreUnpackedSafely() async throws {
        let box = try Sandbox()
        let dir = try TemporaryDirectory()
        let skillText = "---\nname: zipped\ndescription: From a zip\n---\nBody\n"
        // A folder at the top: its name; SKILL.md at the top: the archive's name (qodercli names it after its
        // temporary folder).
        let nested = try await ArchiveFixture.zip(dir, "nested.zip", [("zipped/SKILL.md", skillText), ("zipped/ref.md", "r")])
        let flat = try await ArchiveFixture.zip(dir, "flat-one.skill", [("SKILL.md", skillText)])
        try await box.ok(["skills", "install", nested])
        try await box.ok(["skills", "install", flat, "-s", "workspace"])
        #expect(tree(box.home + "/skills/zipped") == ["SKILL.md": skillText, "ref.md": "r"])
        #expect(read(box.project + "/.qoder/skills/flat-one/SKILL.md") == skillText)

        // Hostile archives: nothing is installed, the entry is named.
        let traversal = try await ArchiveFixture.zip(dir, "evil.zip", [("../evil/SKILL.md", skillText)])
        var r = try await box.run(["skills", "install", traversal])
        #expect(r.status == 1)
        #expect(r.stderr.contains("entry '../evil/SKILL.md'"), "\(r.stderr)")
        let link = try await ArchiveFixture.make(dir, "link.zip", """
            with zipfile.ZipFile(out, 'w') as z:
                zip_add(z, 'sk/SKILL.md', \(ArchiveFixture.pythonString(skillText)).encode())
                zip_add(z, 'sk/passwd', b'/etc/passwd', mode=0o120777)
            """)
        r = try await box.run(["skills", "install", link])
        #expect(r.status == 1)
        #expect(r.stderr.contains("sk/passwd"), "\(r.stderr)")
        #expect(!exists(box.home + "/skills/sk"))
        #expect(!exists(box.home + "/skills/evil"))
        // An archive cannot be linked.
        r = try await box.run(["skills", "link", nested])
        #expect(r.status == 1)
        #expect(r.stderr.contains("skills link takes a folder"), "\(r.stderr)")
    }

    @Test func badSourcesAreRefusedAndNothingIsWritten() async throws {
        let box = try Sandbox()
        try box.sourcesDir.write("plain/README.md", "no skill here")
        var r = try await box.run(["skills", "install", box.sourcesDir.path + "/plain"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("No valid skills found in \(box.sourcesDir.path)/plain. Ensure a SKILL.md file exists with valid frontmatter."), "\(r.stderr)")

        // A malformed SKILL.md (the reference installs it anyway): file:line:col, and the good one beside it
        // is not installed either.
        _ = try skill(box, "two/good")
        try box.sourcesDir.write("two/bad/SKILL.md", "---\nname: [bad\ndescription: x\n---\nb\n")
        r = try await box.run(["skills", "install", box.sourcesDir.path + "/two"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(box.sourcesDir.path)/two/bad/SKILL.md:3:12: error: did not find expected ',' or ']'"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing was installed"), "\(r.stderr)")
        #expect(!exists(box.home + "/skills"))

        r = try await box.run(["skills", "install", box.sourcesDir.path + "/missing"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no such file or folder"), "\(r.stderr)")
        r = try await box.run(["skills", "install", "https://example.com/skill.zip", "--json"])
        #expect(r.status == 1)
        #expect(try parseJSON(r.stdout)["code"] as? String == "invalid_input")
        r = try await box.run(["skills", "install", box.sourcesDir.path + "/two/good", "-s", "local"])
        #expect(r.status == 64)
    }
}
