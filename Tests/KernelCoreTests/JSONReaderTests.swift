import Testing
@testable import KernelCore

@Suite struct JSONReaderTests {
    /// Settings files may hold comments (the Qoder CLI reads and keeps them): with `comments`, `//` and `/* */`
    /// are whitespace and positions after them stay exact; without, they are the syntax error they always were.
    @Test func commentsWhenAsked() throws {
        let text = "// head\n{ /* a\n b */ \"a\": 1, // tail\n  \"b\": [2 /* in */, 3] }\n// end"
        let (root, _) = try JSONReader.parse(text, comments: true)
        let b = try #require(root.member("b"))
        #expect(root["a"]?.int == 1)
        #expect(b.keyLine == 4 && b.keyColumn == 3)
        #expect(b.value.array?.map(\.int) == [2, 3])
        let strict = try #require(throws: JSONReader.SyntaxError.self) { try JSONReader.parse(text) }
        #expect(strict.line == 1 && strict.column == 1)
        // A comment's characters inside a string are the string's.
        #expect(try JSONReader.parse(#"{"u": "http://x/*y*/"}"#, comments: true).root["u"]?.string == "http://x/*y*/")
        // An unterminated block comment is reported where it opens; a lone '/' and trailing commas stay errors.
        let open = try #require(throws: JSONReader.SyntaxError.self) {
            try JSONReader.parse("{\n  \"a\": 1 /* never\n closed\n", comments: true)
        }
        #expect(open.line == 2 && open.column == 10 && open.message.contains("unterminated comment"))
        #expect(throws: JSONReader.SyntaxError.self) { try JSONReader.parse("{\"a\": 1 / 2}", comments: true) }
        #expect(throws: JSONReader.SyntaxError.self) { try JSONReader.parse("{\"a\": 1,}", comments: true) }
    }

    @Test func positionsOfValuesAndKeys() throws {
        let text = "{\n  \"name\": \"x\",\n  \"list\": [1, true, null]\n}"
        let (root, dups) = try JSONReader.parse(text)
        #expect(dups.isEmpty)
        #expect(root.line == 1 && root.column == 1)
        let name = try #require(root.member("name"))
        #expect(name.keyLine == 2 && name.keyColumn == 3)
        #expect(name.value.string == "x" && name.value.column == 11)
        let list = try #require(root["list"]?.array)
        #expect(list.count == 3)
        #expect(list[1].bool == true && list[1].line == 3 && list[1].column == 15)
        #expect(list[2].isNull)
    }

    @Test func numbersKeepTheirText() throws {
        let (root, _) = try JSONReader.parse("[1.10, -0, 2e5, 10]")
        let items = try #require(root.array)
        #expect(items.map { $0.text } == ["1.10", "-0", "2e5", "10"])
        #expect(items[3].int == 10)
    }

    @Test func escapesAndUnicode() throws {
        let (root, _) = try JSONReader.parse(#"["a\"b\\\n\u00e9\ud83d\ude00", "é😀"]"#)
        let items = try #require(root.array)
        #expect(items[0].string == "a\"b\\\né😀")
        #expect(items[1].string == "é😀")
    }

    @Test func duplicateKeysAreReportedAndTheLastWins() throws {
        let (root, dups) = try JSONReader.parse("{\"a\": 1,\n \"a\": 2}")
        #expect(root["a"]?.int == 2)
        #expect(dups.count == 1)
        #expect(dups[0].key == "a" && dups[0].line == 2 && dups[0].column == 2 && dups[0].firstLine == 1)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "trailing comma in object", 1, 9),
        ("[1,]", "trailing comma in array", 1, 4),
        ("{\"a\" 1}", "unexpected character '1', expected ':' after key \"a\"", 1, 6),
        ("{\n  \"a\": tru\n}", "invalid literal, expected 'true'", 2, 8),
        ("{\"a\": \"x\n\"}", "unterminated string (a newline must be written \\n)", 1, 9),
        ("", "unexpected end of file, expected a value", 1, 1),
        ("{} x", "unexpected character 'x' after the end of the JSON value", 1, 4),
        ("[01]", "invalid number: leading zeros are not allowed", 1, 2),
        ("{'a': 1}", "unexpected character ''', expected a key in double quotes", 1, 2),
        ("\"\\q\"", "invalid escape sequence '\\q'", 1, 2),
    ])
    func syntaxErrors(input: String, message: String, line: Int, column: Int) {
        #expect {
            _ = try JSONReader.parse(input)
        } throws: { error in
            guard let e = error as? JSONReader.SyntaxError else { return false }
            return e.message == message && e.line == line && e.column == column
        }
    }

    @Test func invalidUTF8IsAnErrorWithItsPosition() {
        let bytes: [UInt8] = Array("{\n \"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect {
            _ = try JSONReader.parse(bytes)
        } throws: { error in
            guard let e = error as? JSONReader.SyntaxError else { return false }
            return e.message == "invalid UTF-8 sequence" && e.line == 2 && e.column == 8
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONReader.SyntaxError.self) { _ = try JSONReader.parse(deep) }
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let (root, _) = try JSONReader.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8))
        #expect(root["a"]?.int == 1)
        #expect(root.column == 1)
    }
}

@Suite struct JSONWriterTests {
    @Test func stringsRoundTripThroughTheReader() throws {
        let samples = ["plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{01}\u{1F}", "é😀 ünï", ""]
        for sample in samples {
            let text = JSONValue.string(sample).serialized()
            let (root, _) = try JSONReader.parse(text)
            #expect(root.string == sample)
        }
        #expect(JSONValue.string("a\"b\u{01}").serialized() == #""a\"b\u0001""#)
    }

    @Test func prettyObjectsKeepKeyOrderAndRawFragmentsSplice() {
        let inner = JSONValue.object([("z", 1), ("a", [true, nil])]).serialized(indent: 2)
        let outer = JSONValue.object([("k", .raw(inner)), ("e", .array([])), ("o", .object([]))])
        #expect(outer.serialized() == "{\n  \"k\": {\n    \"z\": 1,\n    \"a\": [\n      true,\n      null\n    ]\n  },\n  \"e\": [],\n  \"o\": {}\n}")
        #expect(outer.serialized(pretty: false) == #"{"k":{\#n    "z": 1,\#n    "a": [\#n      true,\#n      null\#n    ]\#n  },"e":[],"o":{}}"#)
    }
}
