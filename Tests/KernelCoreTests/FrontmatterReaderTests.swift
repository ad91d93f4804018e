import Foundation
import Testing
@testable import KernelCore

/// Reads `text` as file "f.md" and returns the frontmatter and the diagnostics as `line:col: severity: message`.
func readFrontmatter(_ text: String) -> (Frontmatter?, [String]) {
    readFrontmatter(Array(text.utf8))
}

func readFrontmatter(_ bytes: [UInt8]) -> (Frontmatter?, [String]) {
    var diagnostics = Diagnostics()
    let fm = FrontmatterReader.read(bytes, file: "f.md", diagnostics: &diagnostics)
    return (fm, diagnostics.items.map(\.description))
}

@Suite struct FrontmatterReaderTests {
    @Test func fieldsBodyAndPositions() throws {
        let (fm, diags) = readFrontmatter("---\nname: demo\ndescription: \"Does things\"\ncount: 3\n---\n# Title\nbody\n")
        #expect(diags.isEmpty)
        let f = try #require(fm)
        #expect(f.hasFence)
        #expect(f.body == "# Title\nbody\n")
        #expect(f.bodyLine == 6)
        let fields = try #require(f.fields)
        let name = try #require(fields.member("name"))
        #expect(name.keyLine == 2 && name.keyColumn == 1)
        #expect(name.value.string == "demo" && name.value.line == 2 && name.value.column == 7)
        let description = try #require(fields["description"])
        #expect(description.string == "Does things" && description.line == 3 && description.column == 14)
        #expect(fields["count"]?.int == 3)
    }

    @Test func noFenceIsNotAnError() throws {
        let (fm, diags) = readFrontmatter("# Just Markdown\n---\n")
        #expect(diags.isEmpty)
        let f = try #require(fm)
        #expect(!f.hasFence && f.fields == nil)
        #expect(f.body == "# Just Markdown\n---\n" && f.bodyLine == 1)
    }

    @Test func unclosedFence() {
        let (fm, diags) = readFrontmatter("---\nname: x\ndescription: y\n")
        #expect(fm == nil)
        #expect(diags == ["f.md:1:1: error: frontmatter opened on line 1 is never closed: add a line holding only '---'"])
    }

    @Test func emptyFrontmatterIsAnEmptyObject() throws {
        let (fm, diags) = readFrontmatter("---\n---\nbody")
        #expect(diags.isEmpty)
        let f = try #require(fm)
        #expect(f.fields?.members?.isEmpty == true)
        #expect(f.body == "body" && f.bodyLine == 3)
    }

    @Test func closingFenceAtEndOfFileAndTrailingBlanks() throws {
        let (fm, diags) = readFrontmatter("---  \nname: x\n---  ")
        #expect(diags.isEmpty)
        let f = try #require(fm)
        #expect(f.fields?["name"]?.string == "x")
        #expect(f.body == "" && f.bodyLine == 4)
    }

    @Test func tabIndentation() {
        let (fm, diags) = readFrontmatter("---\nname: x\nmetadata:\n\tauthor: me\n---\n")
        #expect(fm == nil)
        #expect(diags == ["f.md:4:1: error: tab character used for indentation (YAML allows spaces only)"])
    }

    @Test func tabAfterSpacesInIndentation() {
        let (_, diags) = readFrontmatter("---\nmetadata:\n  a: 1\n  \tb: 2\n---\n")
        #expect(diags == ["f.md:4:3: error: tab character used for indentation (YAML allows spaces only)"])
    }

    @Test func duplicateKey() throws {
        let (fm, diags) = readFrontmatter("---\nname: a\ndescription: d\nname: b\n---\n")
        #expect(diags == ["f.md:4:1: error: duplicate key 'name' (first defined on line 2)"])
        // The document still reads; the last value wins, as with JSON.
        #expect(fm?.fields?["name"]?.string == "b")
    }

