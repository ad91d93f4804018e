import Foundation
import KernelCore

/// `kernel __bench-native-hook <module.so> [calls]`: scans the module (out of process, no cache), then calls
/// its first native hook handler `calls` times in this process with a PreToolUse input and prints the time per
/// call. Used by Tests/Benchmarks/module_bench.py; hidden from help.
public enum NativeHookBenchmark {
    public static let command = "__bench-native-hook"

    public static func main(_ arguments: [String]) -> Never {
        guard let path = arguments.first else {
            print("usage: kernel \(command) <module.so> [calls]")
            exit(64)
        }
        let calls = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
        let job = ModuleScanJob(path: path)
        let catalog = ModuleCatalog(options: ModuleOptions(builtinDirectories: []), store: nil)
        let result = catalog.scan([job])[0]
        let module = ModuleCatalog.components(of: result, job: job, fromPlugin: true)
        guard let handler = module.nativeHooks.first else {
            print("no native hook in \(path): \(result.stateDescription)")
            exit(1)
        }
        let input = Array(#"{"session_id":"bench","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status --short"}}"#.utf8)
        let first = ModuleScanner.now()
        _ = handler.invoke(input: input)  // the lazy dlopen + register
        let loaded = ModuleScanner.now()
        var exitCodes = 0
        for _ in 0..<calls { exitCodes &+= Int(handler.invoke(input: input).exitCode) }
        let end = ModuleScanner.now()
        let perCall = (end - loaded) / Double(calls) * 1e6
        print("first call (dlopen + register + call): \(String(format: "%.1f", (loaded - first) * 1e6)) µs")
        print("per call over \(calls) calls: \(String(format: "%.3f", perCall)) µs (exit codes sum \(exitCodes))")
        exit(0)
    }
}
