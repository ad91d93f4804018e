import Foundation
import Testing
@testable import KernelCore

@Suite struct SettingsFileTests {
    /// Writes `original`, applies one edit, returns the file's text.
    private func edit(_ original: String, _ keyPath: [String], _ value: JSONValue?) throws -> String {
        let tmp = try TempDirectory()
        let path = try tmp.write(".qoder/settings.json", original)
        try SettingsFile.update(path, keyPath: keyPath, value: value)
        return try tmp.read(".qoder/settings.json")
    }

    private let ordered = """
        {
          "zeta": 1,
          "enabledPlugins": {
            "b@local": false,
            "a@local": true
          },
          "custom": {"nested": [1, 2.50, "\\u00e9"]},
          "alpha": "x"
        }

        """

    // MARK: Preview

    @Test func previewGivesTheTextUpdateWouldWriteAndWritesNothing() throws {
        let tmp = try TempDirectory()
        let path = try tmp.write(".qoder/settings.json", ordered)
        let edits: (Node) throws -> [SettingsFile.Edit] = { _ in [(keyPath: ["alpha"], value: "y")] }
        let preview = try #require(try SettingsFile.preview(path, edits))
        #expect(preview.before == ordered)
        #expect(try tmp.read(".qoder/settings.json") == ordered)
        try SettingsFile.update(path, edits)
        #expect(preview.after == (try tmp.read(".qoder/settings.json")))
        // Nothing to change: nil; a missing file: before is nil.
        #expect(try SettingsFile.preview(path, edits) == nil)
        let missing = try #require(try SettingsFile.preview(tmp.path + "/new.json") { _ in [(keyPath: ["a"], value: 1)] })
        #expect(missing.before == nil && missing.after == "{\n  \"a\": 1\n}\n")
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/new.json"))
    }

    // MARK: Set, replace, remove

    @Test func replaceKeepsEverythingElse() throws {
        let out = try edit(ordered, ["enabledPlugins", "a@local"], false)
        #expect(out == ordered.replacingOccurrences(of: "\"a@local\": true", with: "\"a@local\": false"))
    }

