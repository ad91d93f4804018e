import Foundation
import KernelTestSupport
import Testing
import KernelCore
import KernelHooks
import KernelHost
import KernelNative

/// A module registering an evaluator for prompt/agent hooks (ABI 1.1): it denies prompts containing "deny".
/// -DFAIL: the evaluator returns 3 (an evaluator error); -DNAME_NULL: registered without a name.
let evaluatorSource = #"""
#include "kernel_module.h"
#include <string.h>

static const kernel_module_descriptor d = KERNEL_MODULE_DESCRIPTOR("judge", "1.0", KERNEL_TOOLCHAIN_C);
const kernel_module_descriptor *kernel_module_describe(void) { return &d; }

static int calls;

static int judge(const char *kind, const char *event, const uint8_t *request, size_t len, kernel_sink *out,
                 kernel_sink *err, void *user_data) {
    (void)user_data;
#ifdef FAIL
    kernel_sink_puts(err, "no model configured");
    return 3;
#endif
    /* the request must be the documented object: look for its fields */
    char buf[8192];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, request, n);
    buf[n] = 0;
    if (strcmp(kind, "prompt") != 0 || strcmp(event, "PreToolUse") != 0 || !strstr(buf, "\"template\":")
        || !strstr(buf, "\"input\":{") || !strstr(buf, "\"timeout\":")) {
        kernel_sink_puts(out, "{\"ok\": false, \"reason\": \"unexpected request\"}");
        return 0;
    }
    calls++;
    if (strstr(buf, "deny")) kernel_sink_puts(out, "{\"ok\": false, \"reason\": \"judge: the prompt asks to deny\"}");
    else kernel_sink_puts(out, "{\"ok\": true}");
    return 0;
}

