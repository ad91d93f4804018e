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

    /// The word-at-a-time scan escapes exactly what a byte-by-byte escaper does: every byte that needs escaping
    /// (each control character, `"`, `\`) at every offset of strings of every length up to past two words, among
    /// bytes next to the word tests' edges (0x1F/0x20/0x21/0x23/0x5B/0x5D/0x7F/0x80, multi-byte UTF-8).
    @Test func escapingAgreesWithAByteByByteEscaper() {
        func reference(_ s: String) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for b in s.utf8 {
                switch b {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, UInt8(ascii: "n")]
                case 0x0D: out += [0x5C, UInt8(ascii: "r")]
                case 0x09: out += [0x5C, UInt8(ascii: "t")]
                case 0x08: out += [0x5C, UInt8(ascii: "b")]
                case 0x0C: out += [0x5C, UInt8(ascii: "f")]
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                default: out.append(b)
                }
            }
            return out + [0x22]
        }
        let fillers = ["a", " ", "!", "#", "[", "]", "\u{7F}", "é", "😀"]
        let specials: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\"]
        var checked = 0
        for length in 0...19 {
            for filler in fillers {
                let plain = String(repeating: filler, count: length)
                var out: [UInt8] = []
                JSONValue.writeString(plain, into: &out)
                #expect(out == reference(plain))
                for special in specials {
                    for position in 0..<max(length, 1) {
                        var scalars = Array(repeating: filler, count: max(length, 1))
                        scalars[position] = special
                        let s = scalars.joined()
                        var out: [UInt8] = []
                        JSONValue.writeString(s, into: &out)
                        #expect(out == reference(s), "\(Array(s.utf8))")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 3000)
    }

    @Test func prettyObjectsKeepKeyOrderAndRawFragmentsSplice() {
        let inner = JSONValue.object([("z", 1), ("a", [true, nil])]).serialized(indent: 2)
        let outer = JSONValue.object([("k", .raw(inner)), ("e", .array([])), ("o", .object([]))])
        #expect(outer.serialized() == "{\n  \"k\": {\n    \"z\": 1,\n    \"a\": [\n      true,\n      null\n    ]\n  },\n  \"e\": [],\n  \"o\": {}\n}")
        #expect(outer.serialized(pretty: false) == #"{"k":{\#n    "z": 1,\#n    "a": [\#n      true,\#n      null\#n    ]\#n  },"e":[],"o":{}}"#)
    }
}

@Suite struct JSONStreamTests {
    private func replay(_ v: JSONValue, into out: inout JSONStream) {
        switch v {
        case .object(let members):
            out.beginObject()
            for (k, m) in members { out.key(k); replay(m, into: &out) }
            out.endObject()
        case .array(let items):
            out.beginArray()
            for i in items { replay(i, into: &out) }
            out.endArray()
        case .string(let s): out.string(s)
        case .int(let i): out.int(i)
        case .bool(let b): out.bool(b)
        case .null: out.null()
        default: out.value(v)
        }
    }

    @Test func writesTheLayoutOfSerializedBytes() {
        let values: [JSONValue] = [
            .object([]), .array([]), "x\"\n\u{7}", 42, .null, true,
            .object([("a", .array([])), ("b", .object([])), ("c", .array([1, "two", .null, .object([("d", .double(1.5))])])),
                     ("e", .object([("f", .array([.array([]), .array([.object([])])]))])), ("g", false)]),
            .array([.object([("k", "v")]), .array([1, 2]), .raw("{\"r\": 1}")]),
        ]
        for v in values {
            var out = JSONStream()
            replay(v, into: &out)
            #expect(out.bytes == v.serializedBytes(), "\(v.serialized(pretty: false))")
            var nested = JSONStream()
            nested.beginObject()
            nested.key("v")
            nested.value(v)
            nested.endObject()
            #expect(nested.bytes == JSONValue.object([("v", v)]).serializedBytes())
        }
    }
}
