// libFuzzer target: the frontmatter/YAML reader and the parsers of the Markdown components built on it.
// Invariant: no crash, no memory error; a reported problem is a diagnostic, never a trap.
import Glibc
@testable import KernelCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzFrontmatter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var d = Diagnostics()
    _ = FrontmatterReader.read(bytes, file: "f.md", diagnostics: &d)
    _ = SkillParser.parse(bytes, file: "s/SKILL.md", folderName: "s", diagnostics: &d)
    _ = AgentParser.parse(bytes, file: "a.md", fromPlugin: true, diagnostics: &d)
    _ = CommandParser.parse(bytes, file: "c.md", name: "c", isSkillFolder: false, diagnostics: &d)
    _ = OutputStyleParser.parse(bytes, file: "o.md", defaultName: "o", diagnostics: &d)
    for item in d.items where item.location.file.isEmpty { fatalError("a diagnostic without a file: \(item)") }
    return 0
}

// SwiftPM renames an executable's entry point (`main` becomes an alias of `<Target>_main`), so libFuzzer's own
// `main` is not used: top-level code hands the arguments to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv, fuzzFrontmatter))