    @Test func billionLaughsFailsFast() {
        var yaml = "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            let refs = Array(repeating: "*\(previous)", count: 9).joined(separator: ",")
            yaml += "\(name): &\(name) [\(refs)]\n"
            previous = name
        }
        yaml += "---\n"
        // The expansion limit, not a timer, is what this checks: the message says the reader stopped counting at
        // 10,000 nodes instead of building the 9^9 the document asks for.
        let result = readFrontmatter(yaml)
        #expect(result.0 == nil)
        #expect(result.1.count == 1)
        #expect(result.1.first?.hasPrefix("f.md:6:") == true)
        #expect(result.1.first?.hasSuffix(
            "error: too many alias expansions (limit 10000 nodes): possible billion-laughs document") == true)
    }

    @Test func aliasesAreCopies() throws {
        let (fm, diags) = readFrontmatter("---\nbase: &b\n  x: 1\ncopy: *b\n---\n")
        #expect(diags.isEmpty)
        let copy = try #require(fm?.fields?["copy"])
        #expect(copy["x"]?.int == 1)
        #expect(copy.line == 4 && copy.column == 7)
    }

    @Test func deepNestingIsAnError() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let (fm, diags) = readFrontmatter("---\nx: \(deep)\n---\n")
        #expect(fm == nil)
        #expect(diags.count == 1 && diags[0].contains("error: YAML nested deeper than 64 levels"))
    }

    @Test func hugeScalarIsRejectedBySize() {
        var bytes = Array("---\ndescription: ".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 10 * 1024 * 1024)
        bytes += Array("\n---\nbody\n".utf8)
        // Refused by its size before libyaml sees a byte (the message gives the size found and the limit).
        let result = readFrontmatter(bytes)
        #expect(result.0 == nil)
        #expect(result.1 == ["f.md:2:1: error: frontmatter is 10485774 bytes; the limit is 65536"])
    }

    @Test func invalidUTF8() {
        var bytes = Array("---\nname: x\ndescription: caf".utf8)
        bytes += [0xC3, 0x28]  // bad continuation byte
        bytes += Array("\n---\n".utf8)
        let (fm, diags) = readFrontmatter(bytes)
        #expect(fm == nil)
        #expect(diags == ["f.md:3:17: error: frontmatter is not valid UTF-8 (byte 0xC3)"])
    }

    @Test func crlfLineEnds() throws {
        let (fm, diags) = readFrontmatter("---\r\nname: x\r\ndescription: >\r\n  folded\r\n  text\r\nbad: [\r\n---\r\nbody\r\n")
        #expect(fm == nil)
        #expect(diags.count == 1 && diags[0].hasPrefix("f.md:7:1: error: "))

        let (good, goodDiags) = readFrontmatter("---\r\nname: x\r\ndescription: >\r\n  folded\r\n  text\r\n---\r\nbody\r\n")
        #expect(goodDiags.isEmpty)
        let f = try #require(good)
        #expect(f.fields?["name"]?.string == "x")
        #expect(f.fields?["description"]?.string == "folded text\n")
        #expect(f.fields?["description"]?.line == 3)
        #expect(f.body == "body\r\n" && f.bodyLine == 7)
    }

    @Test func byteOrderMarkWarns() throws {
        let (fm, diags) = readFrontmatter([0xEF, 0xBB, 0xBF] + Array("---\nname: x\n---\n".utf8))
        #expect(diags == ["f.md:1:1: warning: file starts with a UTF-8 byte order mark; remove it"])
        #expect(fm?.fields?["name"]?.string == "x")
    }

    @Test func lenientRetryQuotesColonValues() throws {
        let text = "---\nname: helper\ndescription: Use when: the user asks for \"help\" \\ now\nmodel: sonnet\n---\n"
        let (fm, diags) = readFrontmatter(text)
        #expect(diags == [
            "f.md:3:14: warning: value of 'description' contains ': ' and is not valid YAML; it was read as a "
                + "quoted string — quote it: description: \"...\"",
        ])
        let f = try #require(fm)
        #expect(f.fields?["description"]?.string == "Use when: the user asks for \"help\" \\ now")
        #expect(f.fields?["description"]?.line == 3)
        #expect(f.fields?["model"]?.string == "sonnet")
    }

    @Test func lenientRetryFoldsContinuationLines() throws {
        let text = "---\ndescription: Use when: one\n  two\n\n  three\nname: x\n---\n"
        let (fm, diags) = readFrontmatter(text)
        #expect(diags.count == 1 && diags[0].hasPrefix("f.md:2:14: warning: value of 'description' contains ': '"))
        #expect(fm?.fields?["description"]?.string == "Use when: one two\nthree")
        #expect(fm?.fields?["name"]?.line == 6)
    }

    @Test func lenientRetryThatFailsReportsTheStrictError() {
        let text = "---\ndescription: a: b\nlist: [1, 2\n---\n"
        let (fm, diags) = readFrontmatter(text)
        #expect(fm == nil)
        #expect(diags == ["f.md:2:15: error: mapping values are not allowed in this context"])
    }

    @Test func lenientRetryCommentsAndIndicators() throws {
        let text = "---\nname: x # note\nargument-hint: @file\ndescription: a: b\nok: 'quoted: fine'\n---\n"
        let (fm, diags) = readFrontmatter(text)
        #expect(diags == [
            "f.md:2:7: warning: value of 'name' contains ' #', which YAML reads as the start of a comment; as the "
                + "frontmatter is not valid YAML, the whole value was read as a quoted string — quote it: name: \"...\"",
            "f.md:3:16: warning: value of 'argument-hint' starts with '@' and is not valid YAML; it was read as a "
                + "quoted string — quote it: argument-hint: \"...\"",
            "f.md:4:14: warning: value of 'description' contains ': ' and is not valid YAML; it was read as a "
                + "quoted string — quote it: description: \"...\"",
        ])
        let f = try #require(fm?.fields)
        #expect(f["name"]?.string == "x # note")
        #expect(f["argument-hint"]?.string == "@file")
        #expect(f["ok"]?.string == "quoted: fine")
    }

    @Test func validCommentsAreLeftAloneWhenStrictParsingWorks() throws {
        let (fm, diags) = readFrontmatter("---\nname: x # note\n---\n")
        #expect(diags.isEmpty)
        #expect(fm?.fields?["name"]?.string == "x")
    }

    @Test func unicodeLineSeparatorsDoNotShiftLines() throws {
        // libyaml breaks lines at U+2028 and NEL; the file does not.
        let (fm, diags) = readFrontmatter("---\na: x\u{2028} y \u{85} z\nb: [1, 2]\nc: 1\n---\n")
        #expect(diags.isEmpty)
        let b = try #require(fm?.fields?.member("b"))
        #expect(b.keyLine == 3 && b.keyColumn == 1 && b.value.column == 4)
        #expect(fm?.fields?.member("c")?.keyLine == 4)
        let (_, bad) = readFrontmatter("---\na: x\u{2028} y\nb: [\n---\n")
        #expect(bad.count == 1 && bad[0].hasPrefix("f.md:4:1: error: "))
    }

    @Test func core12Scalars() throws {
        let text = """
            ---
            a: yes
            b: on
            c: true
            d: FALSE
            e: ~
            f:
            g: 0x1F
            h: 1.10
            i: .inf
            j: "true"
            k: !!str 12
            l: 1.0.0
            m: 0o17
            n: -.5e3
            o: Null
            ---

            """
        let (fm, diags) = readFrontmatter(text)
        #expect(diags.isEmpty)
        let f = try #require(fm?.fields)
        #expect(f["a"]?.string == "yes")
        #expect(f["b"]?.string == "on")
        #expect(f["c"]?.bool == true)
        #expect(f["d"]?.bool == false)
        #expect(f["e"]?.isNull == true)
        #expect(f["f"]?.isNull == true)
        #expect(f["g"]?.kindDescription == "a number" && f["g"]?.text == "0x1F")
        #expect(f["h"]?.scalarText == "1.10")
        #expect(f["i"]?.kindDescription == "a number")
        #expect(f["j"]?.string == "true")
        #expect(f["k"]?.string == "12")
        #expect(f["l"]?.string == "1.0.0")
        #expect(f["m"]?.kindDescription == "a number")
        #expect(f["n"]?.kindDescription == "a number")
        #expect(f["o"]?.isNull == true)
    }

    @Test func rootMustBeAMapping() {
        let (fm, diags) = readFrontmatter("---\n- a\n- b\n---\n")
        #expect(fm == nil)
        #expect(diags == ["f.md:2:1: error: frontmatter must be a YAML mapping of 'key: value' lines, not an array"])
        let (_, scalar) = readFrontmatter("---\njust text\n---\n")
        #expect(scalar == ["f.md:2:1: error: frontmatter must be a YAML mapping of 'key: value' lines, not a string"])
    }

    @Test func columnsCountUnicodeScalars() throws {
        let (fm, _) = readFrontmatter("---\nmeta: {é😀: 1, b: ü}\n---\n")
        let member = try #require(fm?.fields?["meta"]?.members?.last)
        #expect(member.key == "b" && member.keyColumn == 15 && member.value.column == 18)
    }

    @Test func nonScalarKey() {
        let (_, diags) = readFrontmatter("---\n? [a, b]\n: c\nname: x\n---\n")
        #expect(diags == ["f.md:2:3: error: a mapping key must be a scalar, not an array"])
    }

    @Test func badExplicitTag() throws {
        let (fm, diags) = readFrontmatter("---\nn: !!int abc\n---\n")
        #expect(diags == ["f.md:2:4: error: 'abc' is not a valid !!int"])
        #expect(fm?.fields?["n"]?.string == "abc")
    }
}

