// `kernel-mcp-bench calls N COMMAND [ARGS…]`: opens one MCPSession with the stdio server COMMAND ARGS, calls its
// `echo` tool N times (after 20 warm-up calls) and prints one JSON object: the median, p90 and mean wall time per
// call in microseconds, and the time to initialize. mcp_bench.py compares it with the same calls made by a bare
// client, to get the kernel's own overhead per call.
import Foundation
import KernelCore
import KernelMCP

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3, args[0] == "calls", let n = Int(args[1]) else {
    FileHandle.standardError.write(Data("usage: kernel-mcp-bench calls N COMMAND [ARGS…]\n".utf8))
    exit(64)
}
let server: JSONValue = .object([("command", .string(args[2])), ("args", .strings(Array(args.dropFirst(3))))])
var diagnostics = Diagnostics()
let root = try JSONReader.parse(JSONValue.object([("bench", server)]).serialized(pretty: false)).root
let definition = MCPParser.parseServers(root, file: "<bench>", diagnostics: &diagnostics)[0]
let target = MCPServerTarget(entry: RegistryEntry(name: "bench", item: definition, provenance: Provenance(source: .user)),
                             projectDir: FileManager.default.currentDirectoryPath)

let done = DispatchSemaphore(value: 0)
Task.detached {
    do {
        let session = try await MCPSession.open(target)
        for _ in 0..<20 { _ = try await session.callTool("echo", arguments: ["text": "warm"]) }
        var samples: [Double] = []
        for i in 0..<n {
            let start = ContinuousClock.now
            _ = try await session.callTool("echo", arguments: ["text": "call \(i)"])
            let d = ContinuousClock.now - start
            samples.append(Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
        }
        await session.close()
        samples.sort()
        let mean = samples.reduce(0, +) / Double(samples.count)
        print(JSONValue.object([
            ("calls", .int(n)), ("medianMicros", .double(samples[samples.count / 2].rounded())),
            ("p90Micros", .double(samples[samples.count * 9 / 10].rounded())), ("meanMicros", .double(mean.rounded())),
            ("initializeMs", .double((session.initializeSeconds * 10_000).rounded() / 10)),
        ]).serialized(pretty: false))
    } catch {
        FileHandle.standardError.write(Data("bench failed: \(error)\n".utf8))
        exit(1)
    }
    done.signal()
}
done.wait()
