import Foundation
import Testing
import KernelCore

@Suite struct CronTests {
    let utc = TimeZone(identifier: "UTC")!
    let berlin = TimeZone(identifier: "Europe/Berlin")!

    func date(_ s: String) -> Date { try! Date(s, strategy: .iso8601) }
    func iso(_ d: Date?) -> String? { d.map { Date.ISO8601FormatStyle().format($0) } }

    /// The next `count` fires after `start`.
    func fires(_ expr: String, after start: String, count: Int, zone: TimeZone? = nil) throws -> [String] {
        let c = try CronExpression(expr)
        var out: [String] = []
        var t = date(start)
        for _ in 0..<count {
            guard let n = c.nextFire(after: t, in: zone ?? utc) else { break }
            out.append(iso(n)!)
            t = n
        }
        return out
    }

    @Test func everyMinuteAndSteps() throws {
        #expect(try fires("* * * * *", after: "2026-01-01T00:00:30Z", count: 2) == ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"])
        #expect(try fires("*/20 * * * *", after: "2026-01-01T00:00:00Z", count: 3) == ["2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"])
        #expect(try fires("10-30/10 8 * * *", after: "2026-01-01T00:00:00Z", count: 4)
                == ["2026-01-01T08:10:00Z", "2026-01-01T08:20:00Z", "2026-01-01T08:30:00Z", "2026-01-02T08:10:00Z"])
        #expect(try fires("5/15 * * * *", after: "2026-01-01T00:00:00Z", count: 4)
                == ["2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z", "2026-01-01T00:50:00Z"])
        #expect(try fires("0 0,12 * * *", after: "2026-01-01T00:00:00Z", count: 2) == ["2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"])
    }

    @Test("day-of-month and day-of-week both restricted: either matches (cron(5) OR rule)")
    func orRule() throws {
        // 2026-03-01 is a Sunday. "0 0 13 * 5": the 13th of every month OR every Friday.
        #expect(try fires("0 0 13 * 5", after: "2026-03-01T00:00:00Z", count: 4)
                == ["2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z", "2026-03-27T00:00:00Z"])
        #expect(try fires("0 0 13 * 5", after: "2026-03-27T00:00:00Z", count: 2) == ["2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z"])
        // Only one restricted: AND (a star in day-of-month means "any day that is a Friday").
        #expect(try fires("0 0 * * 5", after: "2026-03-01T00:00:00Z", count: 1) == ["2026-03-06T00:00:00Z"])
        // A step starting with * counts as unrestricted (as Vixie cron reads it): AND.
        #expect(try fires("0 0 */2 * 1", after: "2026-03-01T00:00:00Z", count: 2) == ["2026-03-09T00:00:00Z", "2026-03-23T00:00:00Z"])
    }

    @Test func namesAndSundaySeven() throws {
        #expect(try fires("0 9 * jan,JUL mon-fri", after: "2026-06-30T12:00:00Z", count: 1) == ["2026-07-01T09:00:00Z"])
        #expect(try fires("0 9 * * sun", after: "2026-03-01T12:00:00Z", count: 1) == ["2026-03-08T09:00:00Z"])
        #expect(try fires("0 9 * * 7", after: "2026-03-01T12:00:00Z", count: 1) == ["2026-03-08T09:00:00Z"])
        #expect(try fires("@daily", after: "2026-03-01T12:00:00Z", count: 1) == ["2026-03-02T00:00:00Z"])
        #expect(try fires("@hourly", after: "2026-03-01T12:00:00Z", count: 1) == ["2026-03-01T13:00:00Z"])
    }

    @Test func february29() throws {
        #expect(try fires("0 0 29 2 *", after: "2026-01-01T00:00:00Z", count: 2) == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        // 2100 is not a leap year.
        #expect(try fires("0 0 29 2 *", after: "2096-03-01T00:00:00Z", count: 1) == ["2104-02-29T00:00:00Z"])
        #expect(try fires("0 0 31 * *", after: "2026-01-31T00:00:00Z", count: 2) == ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"])
    }

    @Test("DST gap in Europe/Berlin: 02:30 does not exist on 2026-03-29; it fires once, at the transition")
    func dstGap() throws {
        #expect(try fires("30 2 * * *", after: "2026-03-27T12:00:00Z", count: 3, zone: berlin)
                == ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        // Every 15 minutes in the skipped hour: one fire at the transition, not four.
        #expect(try fires("*/15 2 * * *", after: "2026-03-28T23:00:00Z", count: 2, zone: berlin)
                == ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"])
    }

    @Test("DST overlap in Europe/Berlin: 02:30 happens twice on 2026-10-25; a fixed time fires once")
    func dstOverlap() throws {
        #expect(try fires("30 2 * * *", after: "2026-10-24T12:00:00Z", count: 2, zone: berlin)
                == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        // Hourly jobs follow real time through the repeated hour (both 02:00s).
        #expect(try fires("0 * * * *", after: "2026-10-24T23:30:00Z", count: 3, zone: berlin)
                == ["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"])
    }

    @Test func timezoneOffsetApplies() throws {
        #expect(try fires("0 9 * * 1-5", after: "2026-12-01T00:00:00Z", count: 1, zone: berlin) == ["2026-12-01T08:00:00Z"])
        #expect(try fires("0 9 * * 1-5", after: "2026-07-01T00:00:00Z", count: 1, zone: berlin) == ["2026-07-01T07:00:00Z"])
    }

    @Test("refused: 6 or 7 fields, unknown macros, bad values — naming the field and the column")
    func refused() {
        func error(_ s: String) -> CronExpression.ParseError? {
            do { _ = try CronExpression(s); return nil } catch { return error }
        }
        let six = error("0 0 9 * * 1")
        #expect(six?.message.contains("expected 5 fields") == true && six?.message.contains("seconds") == true)
        #expect(six?.offset == 10)
        #expect(error("@reboot")?.message.contains("@reboot") == true)
        #expect(error("@fortnightly")?.message.hasPrefix("unknown macro '@fortnightly'") == true)
        #expect(error("0 24 * * *") == .init(message: "hour field: 24 is out of range 0-23", offset: 2))
        #expect(error("0 9 * * 1-8") == .init(message: "day-of-week field: 8 is out of range 0-7", offset: 10))
        #expect(error("0 9 * foo *") == .init(message: "month field: 'foo' is not a number 1-12 (or jan-dec)", offset: 6))
        #expect(error("*/0 * * * *") == .init(message: "minute field: step '0' must be a positive number", offset: 2))
        #expect(error("5-1 * * * *")?.message == "minute field: range 5-1 runs backwards")
        #expect(error("0 0 30 2 *")?.message == "day-of-month field: day 30 never occurs in the months listed")
        #expect(error("0 0 1,,2 * *")?.message == "day-of-month field: empty list item")
        #expect(error("0 0 * *")?.message.hasPrefix("expected 5 fields") == true)
    }

    @Test func durations() {
        #expect(TaskDuration.parse("90s") == 90)
        #expect(TaskDuration.parse("1h30m") == 5400)
        #expect(TaskDuration.parse("2d") == 172_800)
        #expect(TaskDuration.parse("45") == 45)
        #expect(TaskDuration.parse("5 minutes") == nil)
        #expect(TaskDuration.parse("") == nil)
        #expect(TaskDuration.format(5400) == "1h30m")
    }
}

