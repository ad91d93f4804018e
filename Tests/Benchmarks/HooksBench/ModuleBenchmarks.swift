// module_bench.py's in-process figures: `kernel-bench native-hook …` and `kernel-bench modules-warm …`.
import Foundation
import KernelCore
import KernelNative
import KernelProcess
import KernelStore

/// `kernel-bench native-hook <module.so> [calls]`: scans the module (out of process, no cache), then calls
/// its first native hook handler `calls` times in this process with a PreToolUse input and prints the time per
/// call.
enum NativeHookBenchmark {
    static let command = "native-hook"

    static func main(_ arguments: [String]) -> Never {
        guard let path = arguments.first else {
            print("usage: kernel-bench \(command) <module.so> [calls]")
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

/// `kernel-bench modules-warm <home> <module.so>…`: the warm path in this process, against the stat floor
/// of the same files: stat only; stat + cache lookup (the verdicts, no module opened); + decoding the
/// results; + parsing what they contribute. Run it after a listing has cached the scans.
enum ModuleWarmBenchmark {
    static let command = "modules-warm"

    static func main(_ arguments: [String]) -> Never {
        guard arguments.count > 1, let store = try? KernelStore(path: arguments[0] + "/plugins/kernel.sqlite") else {
            print("usage: kernel-bench \(command) <home> <module.so>…")
            exit(64)
        }
        let paths = Array(arguments.dropFirst())
        let jobs = paths.map { ModuleScanJob(path: $0) }
        let catalog = ModuleCatalog(options: ModuleOptions(builtinDirectories: []), store: store)
        _ = catalog.scan(jobs)  // warm the page cache and the store
        func best(_ body: () -> Void) -> Double {
            var times: [Double] = []
            for _ in 0..<15 {
                let t = ModuleScanner.now()
                body()
                times.append(ModuleScanner.now() - t)
            }
            return times.min()! * 1e3
        }
        let stat = best { for p in paths { _ = FileKey.stat(p) } }
        var hits = 0
        let lookup = best { hits = catalog.verdicts(jobs).count }
        var results: [ModuleScanResult] = []
        let decode = best { results = catalog.scan(jobs) }
        let opened = results.filter { !$0.fromCache }.count
        let parse = best { for (r, j) in zip(results, jobs) { _ = ModuleCatalog.components(of: r, job: j, fromPlugin: true) } }
        print(String(format: "%d modules: stat floor %.3f ms; stat + cached verdicts %.3f ms (%.2fx); + decoded results %.3f ms; "
                     + "parsing contributions %.3f ms; scanned again: %d; hits %d", paths.count, stat, lookup, lookup / stat,
                     decode, parse, opened, hits))
        exit(0)
    }
}

/// Runs `count` copies of `command` concurrently exactly as command handlers are run (bash -c, own process
/// group, the input on stdin, output captured), so the engine's overhead can be measured as the difference.
enum HookProcessBaseline {
    static func run(count: Int, command: String, input: [UInt8]) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask {
                    _ = await CommandRunner.run(executable: "/bin/bash", arguments: ["-c", command], environment: [:],
                                                workingDirectory: nil, input: input, timeout: 600, grace: 1, limit: 1 << 20)
                }
            }
        }
    }
}