/// The flat-mapping reader (`YAMLReader.parseFlatMapping`) gives libyaml's node to the byte, or declines.
@Suite struct FlatMappingTests {
    static func encoded(_ node: Node?) throws -> String {
        guard let node else { return "nil" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(node), as: UTF8.self)
    }

    /// Frontmatter texts in and around the subset: each is read by both, and the fast one must decline or agree.
    static let texts: [(text: String, flat: Bool)] = [
        ("name: demo\ndescription: Does things\n", true),
        ("name: skill-3\ndescription: Synthetic skill 3 of plugin 1. Use when benchmarking how fast listings are.\nlicense: MIT\n", true),
        ("description: Synthetic command 0\nargument-hint: \"[target]\"\n", true),
        ("name: agent-1-0\ndescription: Synthetic agent.\ntools: Read, Grep\n", true),
        ("a: 'single quoted'\nb: \"double\"\nc: 3\nd: 1.5\ne: true\nf: null\ng: ~\nh: yes\ni: -1x\n", false),
        ("a: 'single quoted'\nb: \"double\"\ne: true\nf: null\ng: ~\nh: yes\n", true),
        ("count: 3\nversion: 1.10\nflag: False\nnothing: NULL\nhex: 0x1F\noct: 0o17\nexp: 1e3\ninf: .inf\n", true),
        ("\nname: after-blank\n\ndescription: gap\n", true),
        ("model:   spaced\nx_y-z: ok\nT: t\n", true),
        ("name: a\nname: b\n", false),
        ("true: key\n", false), ("null: key\n", false), ("1: key\n", false),
        ("name:\n", false), ("name: \n", false), ("name: trailing \n", false), ("name:x\n", false),
        ("name: Use when: x\n", false), ("name: a # comment\n", false), ("# comment\nname: a\n", false),
        ("  name: indented\n", false), ("name: a\n  continued\n", false), ("name: a\r\n", false),
        ("name: \t tab\n", false), ("name: caf\u{E9}\n", false), ("name: [a, b]\n", false), ("name: {a: b}\n", false),
        ("name: - item\n", false), ("name: &anchor a\n", false), ("name: *alias\n", false), ("name: !tag a\n", false),
        ("name: |\n  block\n", false), ("name: >\n  folded\n", false), ("name: 'it''s'\n", false),
        ("name: \"esc\\n\"\n", false), ("name: \"unclosed\n", false), ("name: 'a' b\n", false), ("name: \"\"\n", true),
        ("name: ''\n", true), ("name: %x\n", false), ("name: @x\n", false), ("name: `x`\n", false),
        ("name: a, b, c\n", true), ("name: a - b ? c | d > e % f @ g ! h & i * j\n", true), ("name: back\\slash\n", true),
        ("name: it's \"quoted\" inside\n", true), ("---\nname: a\n", false), ("...\n", false), ("-name: a\n", false),
        ("name: a\n- b\n", false), ("key-with-dash_and_underscore9: v\n", true), ("name: a", true),
    ]

