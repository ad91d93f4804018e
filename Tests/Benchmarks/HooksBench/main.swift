// Hook engine benchmark: `swift run -c release kernel-bench [iterations]`.
//
// 1. 50 configured PreToolUse groups, 5 of which match (command `true`): the time of a fire, the time of 5 bare
//    `true` processes spawned the same way (concurrently, bash -c, own process group, stdin), and the
//    difference — the kernel's own overhead (target ≤ 5 ms).
// 2. A native handler fired through the library API (target ≤ 5 µs per call).
import Foundation
import KernelCore
import KernelHooks

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == NativeHookBenchmark.command {
    NativeHookBenchmark.main(Array(CommandLine.arguments.dropFirst(2)))
}
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == ModuleWarmBenchmark.command {
    ModuleWarmBenchmark.main(Array(CommandLine.arguments.dropFirst(2)))
}

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 40 : 40

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func ms(_ d: Duration) -> Double {
    let (s, a) = d.components
    return Double(s) * 1000 + Double(a) / 1e15
}

// 50 groups: 45 that do not match (exact names, alternations, regexes), 5 that match Bash.
var groups: [String] = []
for i in 0..<50 {
    let matcher: String
    if i % 10 == 3 { matcher = "Bash" }
    else if i % 3 == 0 { matcher = "Tool\(i)" }
    else if i % 3 == 1 { matcher = "Write|Edit\(i)" }
    else { matcher = "mcp__server\(i)__.*" }
    // `true <i>`: distinct commands, since identical handlers from settings files run once.
    groups.append(#"{"matcher": "\#(matcher)", "hooks": [{"type": "command", "command": "true \#(i)"}]}"#)
}
let config = #"{"PreToolUse": [\#(groups.joined(separator: ","))]}"#
var diagnostics = Diagnostics()
let (node, _) = try JSONReader.parse(config)
var registry = Registry()
for g in HooksParser.parseEventMap(node, file: "bench.json", diagnostics: &diagnostics) {
    registry.hooks.append(RegistryEntry(name: g.event, item: g, provenance: Provenance(source: .user, scope: .user)))
}
let engine = HookEngine(registry: registry, projectDir: FileManager.default.currentDirectoryPath)
let input = Array(#"{"session_id":"bench","cwd":"/tmp","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls -la"}}"#.utf8)

// Warm up both paths.
for _ in 0..<5 {
    let o = await engine.fire(event: "PreToolUse", input: input)
    precondition(o.handlers.count == 5 && o.handlers.allSatisfy { $0.exitCode == 0 }, "expected 5 successful handlers")
    await HookProcessBaseline.run(count: 5, command: "true", input: input)
}
var fireTimes: [Double] = []
var bareTimes: [Double] = []
for _ in 0..<iterations {
    var t = ContinuousClock.now
    _ = await engine.fire(event: "PreToolUse", input: input)
    fireTimes.append(ms(ContinuousClock.now - t))
    t = ContinuousClock.now
    await HookProcessBaseline.run(count: 5, command: "true", input: input)
    bareTimes.append(ms(ContinuousClock.now - t))
}
let fire = median(fireTimes), bare = median(bareTimes)
print("hooks: 50 groups, 5 matching `true` (median of \(iterations)):")
print(String(format: "  fire (engine, in-process)   %7.3f ms", fire))
print(String(format: "  5 bare `true` processes     %7.3f ms", bare))
print(String(format: "  kernel overhead             %7.3f ms   (target ≤ 5 ms)", fire - bare))

// Matching alone: the same 50 groups, none matching (no process).
let none = Array(#"{"tool_name":"Read","tool_input":{"file_path":"/x"}}"#.utf8)
var t0 = ContinuousClock.now
let matchRounds = 20_000
for _ in 0..<matchRounds { _ = await engine.fire(event: "PreToolUse", input: none) }
print(String(format: "  matching 50 groups, no hit  %7.3f µs per fire", ms(ContinuousClock.now - t0) * 1000 / Double(matchRounds)))

// Native handler through the library API.
struct Allow: NativeHookHandler {
    let event = "PreToolUse"
    let matcher: String? = "Bash"
    let name = "bench:allow"
    func invoke(input: [UInt8]) -> NativeHookResult { NativeHookResult(exitCode: 0) }
}
var nativeRegistry = Registry()
nativeRegistry.nativeHooks.append(RegistryEntry(name: "bench:allow", item: Allow(), provenance: Provenance(source: .module)))
let nativeEngine = HookEngine(registry: nativeRegistry, projectDir: "/tmp")
let calls = 200_000
for _ in 0..<1000 { _ = await nativeEngine.fire(event: "PreToolUse", input: input) }
t0 = ContinuousClock.now
var handlers = 0
for _ in 0..<calls { handlers &+= await nativeEngine.fire(event: "PreToolUse", input: input).handlers.count }
precondition(handlers == calls)
let perCall = ms(ContinuousClock.now - t0) * 1e6 / Double(calls)
print(String(format: "native handler via HookEngine.fire: %.0f ns per call (target ≤ 5000 ns)", perCall))
