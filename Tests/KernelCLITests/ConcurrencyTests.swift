import Foundation
import Testing

/// Many `kernel` processes editing the same settings file at once lose no update.
@Suite struct ConcurrencyTests {
    @Test func twentyConcurrentEnableDisableProcessesLoseNoUpdate() async throws {
        let box = try Sandbox()
        let names = (0..<20).map { String(format: "tiny%02d", $0) }
        for name in names {
            let src = try box.makePlugin(name, files: ["commands/run.md": "---\ndescription: Run \(name)\n---\nRun.\n"])
            try await box.ok(["plugins", "install", src])
        }
        #expect(try box.enabledPlugins(.user) == Dictionary(uniqueKeysWithValues: names.map { ("\($0)@local", true) }))

        // Start with even plugins enabled and odd ones disabled, then flip every one in its own process, all at
        // once: each process really writes the same settings.json.
        let start = names.enumerated().map { i, name in "    \"\(name)@local\": \(i % 2 == 0)" }.joined(separator: ",\n")
        try write(box.settingsPath(.user), "{\n  \"enabledPlugins\": {\n\(start)\n  }\n}\n")

        for round in 0..<2 {
            let expected = Dictionary(uniqueKeysWithValues: names.enumerated().map { i, name in
                ("\(name)@local", (i + round) % 2 == 1)
            })
            let runs = names.map { name in
                ["plugins", expected["\(name)@local"]! ? "enable" : "disable", name]
            }
            let results = try await kernelConcurrently(runs, cwd: box.projectDir.fileURL, environment: ["QODER_HOME": box.home])
            for (arguments, r) in zip(runs, results) {
                #expect(r.status == 0, "\(arguments): \(r.stdout)\(r.stderr)")
            }
            #expect(try box.enabledPlugins(.user) == expected, "round \(round)")
            let listed = Dictionary(uniqueKeysWithValues: try await box.list().map { ($0["id"] as! String, $0["enabled"] as! Bool) })
            #expect(listed == expected, "round \(round)")
        }
        // No lock or temporary file left beside the settings file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.home).filter { $0.hasPrefix("settings") }
                == ["settings.json"])
    }

    @Test func concurrentInstallsOfDifferentPluginsAllLand() async throws {
        let box = try Sandbox()
        let names = (0..<10).map { "para\($0)" }
        let sources = try names.map { try box.makePlugin($0, files: ["commands/go.md": "Go.\n"]) }
        let results = try await kernelConcurrently(sources.map { ["plugins", "install", $0] }, cwd: box.projectDir.fileURL,
                                             environment: ["QODER_HOME": box.home])
        for r in results { #expect(r.status == 0, "\(r.stdout)\(r.stderr)") }
        #expect(try box.enabledPlugins(.user) == Dictionary(uniqueKeysWithValues: names.map { ("\($0)@local", true) }))
        #expect(Set(try await box.list().compactMap { $0["id"] as? String }) == Set(names.map { "\($0)@local" }))
        for name in names { #expect(read(box.cacheDir(name, "1.0.0") + "/commands/go.md") == "Go.\n") }
    }
}
