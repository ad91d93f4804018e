import Foundation
import Glibc
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a handler process did.
struct ProcessResult: Sendable {
    var exitCode: Int32?
    var signal: Int32?
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    var stdoutOverflow = false
    var stderrOverflow = false
    var timedOut = false
    /// The process could not be started.
    var spawnError: String?
}

/// Runs one handler process: in its own process group, the event JSON on stdin, stdout and stderr captured up
/// to a limit each; on timeout SIGTERM to the group, a grace period, then SIGKILL to the group.
enum CommandRunner {
    static func run(executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
                    input: [UInt8], timeout: Double, grace: Double, limit: Int) async -> ProcessResult {
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group led by the handler
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(Int(grace * 1000)))]
        var env: [Environment.Key: String?] = [:]
        for (k, v) in environment { env[Environment.Key(stringLiteral: k)] = v }
        let exe: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        let config = Configuration(executable: exe, arguments: Arguments(arguments), environment: .inherit.updating(env),
                                   workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options)
        let timedOut = Flag()
        do {
            let result = try await Subprocess.run(config, input: .inputWriter, output: .sequence, error: .sequence) { execution in
                let pgid = execution.processIdentifier.value
                // The kill sequence runs on a Dispatch timer, not a Task: a host whose cooperative pool is busy
                // (or blocked) must still have its handlers killed on time.
                let killed = DispatchSemaphore(value: 0)
                let timer = DispatchWorkItem {
                    timedOut.set()
                    killpg(pgid, SIGTERM)
                    DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                        killpg(pgid, SIGKILL)
                        killed.signal()
                    }
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
                let writer = execution.standardInputWriter
                async let written: Void = {
                    if !input.isEmpty { _ = try? await writer.write(input) }
                    try? await writer.finish()
                }()
                async let out = collect(execution.standardOutput, limit: limit)
                async let err = collect(execution.standardError, limit: limit)
                let (o, e) = await (out, err)
                await written
                timer.cancel()
                if timedOut.isSet {
                    // The whole group gets its SIGKILL after the grace period; wait for it off the pool.
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        DispatchQueue.global().async { killed.wait(); c.resume() }
                    }
                }
                return (o, e)
            }
            var r = ProcessResult()
            (r.stdout, r.stdoutOverflow) = result.closureResult.0
            (r.stderr, r.stderrOverflow) = result.closureResult.1
            r.timedOut = timedOut.isSet
            switch result.terminationStatus {
            case .exited(let code): r.exitCode = Int32(code)
            case .signaled(let sig): r.signal = Int32(sig)
            }
            return r
        } catch {
            var r = ProcessResult()
            r.spawnError = "cannot run \(executable): \(error)"
            return r
        }
    }

    /// Reads a stream to its end, keeping at most `limit` bytes (the rest is drained and dropped).
    static func collect(_ sequence: SubprocessOutputSequence, limit: Int) async -> ([UInt8], Bool) {
        var bytes: [UInt8] = []
        var overflow = false
        do {
            for try await buffer in sequence {
                if overflow { continue }
                buffer.withUnsafeBytes { raw in
                    let room = limit - bytes.count
                    if raw.count > room {
                        bytes.append(contentsOf: raw.prefix(room))
                        overflow = true
                    } else {
                        bytes.append(contentsOf: raw)
                    }
                }
            }
        } catch {
            // Cancelled when the process ended while a child still held the pipe: keep what was read.
        }
        return (bytes, overflow)
    }
}

/// A flag set once, read from other tasks.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// For benchmarks: runs `count` copies of `command` concurrently exactly as command handlers are run (bash -c,
/// own process group, the input on stdin, output captured), so the engine's overhead can be measured as the
/// difference.
public enum HookProcessBaseline {
    public static func run(count: Int, command: String, input: [UInt8]) async {
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