int kernel_module_register(const kernel_host *host) {
    if (!KERNEL_HOST_HAS(host, register_evaluator)) return 1;
#ifdef NAME_NULL
    return host->register_evaluator(host->context, NULL, judge, NULL, 0);
#else
    return host->register_evaluator(host->context, "judge", judge, NULL, KERNEL_HOOK_THREAD_SAFE);
#endif
}
"""#

@Suite struct EvaluatorModuleTests {
    // A liveness bound, not a speed check: an AddressSanitizer `kernel` on a loaded machine takes seconds to start.
    let scanner = ModuleScanner(executable: Paths.kernel, timeout: 60)

    /// A plugin folder `name` with the evaluator module and a `prompt` handler on PreToolUse.
    func plugin(_ dir: TempDirectory, _ name: String, flags: [String] = []) async throws -> String {
        try await compileModule(evaluatorSource, to: dir.url("\(name)/modules/judge.so"), flags: flags)
        try dir.write("\(name)/hooks/hooks.json", #"""
        {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "prompt", "prompt": "Is this safe?"}]}]}}
        """#)
        return dir.url(name)
    }

    func engine(_ dir: TempDirectory, pluginDirs: [String]) throws -> (HookEngine, PluginHost.Composition) {
        let project = dir.url("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let host = try PluginHost(paths: KernelPaths(home: dir.url("home"), project: project),
                                  modules: ModuleOptions(builtinDirectories: [], scanner: scanner))
        let composition = try host.compose(pluginDirs: pluginDirs)
        return (HookEngine(host: host, composition: composition), composition)
    }

    func input(_ command: String) -> [UInt8] {
        Array(JSONValue.object([
            ("session_id", "s1"), ("hook_event_name", "PreToolUse"), ("tool_name", "Bash"),
            ("tool_input", .object([("command", .string(command))])),
        ]).serialized(pretty: false).utf8)
    }

    @Test func moduleEvaluatorDecidesPromptHooks() async throws {
        let dir = try TempDirectory()
        let (engine, composition) = try engine(dir, pluginDirs: [try await plugin(dir, "judge")])
        let entry = try #require(composition.registry.evaluators.first)
        #expect(entry.name == "judge" && entry.state.isActive && entry.provenance.source == .module)
        let evaluator = try #require(entry.item as? NativeModuleEvaluator)
        #expect(!evaluator.isLoaded, "composing must not load the module")

        let denied = await engine.fire(event: "PreToolUse", input: input("echo deny me"))
        #expect(denied.blocked && denied.decision == .deny)
        #expect(denied.reason == "judge: the prompt asks to deny")
        #expect(denied.handlers.count == 1 && denied.handlers[0].skipped == nil && denied.handlers[0].error == nil)
        #expect(evaluator.isLoaded)

        let allowed = await engine.fire(event: "PreToolUse", input: input("ls"))
        #expect(!allowed.blocked && allowed.decision == .allow)
        #expect(allowed.handlers.count == 1 && allowed.handlers[0].error == nil)
    }

    @Test func evaluatorErrorIsANonBlockingErrorNotAnAllow() async throws {
        let dir = try TempDirectory()
        let (engine, _) = try engine(dir, pluginDirs: [try await plugin(dir, "failing", flags: ["-DFAIL"])])
        let o = await engine.fire(event: "PreToolUse", input: input("ls"))
        #expect(!o.blocked && o.decision == .none)
        let record = try #require(o.handlers.first)
        #expect(record.skipped == nil)
        let error = try #require(record.error)
        #expect(error.contains("judge returned 3") && error.contains("no model configured"))
    }

    @Test func explicitEvaluatorWinsAndNoneSkips() async throws {
        struct AllowAll: HookEvaluator {
            func evaluate(_ request: HookEvaluationRequest) async throws -> HookEvaluation { HookEvaluation(ok: true) }
        }
        let dir = try TempDirectory()
        let project = dir.url("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let host = try PluginHost(paths: KernelPaths(home: dir.url("home"), project: project),
                                  modules: ModuleOptions(builtinDirectories: [], scanner: scanner))
        let composition = try host.compose(pluginDirs: [try await plugin(dir, "judge", flags: ["-DNAME_NULL"])])
        #expect(composition.registry.evaluators.first?.name == "judge#evaluator0")
        let explicit = HookEngine(host: host, composition: composition, evaluator: AllowAll())
        #expect(await explicit.fire(event: "PreToolUse", input: input("deny")).decision == .allow)

        // Without any module evaluator the handler is skipped with the reason, as before.
        var registry = composition.registry
        registry.evaluators = []
        let none = HookEngine(registry: registry, projectDir: project)
        let o = await none.fire(event: "PreToolUse", input: input("deny"))
        #expect(!o.blocked && o.handlers.first?.skipped?.contains("no evaluator registered") == true)

        // An inactive module evaluator (disabled plugin, untrusted project) is never used.
        var inactive = composition.registry
        inactive.evaluators[0].state = .inactive(reason: "project not trusted")
        let o2 = await HookEngine(registry: inactive, projectDir: project).fire(event: "PreToolUse", input: input("deny"))
        #expect(!o2.blocked && o2.handlers.first?.skipped?.contains("no evaluator registered") == true)
        let evaluator = try #require(inactive.evaluators[0].item as? NativeModuleEvaluator)
        #expect(!evaluator.isLoaded)
    }

    @Test func moduleBuiltAgainstABI10StillLoads() async throws {
        // The 1.0 header: minor 0, no register_evaluator in kernel_host.
        let dir = try TempDirectory()
        var header = try String(contentsOfFile: Paths.repoRoot + "/Kernel/ABI/kernel_module.h", encoding: .utf8)
        header = header.replacingOccurrences(of: "#define KERNEL_ABI_MINOR 1", with: "#define KERNEL_ABI_MINOR 0")
        let start = try #require(header.range(of: "    /* ---- ABI 1.1"))
        let end = try #require(header.range(of: "    /* ABI 1.2 and later append here. */"))
        header.removeSubrange(start.lowerBound..<end.lowerBound)
        #expect(!header.contains("int (*register_evaluator)"))
        // Beside the source: `#include "kernel_module.h"` finds it before the -I folder.
        try dir.write("old/modules/kernel_module.h", header)
        try await compileModule(templateSource(), to: dir.url("old/modules/m.so"), flags: ["-DMODULE_NAME=\"old\""])
        let result = ModuleCatalog(options: ModuleOptions(builtinDirectories: [], scanner: scanner), store: nil)
            .scan([ModuleScanJob(path: dir.url("old/modules/m.so"))])[0]
        #expect(result.state == .ok, "\(result.stateDescription)")
        #expect(result.descriptor?.abi == "1.0")
        #expect(!result.hooks.isEmpty && result.evaluators.isEmpty)
        let module = ModuleCatalog.components(of: result, job: ModuleScanJob(path: result.path), fromPlugin: true)
        let hook = try #require(module.nativeHooks.first)
        #expect(hook.invoke(input: Array("forbidden".utf8)).exitCode == 2)
    }

    @Test func cliHooksFireDecidesPromptHooksWithTheModuleEvaluator() async throws {
        let dir = try TempDirectory()
        let pluginDir = try await plugin(dir, "judge")
        let project = dir.url("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        func fire(_ command: String) async throws -> (Int32, [String: Any]) {
            let r = try await runChildOffPool(Paths.kernel, ["hooks", "fire", "PreToolUse", "--json", "--home", dir.url("home"),
                                                             "--project", project, "--plugin-dir", pluginDir],
                                              stdin: String(decoding: input(command), as: UTF8.self))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return (r.status, json)
        }
        let (status, denied) = try await fire("please deny")
        #expect(status == 2)
        #expect(denied["decision"] as? String == "deny" && denied["reason"] as? String == "judge: the prompt asks to deny")
        let (status2, allowed) = try await fire("ls")
        #expect(status2 == 0 && allowed["decision"] as? String == "allow")
    }
}