@Suite struct TemplateTests {
    func render(_ t: String, _ params: JSONValue) -> String {
        var d = Diagnostics()
        let tpl = TaskTemplate.parse(t, diagnostics: &d)
        #expect(!d.hasErrors, "\(d.items)")
        return tpl.render(params)
    }

    let params: JSONValue = .object([
        ("repo", "acme/web"), ("severity", "high"), ("count", 0), ("flag", "false"), ("empty", ""), ("none", .null),
        ("list", .array([])), ("labels", .array(["bug", "cve"])), ("issue", .object([("title", "Crash <b>&</b>"), ("number", 42)])),
        ("payload", "{{repo}} and {{#if severity}}x{{/if}}"), ("obj", .object([])),
    ])

    @Test func substitutionAndPaths() {
        #expect(render("Check {{repo}} now", params) == "Check acme/web now")
        #expect(render("{{ issue.title }} #{{issue.number}}", params) == "Crash <b>&</b> #42")  // no HTML escaping
        #expect(render("first label {{labels.0}}; all {{labels}}", params) == "first label bug; all [\"bug\",\"cve\"]")
        #expect(render("[{{missing}}][{{issue.missing.deeper}}][{{none}}]", params) == "[][][]")
    }

    @Test("payload values are data: a value holding {{ is inserted as written")
    func payloadIsNotSyntax() {
        #expect(render("got: {{payload}}", params) == "got: {{repo}} and {{#if severity}}x{{/if}}")
    }

    @Test func truthiness() {
        for key in ["count", "flag", "empty", "none", "list", "missing"] {
            #expect(render("{{#if \(key)}}yes{{else}}no{{/if}}", params) == "no", "\(key)")
        }
        for key in ["repo", "labels", "issue", "obj", "issue.number"] {
            #expect(render("{{#if \(key)}}yes{{else}}no{{/if}}", params) == "yes", "\(key)")
        }
        #expect(render("{{#if z}}a{{/if}}", .object([("z", "0")])) == "")
        #expect(render("{{#if z}}a{{/if}}", .object([("z", 0.0 == 0 ? .int(1) : .null)])) == "a")
    }

    @Test func nestedConditions() {
        let t = "{{#if repo}}R{{#if severity}} S={{severity}}{{#if count}}C{{else}} no-count{{/if}}{{/if}}{{else}}none{{/if}}."
        #expect(render(t, params) == "R S=high no-count.")
        #expect(render(t, .object([])) == "none.")
    }

    @Test func malformedTagsAreReportedAndKept() {
        var d = Diagnostics()
        let t = TaskTemplate.parse("a\n{{#if x}}b\n{{/if}}{{/if}} {{#each y}} {{ bad path }} {{#if}}", file: "t.md", line: 5, diagnostics: &d)
        #expect(d.items.map(\.description) == [
            "t.md:7:8: error: '{{/if}}' without an open '{{#if}}'",
            "t.md:7:16: error: unknown block '{{#each y}}': only {{#if path}}…{{else}}…{{/if}} is supported",
            "t.md:7:28: error: '{{bad path}}' is not a parameter path (letters, digits, '_', '-', joined by '.')",
            "t.md:7:43: error: '{{#if}}' needs one parameter path, as in {{#if severity}}",
        ])
        #expect(t.render(.object([("x", true)])) == "a\nb\n{{/if}} {{#each y}} {{ bad path }} {{#if}}")
        var d2 = Diagnostics()
        _ = TaskTemplate.parse("{{#if a}}open", file: "u.md", diagnostics: &d2)
        #expect(d2.items.map(\.description) == ["u.md:1:1: error: '{{#if a}}' is never closed with {{/if}}"])
    }

    @Test func parameterNames() {
        var d = Diagnostics()
        let t = TaskTemplate.parse("{{a}} {{#if b.c}}{{d}}{{/if}} {{a}}", diagnostics: &d)
        #expect(t.parameterNames == ["a", "b.c", "d"])
    }
}
