import Testing
@testable import KernelCore

@Suite struct JSONReaderOffsetTests {
    @Test func valuesAndKeysCarryByteOffsets() throws {
        let text = "\u{FEFF}{\n  \"é\": \"x\",\r\n  \"list\": [1, {\"a\": null}]\n}"
        let bytes = Array(text.utf8)
        let (root, _) = try JSONReader.parse(bytes)
        func slice(_ r: Range<Int>?) -> String { String(decoding: bytes[r!], as: UTF8.self) }
        #expect(root.byteRange == 3..<bytes.count)
        let members = try #require(root.members)
        #expect(slice(members[0].keyByteOffset.map { $0..<($0 + 4) }) == "\"é\"")
        #expect(slice(members[0].value.byteRange) == "\"x\"")
        #expect(slice(members[1].value.byteRange) == "[1, {\"a\": null}]")
        let list = try #require(members[1].value.array)
        #expect(slice(list[0].byteRange) == "1")
        #expect(slice(list[1].byteRange) == "{\"a\": null}")
        #expect(slice(list[1]["a"]?.byteRange) == "null")
    }

    @Test func nodesBuiltByHandHaveNoOffsets() {
        let node = Node(.string("x"), line: 1, column: 1)
        #expect(node.byteRange == nil)
        let member = Node.Member(key: "k", keyLine: 1, keyColumn: 1, value: node)
        #expect(member.keyByteOffset == nil)
    }
}
