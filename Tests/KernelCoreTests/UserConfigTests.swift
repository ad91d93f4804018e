import KernelCore
import Testing

@Suite struct UserConfigCoreTests {
    func manifest(_ userConfig: String) -> (PluginManifest?, [String]) {
        var d = Diagnostics()
        let m = ManifestParser.parse(Array(#"{"name": "p", "userConfig": \#(userConfig)}"#.utf8), file: "plugin.json", diagnostics: &d)
        return (m, d.items.map(\.description))
    }

    @Test func declarationsAreReadWithTheirFields() throws {
        let (m, problems) = manifest(#"""
            {"key": {"type": "string", "title": "Key", "description": "Your key", "required": true, "sensitive": true},
             "n": {"type": "number", "min": 1, "max": 3, "default": 2},
             "tags": {"type": "string", "multiple": true, "default": ["a", "b"]},
             "dir": {"type": "directory", "default": "~/x"}}
            """#)
        #expect(problems.isEmpty, "\(problems)")
        let options = try #require(m?.userConfig)
        #expect(options.map(\.key) == ["key", "n", "tags", "dir"])
        #expect(options[0].mustBeGiven && options[0].sensitive && options[0].title == "Key")
        #expect(options[1].defaultValue == .number(2) && options[1].min == 1 && options[1].max == 3)
        #expect(options[2].defaultValue == .list(["a", "b"]))
        #expect(options[3].defaultValue == .string("~/x"))
    }

    @Test func badDeclarationsAreErrorsAtTheirPositions() {
        let (_, problems) = manifest(#"{"a": {"type": "bool"}, "b": 3, "c": {"title": "no type"}, "d": {"type": "boolean", "options": [true]}, "e": {"type": "string", "min": 1}}"#)
        #expect(problems.contains("plugin.json:1:44: error: unknown userConfig type 'bool' for 'a'; expected one of string, number, boolean, directory, file"), "\(problems)")
        #expect(problems.contains("plugin.json:1:58: error: 'userConfig.b' must be an object with 'type', got a number"))
        #expect(problems.contains { $0.hasPrefix("plugin.json:1:66: error: userConfig 'c' is missing required key 'type'") })
        #expect(problems.contains { $0.contains("error: userConfig 'd': 'options' applies to string and number keys, not boolean") })
        #expect(problems.contains { $0.contains("error: userConfig 'e': 'min' applies to number keys, not string") })
    }

    @Test func valuesAreCheckedAgainstTypeOptionsAndBounds() throws {
        var n = UserConfigOption(key: "n", type: .number)
        n.min = 0
        n.max = 10
        #expect(try n.value(from: ["7"], workingDirectory: "/", homeDirectory: "/") == .number(7))
        #expect(throws: UserConfigValueError.self) { try n.value(from: ["11"], workingDirectory: "/", homeDirectory: "/") }
        #expect(throws: UserConfigValueError.self) { try n.value(from: ["x"], workingDirectory: "/", homeDirectory: "/") }
        let b = UserConfigOption(key: "b", type: .boolean)
        #expect(try b.value(from: ["yes"], workingDirectory: "/", homeDirectory: "/") == .bool(true))
        #expect(throws: UserConfigValueError.self) { try b.value(from: ["maybe"], workingDirectory: "/", homeDirectory: "/") }
        let d = UserConfigOption(key: "d", type: .directory)
        #expect(try d.value(from: ["../tmp/."], workingDirectory: "/usr", homeDirectory: "/") == .string("/tmp"))
        #expect(throws: UserConfigValueError.self) { try d.value(from: ["/no/such/dir"], workingDirectory: "/", homeDirectory: "/") }
        let f = UserConfigOption(key: "f", type: .file)
        #expect(throws: UserConfigValueError.self) { try f.value(from: ["/tmp"], workingDirectory: "/", homeDirectory: "/") }
        var many = UserConfigOption(key: "m", type: .string, multiple: true)
        many.options = ["a", "b"]
        #expect(try many.value(from: ["a", "b"], workingDirectory: "/", homeDirectory: "/") == .list(["a", "b"]))
        #expect(throws: UserConfigValueError.self) { try many.value(from: ["c"], workingDirectory: "/", homeDirectory: "/") }
        #expect(throws: UserConfigValueError.self) { try b.value(from: ["true", "false"], workingDirectory: "/", homeDirectory: "/") }
    }

    @Test func substitutionFillsServersFromServerValuesThenPluginValuesThenDefaults() throws {
        var units = UserConfigOption(key: "units", type: .string)
        units.defaultValue = .string("metric")
        let optional = UserConfigOption(key: "opt", type: .string)
        let r = UserConfigResolution(pluginID: "p@m", options: [units, optional],
                                     values: ["key": .string("K"), "mcpServers.s.key": .string("S"), "list": .list(["a", "b"])])
        var d = Diagnostics()
        let servers = MCPParser.parseServers(try JSONReader.parse(#"""
            {"s": {"command": "${user_config.key}", "args": ["${user_config.units}", "${user_config.list}", "x${user_config.opt}y"]},
             "t": {"command": "run", "env": {"K": "${user_config.key}"}, "args": ["${user_config.nope}"]},
             "u": {"type": "http", "url": "{{USER_CONFIG}}"}}
            """#).root, file: "m", diagnostics: &d)
        let s = r.apply(to: servers[0])
        #expect(s.command == "S")
        #expect(s.args == ["metric", "a b", "xy"])
        let t = r.apply(to: servers[1])
        #expect(t.env["K"] == "K")
        #expect(t.needsConfiguration?.hasPrefix("needs configuration: ${user_config.nope} has no value") == true)
        #expect(r.apply(to: servers[2]).needsConfiguration != nil)
        let withURL = UserConfigResolution(pluginID: "p@m", options: [], values: ["mcpServers.u.url": .string("https://h/x")])
        let u = withURL.apply(to: servers[2])
        #expect(u.url == "https://h/x" && u.needsConfiguration == nil)
        #expect(UserConfigReference.substitute("a ${user_config.k} ${user_config.} ${user_config.k", { _ in "V" }) == "a V ${user_config.} ${user_config.k")
        #expect(UserConfigReference.keys(in: "${user_config.a}${user_config.b}${user_config.a}") == ["a", "b"])
    }

    @Test func aRequiredKeyWithoutValueOrDefaultIsMissing() {
        var a = UserConfigOption(key: "a", type: .string, required: true)
        var b = UserConfigOption(key: "b", type: .string, required: true)
        b.defaultValue = .string("x")
        let r = UserConfigResolution(pluginID: "p@m", options: [a, b], values: [:])
        #expect(r.missing == ["a"])
        #expect(r.needsConfiguration == "needs configuration: missing a (run `kernel plugins configure p@m a=…`)")
        a.required = false
        #expect(UserConfigResolution(pluginID: "p@m", options: [a, b], values: [:]).missing.isEmpty)
    }
}
