import Foundation
import Testing
import KernelCore

@Suite struct BlueprintParserTests {
    func parse(_ text: String, name: String = "t") -> (TaskBlueprint?, [String]) {
        var d = Diagnostics()
        let b = BlueprintParser.parse(Array(text.utf8), file: "t.md", defaultName: name, diagnostics: &d)
        return (b, d.items.map(\.description))
    }

    @Test("the issue's example blueprint")
    func example() throws {
        let (b, diags) = parse("""
            ---
            name: dependency-audit
            description: Audit dependencies and open a fix
            model: default
            workingDirectory: .
            triggers:
              - type: schedule
                cron: "0 9 * * 1-5"
                timezone: Europe/Berlin
              - type: webhook
                path: sentry-to-task
                secret: ${SENTRY_WEBHOOK_SECRET}
              - type: api
            maxRuns: 100
            overlap: skip
            ---
            Check {{repo}} for vulnerable dependencies.{{#if severity}} Severity: {{severity}}.{{/if}}
            """)
        #expect(diags == [])
        let bp = try #require(b)
        #expect(bp.name == "dependency-audit" && bp.model == "default" && bp.maxRuns == 100 && bp.overlap == .skip)
        #expect(bp.triggers.map(\.kind) == [.schedule, .webhook, .api])
        #expect(bp.triggers[0].timezone.identifier == "Europe/Berlin" && bp.triggers[0].cron?.source == "0 9 * * 1-5")
        #expect(bp.triggers[1].path == "sentry-to-task" && bp.triggers[1].secret == "${SENTRY_WEBHOOK_SECRET}")
        #expect(bp.template.render(.object([("repo", "x"), ("severity", "low")])) == "Check x for vulnerable dependencies. Severity: low.\n" || bp.template.render(.object([("repo", "x"), ("severity", "low")])) == "Check x for vulnerable dependencies. Severity: low.")
    }

    @Test("a bad cron names the field and the column of the value in the file")
    func badCronPosition() {
        let (b, diags) = parse("---\ntriggers:\n  - type: schedule\n    cron: \"0 9 * * 1-8\"\n  - type: schedule\n    cron: 0 25 * * *\n---\nx\n")
        #expect(b != nil)
        #expect(diags == [
            "t.md:4:22: error: cron \"0 9 * * 1-8\": day-of-week field: 8 is out of range 0-7",
            "t.md:6:13: error: cron \"0 25 * * *\": hour field: 25 is out of range 0-23",
        ])
        let (_, six) = parse("---\ntriggers:\n  - type: schedule\n    cron: '0 0 9 * * 1'\n---\nx\n")
        #expect(six.count == 1 && six[0].hasPrefix("t.md:4:22: error: cron \"0 0 9 * * 1\": expected 5 fields"))
    }

    @Test func everyFieldAndTrigger() throws {
        let (b, diags) = parse("""
            ---
            repo: https://example.invalid/acme/web.git
            branch: main
            setupCommands: [npm ci]
            agent: reviewer
            runner: [my-agent, --prompt, "{prompt}"]
            missed: all
            catchUpWindow: 6h
            catchUpLimit: 3
            retries: {count: 2, backoff: 10s, maxBackoff: 1m}
            timeout: 30m
            concurrency: 2
            pauseAfterFailures: 0
            expires: 2027-01-01
            env:
              LOG_LEVEL: debug
              GITHUB_TOKEN: ${GITHUB_TOKEN}
            triggers:
              - type: at
                at: 2026-12-24 18:00
                timezone: Europe/Berlin
              - type: every
                every: 15m
                jitter: 1m
                missed: skip
              - type: event
                source: github
                kinds: [issues]
                actions: [opened]
                labels: [cve, security]
                repo: acme/web
            ---
            Fix {{issue.title}}
            """)
        #expect(diags == [])
        let bp = try #require(b)
        #expect(bp.repo == "https://example.invalid/acme/web.git" && bp.branch == "main" && bp.setupCommands == ["npm ci"])
        #expect(bp.runner == ["my-agent", "--prompt", "{prompt}"] && bp.agent == "reviewer")
        #expect(bp.missed == .all && bp.catchUpWindow == 21_600 && bp.catchUpLimit == 3)
        #expect(bp.retries == .init(count: 2, backoff: 10, maxBackoff: 60))
        #expect(bp.retries.delay(after: 1) == 10 && bp.retries.delay(after: 2) == 20 && bp.retries.delay(after: 5) == 60)
        #expect(bp.timeout == 1800 && bp.concurrency == 2 && bp.pauseAfterFailures == 0)
        #expect(bp.env.map(\.0) == ["LOG_LEVEL", "GITHUB_TOKEN"])
        let at = try Date("2026-12-24T17:00:00Z", strategy: .iso8601)
        #expect(bp.triggers[0].at == at)
        #expect(bp.triggers[1].every == 900 && bp.triggers[1].jitter == 60 && bp.triggers[1].missed == .skip)
        #expect(bp.triggers[2].labels == ["cve", "security"] && bp.triggers[2].repository == "acme/web" && bp.triggers[2].kinds == ["issues"])
    }

    @Test("errors: secrets inline, too many triggers, unknown type, bad values")
    func errors() {
        let (_, diags) = parse("""
            ---
            overlap: sometimes
            timeout: soon
            env:
              API_TOKEN: abc123
            triggers:
              - type: webhook
                path: /abs
                secret: hunter2
              - type: cronjob
              - type: api
              - type: api
              - type: api
              - type: api
            bogus: 1
            ---
            x
            """)
        #expect(diags.contains("t.md:2:10: error: 'overlap' must be one of allow, skip, buffer-one, replace, got 'sometimes'"))
        #expect(diags.contains("t.md:3:10: error: 'timeout' must be a duration such as 90s, 15m, 2h, 1d (or seconds), got 'soon'"))
        #expect(diags.contains { $0.hasPrefix("t.md:5:14: error: env 'API_TOKEN' looks like a secret written inline") })
        #expect(diags.contains { $0.hasPrefix("t.md:8:11: error: webhook 'path' must be") })
        #expect(diags.contains("t.md:9:13: error: webhook 'secret' must be a reference such as ${SENTRY_WEBHOOK_SECRET}, never the secret itself"))
        #expect(diags.contains { $0.hasPrefix("t.md:10:11: error: unknown trigger type 'cronjob'") })
        #expect(diags.contains("t.md:14:5: error: a blueprint has at most 5 triggers, got 6"))
        #expect(diags.contains { $0.hasPrefix("t.md:15:1: warning: unknown blueprint field 'bogus'") })
        let (none, d2) = parse("just a body\n")
        #expect(none == nil && d2 == ["t.md:1:1: error: a task blueprint needs YAML frontmatter (a '---' fenced block with at least 'triggers')"])
    }

    @Test func namesFromFileAndFrontmatter() {
        #expect(parse("---\ndescription: x\n---\nbody", name: "nightly").0?.name == "nightly")
        let (_, d) = parse("---\nname: has space\n---\nbody")
        #expect(d.first?.contains("'name' must be letters") == true)
    }

    @Test func jitterStaysBeforeNextSlot() {
        var t = TaskTrigger(kind: .every)
        t.every = 60
        t.jitter = 600
        for i in 0..<50 {
            let slot = Date(timeIntervalSince1970: Double(i) * 60)
            let j = t.jitterOffset(slot: slot, key: "k")
            #expect(j >= 0 && j < 60)
            #expect(j == t.jitterOffset(slot: slot, key: "k"))  // deterministic: every scheduler agrees
        }
    }
}
