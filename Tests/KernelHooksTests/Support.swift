import Foundation
import KernelCore
import KernelHooks
import KernelStore
import KernelTestSupport
import Testing

/// The shared temporary folder of KernelTestSupport.
typealias Scratch = TemporaryDirectory

extension TemporaryDirectory {
    /// A `#!/bin/bash` script.
    @discardableResult
    func script(_ relative: String, _ body: String) throws -> String {
        try write(relative, "#!/bin/bash\n" + body + "\n", executable: true)
    }
}

/// An engine over hook settings written as JSON (the `hooks` object of a settings file), all user-scoped.
func engine(_ hooksJSON: String, project: String = "/tmp", native: [any NativeHookHandler] = [],
            store: KernelStore? = nil, evaluator: (any HookEvaluator)? = nil, grace: Double = 0.2) throws -> HookEngine {
    var d = Diagnostics()
    let (node, _) = try JSONReader.parse(hooksJSON)
    let groups = HooksParser.parseEventMap(node, file: "settings.json", diagnostics: &d)
    #expect(d.items.filter { $0.severity == .error }.isEmpty, "\(d.items)")
    var registry = Registry()
    for g in groups {
        registry.hooks.append(RegistryEntry(name: g.event, item: g, provenance: Provenance(source: .user, scope: .user, file: g.file, line: g.line)))
    }
    for n in native {
        registry.nativeHooks.append(RegistryEntry(name: n.name, item: n, provenance: Provenance(source: .module)))
    }
    var options = HookEngine.Options()
    options.killGrace = grace
    return HookEngine(registry: registry, projectDir: project, store: store, evaluator: evaluator, options: options)
}

/// `{"hooks": [...]}` for one event and matcher groups given as (matcher, [handler JSON]).
func hooks(_ event: String, _ groups: [(String?, [String])]) -> String {
    let items = groups.map { g in
        let m = g.0.map { "\"matcher\": \(JSONValue.string($0).serialized(pretty: false)), " } ?? ""
        return "{\(m)\"hooks\": [\(g.1.joined(separator: ","))]}"
    }
    return "{\"\(event)\": [\(items.joined(separator: ","))]}"
}

/// A command handler entry.
func cmd(_ command: String, _ extra: String = "") -> String {
    "{\"type\": \"command\", \"command\": \(JSONValue.string(command).serialized(pretty: false))\(extra.isEmpty ? "" : ", " + extra)}"
}

func input(_ pairs: [(String, JSONValue)]) -> [UInt8] {
    Array(JSONValue.object(pairs).serialized(pretty: false).utf8)
}

func toolInput(_ tool: String, _ args: [(String, JSONValue)], session: String = "s1") -> [UInt8] {
    input([("session_id", .string(session)), ("cwd", "/tmp"), ("tool_name", .string(tool)), ("tool_input", .object(args))])
}

/// A native handler from a closure.
struct ClosureHook: NativeHookHandler {
    var event: String
    var matcher: String?
    var name: String
    var body: @Sendable ([UInt8]) -> NativeHookResult

    func invoke(input: [UInt8]) -> NativeHookResult { body(input) }
}
