// libFuzzer target: the frontmatter/YAML reader and the parsers of the Markdown components built on it.
// Invariant: no crash, no memory error; a reported problem is a diagnostic, never a trap.
import FuzzSupport
@testable import KernelCore

fuzz { bytes in
    var d = Diagnostics()
    _ = FrontmatterReader.read(bytes, file: "f.md", diagnostics: &d)
    _ = SkillParser.parse(bytes, file: "s/SKILL.md", folderName: "s", diagnostics: &d)
    _ = AgentParser.parse(bytes, file: "a.md", fromPlugin: true, diagnostics: &d)
    _ = CommandParser.parse(bytes, file: "c.md", name: "c", isSkillFolder: false, diagnostics: &d)
    _ = OutputStyleParser.parse(bytes, file: "o.md", defaultName: "o", diagnostics: &d)
    for item in d.items where item.location.file.isEmpty { fatalError("a diagnostic without a file: \(item)") }
}
