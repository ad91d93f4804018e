import Foundation
import Testing
@testable import KernelCore

@Suite struct RuleParserTests {
    func parse(_ text: String) -> (RuleDefinition, [Diagnostic]) {
        var d = Diagnostics()
        let r = RuleParser.parse(Array(text.utf8), file: "r.md", diagnostics: &d)
        return (r, d.items)
    }

    @Test func noFrontmatterIsAlwaysOn() {
        let (r, d) = parse("# Conventions\n- test first\n")
        #expect(r.mode == .alwaysOn)
        #expect(r.decidedBy == "no frontmatter")
        #expect(r.body == "# Conventions\n- test first\n")
        #expect(d.isEmpty)
    }

    @Test func eachTrigger() {
        #expect(parse("---\ntrigger: always_on\n---\nx\n").0.mode == .alwaysOn)
        #expect(parse("---\ntrigger: manual\n---\nx\n").0.mode == .manual)
        let md = parse("---\ntrigger: model_decision\ndescription: Use for API handlers\n---\nx\n").0
        #expect(md.mode == .modelDecision)
        #expect(md.description == "Use for API handlers")
        let g = parse("---\ntrigger: glob\nglob:\n  - src/api/**\n  - \"**/*.test.ts\"\n---\nx\n").0
        #expect(g.mode == .glob)
        #expect(g.globs == ["src/api/**", "**/*.test.ts"])
        let p = parse("---\npaths: src/**, docs/*.md\n---\nx\n").0
        #expect(p.mode == .glob)
        #expect(p.decidedBy == "paths")
        #expect(p.globs == ["src/**", "docs/*.md"])
    }

    @Test func alwaysApplyAndPrecedence() {
        #expect(parse("---\nalwaysApply: true\n---\nx\n").0.mode == .alwaysOn)
        #expect(parse("---\nalwaysApply: false\n---\nx\n").0.mode == .manual)
        // trigger wins over alwaysApply, with a note.
        let (r, d) = parse("---\ntrigger: manual\nalwaysApply: true\n---\nx\n")
        #expect(r.mode == .manual)
        #expect(d.map(\.severity) == [.note])
        // alwaysApply wins over paths.
        let (r2, d2) = parse("---\nalwaysApply: true\npaths: src/**\n---\nx\n")
        #expect(r2.mode == .alwaysOn)
        #expect(d2.map(\.message) == ["'paths' is ignored: 'alwaysApply' takes precedence"])
    }

    @Test func invalidCombinationsAreManualWithAWarning() {
        let (md, d1) = parse("---\ntrigger: model_decision\n---\nx\n")
        #expect(md.mode == .manual)
        #expect(md.invalid == "trigger: model_decision needs a non-empty description")
        #expect(d1.map(\.description) == ["r.md:1:1: warning: trigger: model_decision needs a non-empty description: the rule is not injected"])
        let (md2, _) = parse("---\ntrigger: model_decision\ndescription: \"  \"\n---\nx\n")
        #expect(md2.mode == .manual)
        let (g, d2) = parse("---\ntrigger: glob\n---\nx\n")
        #expect(g.mode == .manual)
        #expect(g.invalid == "trigger: glob needs a 'glob'")
        #expect(d2.count == 1)
        let (g2, d3) = parse("---\ntrigger: glob\nglob: \"src/[abc\"\n---\nx\n")
        #expect(g2.mode == .manual)
        #expect(g2.invalid == "trigger: glob has no usable glob")
        #expect(d3.map(\.description) == [
            "r.md:3:7: warning: glob 'src/[abc' is not a usable glob: '[' in '[abc' is not closed",
            "r.md:1:1: warning: trigger: glob has no usable glob: the rule is not injected",
        ])
        // An unknown trigger is ignored (then alwaysApply / paths / default decide).
        let (u, d4) = parse("---\ntrigger: sometimes\n---\nx\n")
        #expect(u.mode == .alwaysOn)
        #expect(d4.map(\.description) == ["r.md:2:10: warning: unknown trigger 'sometimes' (expected always_on, manual, model_decision or glob); ignored"])
        // glob without trigger: glob is not used.
        let (o, d5) = parse("---\nglob: src/**\n---\nx\n")
        #expect(o.mode == .alwaysOn)
        #expect(d5.count == 1)
    }

    @Test func brokenFrontmatterIsNotInjected() {
        let (r, d) = parse("---\ntrigger: [always_on\n---\nx\n")
        #expect(r.mode == .manual)
        #expect(r.invalid == "its frontmatter does not parse")
        #expect(d.contains { $0.severity == .error })
    }
}

@Suite struct GitignoreGlobTests {
    func m(_ patterns: [String], _ path: String) -> Bool { GitignoreGlob(patterns).matches(path) }