    @Test func insertGoesAfterTheLastSibling() throws {
        let out = try edit(ordered, ["enabledPlugins", "c@local"], true)
        #expect(out == """
            {
              "zeta": 1,
              "enabledPlugins": {
                "b@local": false,
                "a@local": true,
                "c@local": true
              },
              "custom": {"nested": [1, 2.50, "\\u00e9"]},
              "alpha": "x"
            }

            """)
    }

    @Test func removeTheLastMemberTakesItsComma() throws {
        let out = try edit(ordered, ["enabledPlugins", "a@local"], nil)
        #expect(out == ordered.replacingOccurrences(of: "false,\n    \"a@local\": true", with: "false"))
    }

    @Test func removeTheFirstMemberTakesItsComma() throws {
        let out = try edit(ordered, ["enabledPlugins", "b@local"], nil)
        #expect(out == ordered.replacingOccurrences(of: "\"b@local\": false,\n    ", with: ""))
    }

    @Test func removeAMiddleMember() throws {
        let out = try edit(ordered, ["custom"], nil)
        #expect(out == ordered.replacingOccurrences(of: "\n  \"custom\": {\"nested\": [1, 2.50, \"\\u00e9\"]},", with: ""))
    }

    @Test func removingTheOnlyMemberLeavesAnEmptyObject() throws {
        let original = "{\n  \"enabledPlugins\": {\n    \"a@local\": true\n  },\n  \"x\": 1\n}\n"
        #expect(try edit(original, ["enabledPlugins", "a@local"], nil) == "{\n  \"enabledPlugins\": {},\n  \"x\": 1\n}\n")
        #expect(try edit("{\n  \"x\": 1\n}\n", ["x"], nil) == "{}\n")
    }

    @Test func duplicateKeysAreAllRemovedAndTheLastIsReplaced() throws {
        let original = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}"
        #expect(try edit(original, ["a"], nil) == "{\n  \"b\": 2\n}")
        #expect(try edit(original, ["a"], 4) == "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 4\n}")
    }

    // MARK: Layouts

    @Test func fourSpacesAndAMissingObject() throws {
        let original = "{\n    \"model\": \"x\",\n    \"hooks\": {}\n}\n"
        let out = try edit(original, ["enabledPlugins", "a@local"], true)
        #expect(out == """
            {
                "model": "x",
                "hooks": {},
                "enabledPlugins": {
                    "a@local": true
                }
            }

            """)
    }

    @Test func tabsAndCRLF() throws {
        let original = "{\r\n\t\"enabledPlugins\": {\r\n\t\t\"x@m\": true\r\n\t},\r\n\t\"other\": [\r\n\t\t1\r\n\t]\r\n}\r\n"
        #expect(try edit(original, ["enabledPlugins", "a@local"], true)
            == "{\r\n\t\"enabledPlugins\": {\r\n\t\t\"x@m\": true,\r\n\t\t\"a@local\": true\r\n\t},\r\n\t\"other\": [\r\n\t\t1\r\n\t]\r\n}\r\n")
        #expect(try edit(original, ["enabledPlugins", "x@m"], nil)
            == "{\r\n\t\"enabledPlugins\": {},\r\n\t\"other\": [\r\n\t\t1\r\n\t]\r\n}\r\n")
        let source: JSONValue = .object([("source", .object([("source", "github"), ("repo", "o/r")])), ("tags", ["a", "b"])])
        #expect(try edit(original, ["extraKnownMarketplaces", "team"], source)
            == "{\r\n\t\"enabledPlugins\": {\r\n\t\t\"x@m\": true\r\n\t},\r\n\t\"other\": [\r\n\t\t1\r\n\t],\r\n"
            + "\t\"extraKnownMarketplaces\": {\r\n\t\t\"team\": {\r\n\t\t\t\"source\": {\r\n\t\t\t\t\"source\": \"github\",\r\n"
            + "\t\t\t\t\"repo\": \"o/r\"\r\n\t\t\t},\r\n\t\t\t\"tags\": [\r\n\t\t\t\t\"a\",\r\n\t\t\t\t\"b\"\r\n\t\t\t]\r\n\t\t}\r\n\t}\r\n}\r\n")
    }

    @Test func replacingWithAnObjectReindentsIt() throws {
        let original = "{\n  \"enabledPlugins\": {\n    \"a@local\": true\n  }\n}\n"
        #expect(try edit(original, ["enabledPlugins", "a@local"], .object([("k", "v\n\"q\"")]))
            == "{\n  \"enabledPlugins\": {\n    \"a@local\": {\n      \"k\": \"v\\n\\\"q\\\"\"\n    }\n  }\n}\n")
    }

    @Test func insertIntoEmptyObjects() throws {
        #expect(try edit("{\n  \"enabledPlugins\": {}\n}\n", ["enabledPlugins", "a@local"], true)
            == "{\n  \"enabledPlugins\": {\n    \"a@local\": true\n  }\n}\n")
        #expect(try edit("{\n    \"enabledPlugins\": { }\n}", ["enabledPlugins", "a@local"], true)
            == "{\n    \"enabledPlugins\": {\n        \"a@local\": true\n    }\n}")
        #expect(try edit("{}", ["enabledPlugins", "a@local"], true)
            == "{\n  \"enabledPlugins\": {\n    \"a@local\": true\n  }\n}")
        #expect(try edit("{}\n", ["x"], 1) == "{\n  \"x\": 1\n}\n")
    }

    @Test func oneLineObjectsStayOnOneLine() throws {
        let original = "{\"enabledPlugins\": {\"a@local\": true}, \"x\": 1}\n"
        #expect(try edit(original, ["enabledPlugins", "b@local"], false)
            == "{\"enabledPlugins\": {\"a@local\": true, \"b@local\": false}, \"x\": 1}\n")
        #expect(try edit(original, ["enabledPlugins", "a@local"], nil) == "{\"enabledPlugins\": {}, \"x\": 1}\n")
        #expect(try edit(original, ["x"], nil) == "{\"enabledPlugins\": {\"a@local\": true}}\n")
        #expect(try edit(original, ["enabledPlugins", "a@local"], ["p", "q"])
            == "{\"enabledPlugins\": {\"a@local\": [\"p\",\"q\"]}, \"x\": 1}\n")
        #expect(try edit("{\"a\":{}}", ["a", "b"], true) == "{\"a\":{\"b\":true}}")
    }

    /// Issue 8, defect 1: a comma-first file became unparseable (the nested object's lines started with `, `).
    @Test func commaFirstLayoutStaysJSON() throws {
        let original = "{ \"theme\": \"dark\"\n, \"model\": \"opus\"\n}\n"
        let once = try edit(original, ["enabledPlugins", "x@local"], true)
        #expect(once == "{ \"theme\": \"dark\"\n, \"model\": \"opus\"\n, \"enabledPlugins\": {\n  \"x@local\": true\n}\n}\n")
        let tmp = try TempDirectory()
        let path = try tmp.write("settings.json", once)
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "y@local"], value: true)
        try SettingsFile.update(path, keyPath: ["model"], value: "sonnet")
        #expect(try tmp.read("settings.json")
            == "{ \"theme\": \"dark\"\n, \"model\": \"sonnet\"\n, \"enabledPlugins\": {\n  \"x@local\": true,\n  \"y@local\": true\n}\n}\n")
        #expect(try SettingsFile.read(path)["enabledPlugins"]?["y@local"]?.bool == true)
    }

    /// The Qoder CLI keeps `//` and `/* */` comments in its settings files; Kernel reads such a file and edits
    /// it without losing a comment or copying one into the text it inserts.
    @Test func commentsAreReadAndKept() throws {
        let original = """
            {
              // my theme
              "theme": "dark", /* block */
              "model": "opus", // the model
              "enabledPlugins": { // none yet
              }
            }

            """
        let tmp = try TempDirectory()
        let path = try tmp.write(".qoder/settings.json", original)
        #expect(try SettingsFile.read(path)["model"]?.string == "opus")
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "x@local"], value: true)
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "y@local"], value: false)
        try SettingsFile.update(path, keyPath: ["extraKnownMarketplaces", "k"], value: .object([("source", "s")]))
        #expect(try tmp.read(".qoder/settings.json") == """
            {
              // my theme
              "theme": "dark", /* block */
              "model": "opus", // the model
              "enabledPlugins": {
                "x@local": true,
                "y@local": false // none yet
              },
              "extraKnownMarketplaces": {
                "k": {
                  "source": "s"
                }
              }
            }

            """)
        try SettingsFile.update(path, keyPath: ["theme"], value: nil)
        let text = try tmp.read(".qoder/settings.json")
        #expect(text.contains("// my theme") && text.contains("// the model") && !text.contains("\"theme\""))
        // A comment in the gap or after the colon is never copied as the separator or the `: ` spacing.
        #expect(try edit("{\"a\":1, /*c*/ \"b\":2}", ["n"], true) == "{\"a\":1, /*c*/ \"b\":2, \"n\":true}")
        #expect(try edit("{\"a\": /*c*/ 1}", ["n"], 2) == "{\"a\": /*c*/ 1, \"n\": 2}")
        // An unterminated comment is a syntax error where it opens, and nothing is written.
        let bad = try tmp.write("bad.json", "{\n  \"a\": 1 /* open\n}\n")
        let error = try #require(throws: SettingsError.self) { try SettingsFile.update(bad, keyPath: ["b"], value: 1) }
        #expect(error.code == .syntax && error.line == 2 && error.column == 10)
        #expect(try tmp.read("bad.json") == "{\n  \"a\": 1 /* open\n}\n")
    }

    /// The check every edit passes before it is written: what the faulty comma-first edit produced, a
    /// sibling changed, and a value that does not read back are each refused.
    @Test func verificationRefusesABadEdit() throws {
        let before = Array("{ \"theme\": \"dark\"\n, \"model\": \"opus\"\n}\n".utf8)
        let root = try JSONReader.parse(before).root
        func check(_ after: String, _ value: JSONValue? = true) -> String? {
            do {
                try SettingsText.verify(before: before, root: root, after: Array(after.utf8),
                                        keyPath: ["enabledPlugins", "x@local"], value: value)
                return nil
            } catch {
                if case .unverified(let reason) = error { return reason }
                return "\(error)"
            }
        }
        let buggy = "{ \"theme\": \"dark\"\n, \"model\": \"opus\"\n, \"enabledPlugins\": {\n,   \"x@local\": true\n, }\n}\n"
        #expect(check(buggy)?.contains("does not parse") == true)
        #expect(check("{ \"theme\": \"light\"\n, \"model\": \"opus\", \"enabledPlugins\": {\"x@local\": true}\n}\n")?
            .contains("beside 'enabledPlugins'") == true)
        #expect(check("{ \"theme\": \"dark\"\n, \"model\": \"opus\", \"enabledPlugins\": {\"x@local\": false}\n}\n")?
            .contains("does not read back") == true)
        #expect(check("{ \"theme\": \"dark\"\n, \"model\": \"opus\", \"enabledPlugins\": {\"x@local\": true}\n}") != nil)
        #expect(check("{ \"theme\": \"dark\"\n, \"model\": \"opus\", \"enabledPlugins\": {\"x@local\": true}\n}\n") == nil)
    }

    @Test func byteOrderMarkIsKept() throws {
        let original = "\u{FEFF}{\n  \"a\": 1\n}\n"
        #expect(try edit(original, ["b"], 2) == "\u{FEFF}{\n  \"a\": 1,\n  \"b\": 2\n}\n")
    }

    // MARK: Files

    @Test func missingFileIsCreatedAsPrettyJSON() throws {
        let tmp = try TempDirectory()
        let path = tmp.url("proj/.qoder/settings.local.json")
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "a@local"], value: true)
        #expect(try tmp.read("proj/.qoder/settings.local.json") == "{\n  \"enabledPlugins\": {\n    \"a@local\": true\n  }\n}\n")
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
    }

    @Test func nothingIsWrittenWhenNothingChanges() throws {
        let tmp = try TempDirectory()
        let missing = tmp.url("a/settings.json")
        try SettingsFile.update(missing, keyPath: ["enabledPlugins", "x"], value: nil)
        #expect(!FileManager.default.fileExists(atPath: missing))

        let path = try tmp.write("settings.json", "{\"enabledPlugins\": {\"x\": true}}")
        try setOldMTime(path)
        let before = try mtime(path)
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "y"], value: nil)
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "x"], value: true)
        try SettingsFile.update(path) { _ in [] }
        #expect(try mtime(path) == before)
    }

    @Test func unparseableFileIsNeverWritten() throws {
        let tmp = try TempDirectory()
        let original = "{\n  \"enabledPlugins\": {\n    \"a@local\": true,\n  }\n}\n"
        let path = try tmp.write("settings.json", original)
        try setOldMTime(path)
        let before = try mtime(path)
        let error = try #require(throws: SettingsError.self) {
            try SettingsFile.update(path, keyPath: ["enabledPlugins", "b@local"], value: true)
        }
        #expect(error.code == .syntax)
        #expect(error.line == 4 && error.column == 3)
        #expect(error.description.hasPrefix(path + ":4:3: "))
        #expect(try tmp.read("settings.json") == original)
        #expect(try mtime(path) == before)
        #expect(throws: SettingsError.self) { try SettingsFile.read(path) }
    }

    @Test func nonObjectsOnThePathAreRefused() throws {
        let tmp = try TempDirectory()
        let original = "{\n  \"enabledPlugins\": true\n}\n"
        let path = try tmp.write("settings.json", original)
        let error = try #require(throws: SettingsError.self) {
            try SettingsFile.update(path, keyPath: ["enabledPlugins", "a@local"], value: true)
        }
        #expect(error.code == .notAnObject && error.line == 2 && error.column == 21)
        try SettingsFile.update(path, keyPath: ["enabledPlugins", "a@local"], value: nil)
        #expect(try tmp.read("settings.json") == original)

        let array = try tmp.write("array.json", "[]")
        #expect(throws: SettingsError.self) { try SettingsFile.update(array, keyPath: ["a"], value: 1) }
        #expect(throws: SettingsError.self) { try SettingsFile.update(array, keyPath: [], value: 1) }
    }

    @Test func symlinkIsKeptAndItsTargetUpdated() throws {
        let tmp = try TempDirectory()
        try tmp.write("dotfiles/qoder-settings.json", "{\n  \"a\": 1\n}\n")
        try tmp.mkdir("home/.qoder")
        let link = tmp.url("home/.qoder/settings.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../../dotfiles/qoder-settings.json")
        try SettingsFile.update(link, keyPath: ["b"], value: 2)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../dotfiles/qoder-settings.json")
        #expect(try tmp.read("dotfiles/qoder-settings.json") == "{\n  \"a\": 1,\n  \"b\": 2\n}\n")
        #expect(try SettingsFile.read(link)["b"]?.int == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.url("home/.qoder"))
        #expect(leftovers == ["settings.json"])
    }

    @Test func fileModeIsPreserved() throws {
        let tmp = try TempDirectory()
        let path = try tmp.write("settings.json", "{}\n")
        #expect(chmod(path, 0o640) == 0)
        try SettingsFile.update(path, keyPath: ["a"], value: true)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o640)
        #expect(try tmp.read("settings.json") == "{\n  \"a\": true\n}\n")
    }

    @Test func readMissingAndEmptyFiles() throws {
        let tmp = try TempDirectory()
        #expect(try SettingsFile.read(tmp.url("none.json")).members?.isEmpty == true)
        let empty = try tmp.write("empty.json", " \n")
        #expect(try SettingsFile.read(empty).members?.isEmpty == true)
        try SettingsFile.update(empty, keyPath: ["a"], value: "b")
        #expect(try tmp.read("empty.json") == "{\n  \"a\": \"b\"\n}\n")
    }

    @Test func closureEditsSeeTheCurrentDocument() throws {
        let tmp = try TempDirectory()
        let original = "{\n  \"enabledPlugins\": {\n    \"a@local\": true,\n    \"b@m\": false,\n    \"c@m\": true\n  },\n  \"k\": 0\n}\n"
        let path = try tmp.write("settings.json", original)
        // "disable --all"
        try SettingsFile.update(path) { doc in
            (doc["enabledPlugins"]?.members ?? []).filter { $0.value.bool == true }
                .map { (keyPath: ["enabledPlugins", $0.key], value: false) }
        }
        #expect(try tmp.read("settings.json")
            == "{\n  \"enabledPlugins\": {\n    \"a@local\": false,\n    \"b@m\": false,\n    \"c@m\": false\n  },\n  \"k\": 0\n}\n")

        struct Stop: Error {}
        let before = try tmp.read("settings.json")
        #expect(throws: Stop.self) { try SettingsFile.update(path) { _ in throw Stop() } }
        #expect(try tmp.read("settings.json") == before)
    }

    @Test func concurrentWritersLoseNothing() throws {
        let tmp = try TempDirectory()
        let path = try tmp.write(".qoder/settings.json", "{\n  \"enabledPlugins\": {}\n}\n")
        let failures = Failures()
        let done = DispatchGroup()
        for i in 0..<20 {
            done.enter()
            // Real threads, each with its own lock descriptor: flock contends per open file description.
            Thread.detachNewThread {
                do {
                    try SettingsFile.update(path, keyPath: ["enabledPlugins", "p\(i)@local"], value: .bool(i % 2 == 0))
                } catch {
                    failures.add("\(error)")
                }
                done.leave()
            }
        }
        done.wait()
        #expect(failures.items.isEmpty)
        let plugins = try #require(SettingsFile.read(path)["enabledPlugins"]?.members)
        #expect(plugins.count == 20)
        for i in 0..<20 {
            #expect(plugins.first { $0.key == "p\(i)@local" }?.value.bool == (i % 2 == 0))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url(".qoder")) == ["settings.json"])
    }

    // MARK: Helpers

    private func setOldMTime(_ path: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
    }

    private func mtime(_ path: String) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
