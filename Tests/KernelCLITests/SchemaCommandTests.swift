import Foundation
import KernelCore
import KernelTestSupport
import Testing

@Suite("kernel schema")
struct SchemaCommandTests {
    @Test(arguments: JSONSchemas.Kind.allCases)
    func theCommittedSchemaIsTheCommandsOutput(kind: JSONSchemas.Kind) async throws {
        let run = try await kernel(["schema", kind.rawValue])
        #expect(run.status == 0)
        let committed = try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("schemas/\(kind.fileName)"), encoding: .utf8)
        #expect(run.stdout == committed, "schemas/\(kind.fileName) is stale: run `kernel schema \(kind.rawValue) > schemas/\(kind.fileName)`")
    }

    @Test func anUnknownKindIsAUsageError() async throws {
        #expect(try await kernel(["schema", "settings"]).status == 64)
    }

    /// Python's `jsonschema` (Draft 2020-12 validator; python3-jsonschema in .ci/install-deps) checks the schemas
    /// themselves, then every plugin.json, marketplace.json and hooks/hooks.json of the corpus and of this
    /// repository against them, and a few files that must fail.
    @Test func everyCorpusFileValidatesAndBrokenOnesDoNot() async throws {
        let dir = try TempDir()
        try dir.write("bad/.qoder-plugin/plugin.json", #"{"version": 1}"#)
        try dir.write("bad/.claude-plugin/marketplace.json", #"{"name": "m", "owner": {"name": "o"}, "plugins": [{"name": "x", "source": {"source": "svn"}}]}"#)
        try dir.write("bad/hooks/hooks.json", #"{"hooks": {"PreToolUse": [{"hooks": [{"type": "shell"}]}]}}"#)
        let script = """
            import json, os, sys, jsonschema
            schemas, roots, bad = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
            validators = {}
            for kind in ("plugin", "marketplace", "hooks"):
                schema = json.load(open(os.path.join(schemas, kind + ".schema.json")))
                jsonschema.Draft202012Validator.check_schema(schema)
                validators[kind] = jsonschema.Draft202012Validator(schema)
            def kind_of(folder, name):
                if name == "plugin.json" and os.path.basename(folder) in (".qoder-plugin", ".claude-plugin"): return "plugin"
                if name == "marketplace.json": return "marketplace"
                if name == "hooks.json" and os.path.basename(folder) == "hooks": return "hooks"
            def walk(root):
                for folder, dirs, files in os.walk(root):
                    dirs[:] = [d for d in dirs if d not in (".git", ".build")]
                    for name in files:
                        kind = kind_of(folder, name)
                        if kind: yield os.path.join(folder, name), kind
            checked, failures = 0, []
            for root in roots:
                for path, kind in walk(root):
                    checked += 1
                    for e in validators[kind].iter_errors(json.load(open(path))):
                        failures.append(f"{path}: {list(e.path)}: {e.message[:200]}")
            refused = sum(1 for path, kind in walk(bad) if any(True for _ in validators[kind].iter_errors(json.load(open(path)))))
            print(json.dumps({"checked": checked, "failures": failures, "refused": refused}))
            """
        var roots = [TestPaths.repoRoot.appendingPathComponent("Plugins").path, TestPaths.repoRoot.appendingPathComponent("marketplace").path]
        if TestPaths.corpusAvailable { roots.append(TestPaths.corpus.path) }
        let run = try await runChildOffPool("/usr/bin/env", ["python3", "-c", script, TestPaths.repoRoot.appendingPathComponent("schemas").path]
                                                  + roots + [dir.url("bad")])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try JSONReader.parse(run.stdout).root
        let failures = result["failures"]?.array?.compactMap(\.string) ?? ["no result"]
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect((result["checked"]?.scalarText).flatMap { Int($0) } ?? 0 >= (TestPaths.corpusAvailable ? 50 : 2))
        #expect(result["refused"]?.scalarText == "3")
    }
}