    @Test func theSeedsTable() {
        #expect(m(["**/*.ts"], "a.ts"))
        #expect(m(["**/*.ts"], "src/deep/a.ts"))
        #expect(!m(["**/*.ts"], "src/a.tsx"))
        #expect(m(["src/**/*"], "src/a/b/c.md"))
        #expect(!m(["src/**/*"], "lib/src.md"))
        #expect(m(["*.md"], "README.md"))
        #expect(m(["*.md"], "docs/guide/intro.md"))
        #expect(m(["/*.md"], "README.md"))
        #expect(!m(["/*.md"], "docs/intro.md"))
        #expect(m(["src/components/*.tsx"], "src/components/Button.tsx"))
        #expect(!m(["src/components/*.tsx"], "src/components/deep/Button.tsx"))
    }

    @Test func gitignoreDetails() {
        #expect(m(["src/api"], "src/api/users.ts"))          // a matched folder covers its contents
        #expect(m(["api/"], "src/api/users.ts"))             // directory-only, any depth
        #expect(!m(["api/"], "src/api"))                     // …but not a file named api
        #expect(m(["src/**"], "src/x/y.ts"))
        #expect(!m(["src/**"], "src"))
        #expect(m(["a/**/b.ts"], "a/b.ts"))
        #expect(m(["a/**/b.ts"], "a/x/y/b.ts"))
        #expect(m(["*.ts", "!*.test.ts"], "a.ts"))
        #expect(!m(["*.ts", "!*.test.ts"], "a.test.ts"))
        #expect(m(["file?.[ch]"], "file1.c"))
        #expect(!m(["file?.[!ch]"], "file1.c"))
        #expect(m(["\\!important.md"], "!important.md"))
        #expect(!m(["*.ts"], "../x.ts"))
        #expect(GitignoreGlob.problem(in: "src/[a") != nil)
        #expect(GitignoreGlob.problem(in: "**") != nil)
        #expect(GitignoreGlob.problem(in: "") != nil)
    }

    @Test func ruleGlobLists() {
        #expect(RuleGlobList.normalize(["src/{a,b}/*.ts, docs/**", "**", ""]) == ["src/a/*.ts", "src/b/*.ts", "docs/**"])
        #expect(RuleGlobList.normalize(["{x,y}.md\nz.md"]) == ["x.md", "y.md", "z.md"])
    }

    @Test func manyStarsStayLinear() {
        let pattern = String(repeating: "*a", count: 200) + "b"
        let name = String(repeating: "a", count: 5000)
        #expect(!m([pattern], name))
    }
}

@Suite struct MemoryImportsTests {
    @Test func references() {
        let text = "See @README.md and @docs/testing.md.\nMail @user or @scope/pkg; `@code.md` is code.\n@./x ~ @~/notes.md @/abs/path.md\n"
        let refs = MemoryImports.references(in: text)
        #expect(refs.map(\.path) == ["README.md", "docs/testing.md", "./x", "~/notes.md", "/abs/path.md"])
        #expect(refs.map(\.line) == [1, 1, 3, 3, 3])
        #expect(refs[1].column == 20)
    }

    @Test func fencedCodeIsIgnored() {
        let text = "```\n@inside.md\n```\n~~~md\n@tilde.md\n~~~\n@outside.md\n"
        #expect(MemoryImports.references(in: text).map(\.path) == ["outside.md"])
    }

    @Test func emailsAndPackagesAreNotImports() {
        #expect(MemoryImports.references(in: "ada@example.com @types/node @mention @v1").isEmpty)
    }

    @Test func commentsAreStrippedOutsideCode() {
        #expect(MemoryImports.strippingComments("a<!-- x -->b `<!-- kept -->` <!-- open") == "ab `<!-- kept -->` <!-- open")
    }
}

@Suite struct WorkflowParserTests {
    func parse(_ text: String) -> (WorkflowDefinition?, [String]) {
        var d = Diagnostics()
        let w = WorkflowParser.parse(Array(text.utf8), file: "w.js", diagnostics: &d)
        return (w, d.items.map(\.description))
    }

    @Test func theSeedsExample() throws {
        let (w, d) = parse("""
            export const meta = {
              name: "repo-audit",
              description: "Audit a repository area and summarize risks",
              whenToUse: "Use when the user asks for a structured repository audit",
              phases: [
                { title: "Scan", detail: "Find relevant files and areas" },
                { title: "Analyze", detail: "Run focused analysis agents" },
                { title: "Summarize", detail: "Merge findings into a final report" }
              ]
            };
            const x = await agent('scan')
            """)
        #expect(d.isEmpty)
        let workflow = try #require(w)
        #expect(workflow.name == "repo-audit")
        #expect(workflow.whenToUse == "Use when the user asks for a structured repository audit")
        #expect(workflow.phases.map(\.title) == ["Scan", "Analyze", "Summarize"])
        #expect(workflow.phases[0].detail == "Find relevant files and areas")
    }

