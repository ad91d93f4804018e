import Foundation
import Glibc
import KernelCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a handler process did.
package struct ProcessResult: Sendable {
    package var exitCode: Int32?
    package var signal: Int32?
    package var stdout: [UInt8] = []
    package var stderr: [UInt8] = []
    package var stdoutOverflow = false
    package var stderrOverflow = false
    package var timedOut = false
    /// The process could not be started.
    package var spawnError: String?

    package init() {}
}

/// Runs one handler process: in its own process group, the event JSON on stdin, stdout and stderr captured up
/// to a limit each; on timeout SIGTERM to the group, a grace period, then SIGKILL to the group.
///
/// Stdin is an unlinked temporary file holding the input, not a pipe: a handler that exits without reading it
/// cannot raise SIGPIPE in the host, so the kernel never changes the process's SIGPIPE disposition.
package enum CommandRunner {
    package static func run(executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
                    input: [UInt8], timeout: Double, grace: Double, limit: Int) async -> ProcessResult {
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group led by the handler
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(Int(grace * 1000)))]
        var env: [Environment.Key: String?] = [:]
        for (k, v) in environment { env[Environment.Key(stringLiteral: k)] = v }
        let exe: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        let config = Configuration(executable: exe, arguments: Arguments(arguments), environment: .inherit.updating(env),
                                   workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options)
        let timedOut = AtomicFlag()
        guard let inputFD = ChildProcess.inputFile(input) else {
            var r = ProcessResult()
            r.spawnError = "cannot run \(executable): cannot write its input to a temporary file: \(String(cString: strerror(errno)))"
            return r
        }
        do {
            let stdin = FileDescriptor(rawValue: inputFD)
            let result = try await Subprocess.run(config, input: .fileDescriptor(stdin, closeAfterSpawningProcess: true),
                                                  output: .sequence, error: .sequence) { execution in
                let deadline = GroupDeadline(group: execution.processIdentifier.value, timeout: timeout, grace: grace)
                async let out = collect(execution.standardOutput, limit: limit)
                async let err = collect(execution.standardError, limit: limit)
                let (o, e) = await (out, err)
                if await deadline.finish() { timedOut.set() }
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
    package static func collect(_ sequence: SubprocessOutputSequence, limit: Int) async -> ([UInt8], Bool) {
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