    @Test func flatReadingIsLibyamlsReading() throws {
        for (text, flat) in Self.texts {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { YAMLReader.parseFlatMapping($0, firstLine: 2) }
            #expect((fast != nil) == flat, "\(text.debugDescription): flat reading \(fast != nil ? "taken" : "declined")")
            guard let fast else { continue }
            let slow = try YAMLReader.parseWithLibyaml(bytes, firstLine: 2)
            #expect(slow.issues.isEmpty, "\(text.debugDescription)")
            let (a, b) = (try Self.encoded(fast), try Self.encoded(slow.root))
            #expect(a == b, "\(text.debugDescription): \(a) vs \(b)")
        }
    }

    /// Every fixture frontmatter of the repository: the result of `parse` is libyaml's.
    @Test func everyFixtureReadsAsLibyamlReadsIt() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var checked = 0
        var flat = 0
        for folder in ["Plugins", "Tests"] {
            guard let walk = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path) else { continue }
            for case let relative as String in walk where relative.hasSuffix(".md") {
                let bytes = Array((try? Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(relative))) ?? Data())
                guard bytes.starts(with: Array("---\n".utf8)), let close = String(decoding: bytes, as: UTF8.self).range(of: "\n---\n")
                else { continue }
                let text = String(decoding: bytes, as: UTF8.self)
                let yaml = Array(text[text.index(text.startIndex, offsetBy: 4)..<close.lowerBound].utf8) + [0x0A]
                checked += 1
                let fast = yaml.withUnsafeBufferPointer { YAMLReader.parseFlatMapping($0, firstLine: 2) }
                guard let fast else { continue }
                flat += 1
                let slow = try YAMLReader.parseWithLibyaml(yaml, firstLine: 2)
                let same = try Self.encoded(fast) == Self.encoded(slow.root)
                #expect(slow.issues.isEmpty && same, "\(relative)")
            }
        }
        #expect(checked > 5 && flat > 2, "\(checked) frontmatters, \(flat) flat")
    }
}