    @Test func realStyleWithCommentsQuotesTrailingCommasAndSchema() throws {
        let (w, d) = parse("""
            // A workflow.
            /* block */
            export const meta = {
              name: 'find-flaky-tests',
              'description': 'Find flaky tests and propose fixes',   // one-line
              title: `Flaky tests`,
              phases: [
                { title: 'Scan', detail: 'grep test logs for retries', model: "fast", },
                { detail: 'no title: skipped' },
              ],
              inputSchema: { type: "object", properties: { path: { type: "string" }, retries: { type: "number", default: -3 } }, required: ["path",], },
            }
            phase('Scan')
            """)
        let workflow = try #require(w)
        #expect(workflow.title == "Flaky tests")
        #expect(workflow.phases == [.init(title: "Scan", detail: "grep test logs for retries", model: "fast")])
        #expect(workflow.inputSchema?.serialized(pretty: false)
                == #"{"type":"object","properties":{"path":{"type":"string"},"retries":{"type":"number","default":-3}},"required":["path"]}"#)
        #expect(d == ["w.js:7:3: warning: meta.phases[1] has no string 'title'; skipped"])
    }

    @Test func nonLiteralsAreErrorsWithPositions() {
        #expect(parse("export const meta = { name: NAME, description: 'd' }").1 == [
            "w.js:1:29: error: 'NAME' is not a literal: meta must be a pure literal (no variables, calls or computed values)"])
        #expect(parse("export const meta = {\n  name: 'n',\n  description: `x ${y}`,\n}").1 == [
            "w.js:3:19: error: template interpolation is not allowed in meta"])
        #expect(parse("export const meta = { name, description: 'd' }").1 == [
            "w.js:1:23: error: shorthand property 'name' is not a literal; write 'name: value'"])
        #expect(parse("export const meta = { ...base, name: 'n' }").1 == ["w.js:1:23: error: spread is not allowed in meta"])
        #expect(parse("export const meta = { [k]: 1 }").1 == ["w.js:1:23: error: computed keys are not allowed in meta"])
        #expect(parse("export const meta = { __proto__: {} }").1 == ["w.js:1:23: error: reserved key name not allowed in meta: __proto__"])
        #expect(parse("const x = 1\nexport const meta = {}").1 == [
            "w.js:1:1: error: a workflow script must begin with 'export const meta = { … }' (found 'const')"])
        #expect(parse("export const meta = { name: 'n' }").1 == ["w.js:1:1: error: meta.description is required (a non-empty string)"])
        #expect(parse("export const meta = { name: 'n', description: 'd', inputSchema: [] }").1 == [
            "w.js:1:52: error: meta.inputSchema must be an object literal, not an array"])
    }

    @Test func hostileInputsFinishWithAClearError() {
        #expect(parse("export const meta = {\n  name: 'unterminated").1 == [
            "w.js:2:9: error: unterminated string (opened here, no closing ')"])
        #expect(parse("export const meta = { name: \"a\nb\", description: 'x' }").1 == [
            "w.js:1:29: error: unterminated string (a line ends before the closing \")"])
        #expect(parse("export const meta = { name: 'n', /* no end").1 == ["w.js:1:34: error: unterminated /* comment"])
        // 100,000 levels of nesting: refused at the limit, no stack overflow.
        let deep = "export const meta = { name: 'n', description: 'd', x: " + String(repeating: "[", count: 100_000)
        #expect(parse(deep).1 == ["w.js:1:118: error: nesting is deeper than 64 levels"])
        // A 10 MB file: one long string in meta, read in linear time.
        let big = "export const meta = { name: 'n', description: '" + String(repeating: "x", count: 10_000_000) + "' }\n"
        let (w, d) = parse(big)
        #expect(d.isEmpty)
        #expect(w?.description.count == 10_000_000)
        // Over the size limit.
        let tooBig = [UInt8](repeating: UInt8(ascii: " "), count: WorkflowParser.maxSize + 1)
        var diags = Diagnostics()
        #expect(WorkflowParser.parse(tooBig, file: "w.js", diagnostics: &diags) == nil)
        #expect(diags.items.map(\.message) == ["the script is \(WorkflowParser.maxSize + 1) bytes; the limit is \(WorkflowParser.maxSize)"])
    }

    @Test func literalValues() throws {
        var r = JSLiteralReader(Array("{a: -1.5e3, b: 0x1F, c: true, d: null, e: '\\u{1F600}\\x41\\n', 'f g': [1,2,], 3: false}".utf8))
        let v = try r.value()
        #expect(v["a"] == .number("-1.5e3"))
        #expect(v["b"]?.json == .double(31))
        #expect(v["c"] == .bool(true))
        #expect(v["d"] == .null)
        #expect(v["e"] == .string("😀A\n"))
        #expect(v["f g"] == .array([.number("1"), .number("2")]))
        #expect(v["3"] == .bool(false))
    }
}
