import Foundation
import Glibc
import Testing
@testable import KernelCore

/// Issue 8: the hostile trees and inputs fuzzing and hand-testing found, each with its exact input. Defect 1
/// (the comma-first settings file) is in SettingsFileTests; 6's engine side and 7 are in KernelHooksTests.
@Suite struct HostileInputTests {
    func messages(_ bundle: PluginBundle, under root: String) -> [String] {
        bundle.diagnostics.map { d in
            var s = d.description
            if s.hasPrefix(root + "/") { s.removeFirst(root.count + 1) }
            return s
        }
    }

    // MARK: 2. Long lines

    /// A one-line plugin.json of 4 MB: every key's column was counted from the line start (quadratic; 1 MB did
    /// not finish in 45 s). Columns are now counted on from the last one.
    @Test func fourMegabyteOneLineManifest() throws {
        let t = try TempDirectory()
        var text = #"{"name": "long", "keywords": ["#
        let item = #""abcdefghijklmnopqrstuvwxyz0123456789é","#
        let count = (4 << 20) / item.utf8.count
        text.reserveCapacity(4 << 20 + 100)
        for _ in 0..<count { text += item }
        text += #""end"], "description": "x"}"#
        try t.write("p/.claude-plugin/plugin.json", text)
        try t.write("p/commands/a.md", "A.\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(bundle.name == "long")
        #expect(bundle.description == "x")

        // Columns stay right far along the line, in scalars (é is one), and in an error after it.
        let (root, _) = try JSONReader.parse(text)
        let description = try #require(root.member("description"))
        #expect(description.keyLine == 1)
        #expect(description.keyColumn == text.unicodeScalars.count - #""description": "x"}"#.count + 1)
        let broken = text.dropLast() + ","
        let error = try #require(throws: JSONReader.SyntaxError.self) { try JSONReader.parse(String(broken)) }
        #expect(error.line == 1 && error.column == text.unicodeScalars.count + 1)
    }

    @Test func columnsAfterNewlinesAndBackwardsQueries() throws {
        let (root, _) = try JSONReader.parse("{\"a\": 1,\n  \"é\": [true,\n false], \"b\": {\"c\": null}}")
        #expect(root.member("a")?.keyColumn == 2)
        #expect(root.member("é")?.keyColumn == 3 && root.member("é")?.keyLine == 2)
        #expect(root["é"]?.array?[1].column == 2 && root["é"]?.array?[1].line == 3)
        #expect(root.member("b")?.keyColumn == 10 && root["b"]?.column == 15)
        #expect(root["b"]?.member("c")?.keyColumn == 16)
    }

    // MARK: 3. FIFOs, devices, sockets

    /// `skills/x/SKILL.md` and `.claude-plugin/plugin.json` as FIFOs: opening one blocked forever.
    @Test func fifosAreLocatedErrors() throws {
        let t = try TempDirectory()
        try t.mkdir("p/.claude-plugin")
        try t.mkdir("p/skills/x")
        try t.mkdir("p/agents")
        #expect(mkfifo(t.url("p/.claude-plugin/plugin.json"), 0o644) == 0)
        #expect(mkfifo(t.url("p/skills/x/SKILL.md"), 0o644) == 0)
        #expect(mkfifo(t.url("p/agents/a.md"), 0o644) == 0)
        try t.write("p/commands/ok.md", "Fine.\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        let m = messages(bundle, under: t.path)
        #expect(m.contains("p/.claude-plugin/plugin.json: error: cannot read file: not a regular file: it is a FIFO (named pipe)"))
        #expect(m.contains("p/skills/x/SKILL.md: error: cannot read file: not a regular file: it is a FIFO (named pipe)"))
        #expect(m.contains("p/agents/a.md: error: cannot read file: not a regular file: it is a FIFO (named pipe)"))
        #expect(bundle.commands.map(\.name) == ["ok"])
        #expect(throws: FileSystem.ReadError.self) { try FileSystem.read("/dev/zero") }
        #expect(throws: FileSystem.ReadError.self) { try FileSystem.read(t.url("p/skills")) }
    }

    // MARK: 4. Symlink loops

    /// `commands/a -> .` plus `commands/b -> .` branched 2^40 ways: each folder is now read once.
    @Test func symlinkLoopsUnderCommands() throws {
        let t = try TempDirectory()
        try t.write("p/commands/x.md", "X.\n")
        #expect(symlink(".", t.url("p/commands/a")) == 0)
        #expect(symlink(".", t.url("p/commands/b")) == 0)
        try t.write("p/commands/sub/y.md", "Y.\n")
        #expect(symlink("..", t.url("p/commands/sub/up")) == 0)
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(bundle.commands.map(\.name) == ["sub:y", "x"])
        let m = messages(bundle, under: t.path)
        #expect(m.filter { $0.contains("leads to a folder already read") }.count == 3, "\(m)")
        #expect(m.contains("p/commands/a: warning: 'a' leads to a folder already read (a symbolic link loop or a second link to it); not followed"))
        #expect(bundle.diagnostics.allSatisfy { $0.severity != .error })
    }

    @Test func commandNestingIsBounded() throws {
        let t = try TempDirectory()
        let deep = (0..<20).map { "d\($0)" }.joined(separator: "/")
        try t.write("p/commands/" + deep + "/z.md", "Z.\n")
        try t.write("p/commands/d0/d1/top.md", "T.\n")
        let bundle = BundleLoader.load(at: t.url("p"))
        #expect(bundle.commands.map(\.name) == ["d0:d1:top"])
        #expect(messages(bundle, under: t.path).contains { $0.contains("nested more than 16 folders deep") })
    }

    // MARK: 5. Names with a newline or invalid UTF-8

    @Test func unusableNamesAreReportedNotDropped() throws {
        let t = try TempDirectory()
        try t.write("p/skills/a\nb/SKILL.md", "---\nname: ab\ndescription: D.\n---\n")
        try t.write("p/skills/fine/SKILL.md", "---\nname: fine\ndescription: D.\n---\n")
        try t.mkdir("p/commands")
        // `c<0xFF>.md`: not UTF-8, so not writable through a String path.
        var name = Array(t.url("p/commands/c").utf8)
        name += [0xFF] + Array(".md".utf8) + [0]
        let fd = name.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT, 0o644) }
        }
        #expect(fd >= 0)
        _ = write(fd, "C.\n", 3)
        close(fd)
        let bundle = BundleLoader.load(at: t.url("p"))
        let m = messages(bundle, under: t.path)
        #expect(m.contains("p/skills/a\\nb: error: the name 'a\\nb' holds a control character; it cannot be loaded (rename it)"), "\(m)")
        #expect(m.contains("p/commands/c\\xFF.md: error: the name 'c\\xFF.md' is not valid UTF-8; it cannot be loaded (rename it)"), "\(m)")
        #expect(!m.contains { $0.contains("No such file") })
        #expect(bundle.skills.map(\.name) == ["fine"])
        #expect(FileSystem.escapedName(Array("é\\\t".utf8) + [0xC3]) == "é\\\\\\t\\xC3")
    }

    // MARK: 6. Hook matchers (the parser's side: the same engine compiles them)

    @Test func catastrophicMatcherIsAcceptedWithAWarningAndMatchesInLinearTime() throws {
        var d = Diagnostics()
        let json = #"{"hooks": {"PreToolUse": [{"matcher": "(a+)+$", "hooks": [{"type": "command", "command": "true"}]}]}}"#
        _ = HooksParser.parseHooksFile(Array(json.utf8), file: "hooks.json", diagnostics: &d)
        #expect(d.items.map(\.description) == [
            "hooks.json:1:39: warning: matcher '(a+)+$' nests quantifiers (a repeated group holding a repetition): "
                + "hosts with a backtracking regex engine can take exponential time on it",
        ])
        let r = try MatcherRegex("(a+)+$")
        #expect(!r.search(String(repeating: "a", count: 100) + "!"))
        #expect(r.search(String(repeating: "a", count: 100)))
        #expect(!r.search(String(repeating: "a", count: 100_000) + "!"))
    }

    @Test("regex semantics (JavaScript's, unanchored search)", arguments: [
        ("mcp__.*", "mcp__srv__tool", true), ("mcp__.*", "Bash", false), ("^(Read|Grep)$", "Grep", true),
        ("^(Read|Grep)$", "Grepper", false), ("Edit|Write", "MultiEdit", true), ("^Edit$|^Write$", "MultiEdit", false),
        ("a.c", "a\nc", false), ("a.c", "abc", true), ("[a-c]+x", "zzbcax", true), ("[^a-c]x", "ax", false),
        ("[^a-c]x", "dx", true), ("\\d{3}", "ab12c", false), ("\\d{3}", "a123", true), ("^\\w+$", "mcp_x1", true),
        ("^\\w+$", "mcp-x", false), ("\\s", "a b", true), ("\\S+", "   ", false), ("^a{2,3}$", "aaaa", false),
        ("^a{2,3}$", "aaa", true), ("^a{2,}$", "aaaaaa", true), ("^a{2,}$", "a", false), ("^(?:ab)+?$", "abab", true),
        ("x*", "", true), ("^$", "", true), ("^$", "a", false), ("\\bRead\\b", "ReadFile", false),
        ("\\bRead\\b", "mcp Read", true), ("\\BR", "xR", true), ("a\\.b", "axb", false), ("a\\.b", "a.b", true),
        ("[\\d.]+", "v1.2", true), ("[\\]]", "]", true), ("a{x", "a{x", true), ("\\u00e9", "é", true),
        ("\\x41", "A", true), ("[-a]", "-", true), ("(a|b)*c", "ababx", false), ("(a|)*c", "c", true),
        ("((a*)*)*b", String(repeating: "a", count: 50), false), ("(?:Bash|Read)\\(", "Bash(ls)", true),
    ])
    func regexSemantics(pattern: String, value: String, matches: Bool) throws {
        #expect(try MatcherRegex(pattern).search(value) == matches)
    }

    @Test("patterns the engine refuses", arguments: [
        ("mcp__(foo", "expected ')'"), ("a)", "unmatched ')' at offset 1"), ("*a", "nothing to repeat at offset 0"),
        ("a**", "nothing to repeat at offset 2"), ("(?=x)", "unsupported group '(?' at offset 0: only '(?:' groups are supported (no lookaround or named groups)"),
        ("(a)\\1", "back-references ('\\1') are not supported at offset 3"), ("[a", "missing ']' for the class at offset 0"),
        ("[z-a]", "range out of order in class at offset 2"), ("a{3,1}", "numbers out of order in {} quantifier at offset 1"),
        ("\\q", "unknown escape '\\q' at offset 0"), ("a\\", "'\\' at the end of the pattern"),
        ("(x{1000}){1000}", "the pattern is too large once its counted repetitions are expanded (more than 10000 steps)"),
    ])
    func refusedPatterns(pattern: String, message: String) {
        #expect(throws: MatcherRegex.SyntaxError.self) { try MatcherRegex(pattern) }
        do { _ = try MatcherRegex(pattern) } catch { #expect(error.message == message) }
    }

    @Test func nestedQuantifierDetection() throws {
        #expect(try MatcherRegex("(a+)+").hasNestedQuantifiers)
        #expect(try MatcherRegex("(a*)*b").hasNestedQuantifiers)
        #expect(try MatcherRegex("(x+y){2,}").hasNestedQuantifiers)
        #expect(try !MatcherRegex("(ab)+c*").hasNestedQuantifiers)
        #expect(try !MatcherRegex("(a+)?").hasNestedQuantifiers)
        #expect(try !MatcherRegex("mcp__.*").hasNestedQuantifiers)
    }
}
