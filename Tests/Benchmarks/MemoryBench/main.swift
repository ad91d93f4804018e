// `kernel-memory-bench <cwd> <home> <file> [runs]`: the in-process cost of the on-demand walk.
//
// For each run a fresh `MemoryContext` reads the start's memory for <cwd> (not timed), then one `access(file)`
// is timed: the walk from the file's folder to the git root (new folders scanned, every level's file-scoped
// rules matched, user rules matched). A second access of a sibling file (folders already scanned) is timed too.
// Prints medians in microseconds: wall time, and the thread's CPU time (what the walk itself costs when other
// processes share the cores).
import Foundation
import KernelCore
import KernelMemory

let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write(Data("usage: kernel-memory-bench <cwd> <home> <file> [runs]\n".utf8))
    exit(64)
}
let runs = args.count > 4 ? Int(args[4]) ?? 200 : 200
let options = MemoryOptions(home: args[2], userHome: NSHomeDirectory(), cwd: args[1], trusted: true)
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func cpu() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
var start: [Double] = [], first: [Double] = [], again: [Double] = []
var startCPU: [Double] = [], firstCPU: [Double] = [], againCPU: [Double] = []
var added = 0
for _ in 0..<runs {
    let (t0, c0) = (now(), cpu())
    let memory = MemoryContext(options)
    let (t1, c1) = (now(), cpu())
    added = memory.access(args[3]).count
    let (t2, c2) = (now(), cpu())
    _ = memory.access((args[3] as NSString).deletingLastPathComponent + "/sibling.ts")
    let (t3, c3) = (now(), cpu())
    start.append(Double(t1 - t0) / 1000)
    first.append(Double(t2 - t1) / 1000)
    again.append(Double(t3 - t2) / 1000)
    startCPU.append(Double(c1 - c0) / 1000)
    firstCPU.append(Double(c2 - c1) / 1000)
    againCPU.append(Double(c3 - c2) / 1000)
}
func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
print(String(format: "start (in process): %.1f us wall, %.1f us CPU; items %d", median(start), median(startCPU),
             MemoryContext(options).items.count))
print(String(format: "on-demand access, first file: %.1f us wall, %.1f us CPU (%d items added)", median(first), median(firstCPU), added))
print(String(format: "on-demand access, a sibling file: %.1f us wall, %.1f us CPU", median(again), median(againCPU)))

// `MEMORY_BENCH_PROFILE=N`: N more accesses of the sibling on one context (to profile the walk alone).
if let n = ProcessInfo.processInfo.environment["MEMORY_BENCH_PROFILE"].flatMap(Int.init) {
    let memory = MemoryContext(options)
    _ = memory.access(args[3])
    let c0 = cpu()
    for _ in 0..<n { _ = memory.access((args[3] as NSString).deletingLastPathComponent + "/sibling.ts") }
    print(String(format: "profile: %.1f us CPU per sibling access", Double(cpu() - c0) / 1000 / Double(n)))
}
