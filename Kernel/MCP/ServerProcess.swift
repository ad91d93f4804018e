#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import KernelProcess

/// glibc's `pipe2`, declared only under `_GNU_SOURCE`: the pipe is close-on-exec from the start, so a server
/// started at the same moment on another thread cannot inherit it.
@_silgen_name("pipe2")
private func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// A stdio MCP server's process: started through the kernel's spawn helper in a session of its own (so its whole
/// process group can be signalled), its stdin and stdout one end of a socket pair (writes use `MSG_NOSIGNAL`: a
/// server that dies never raises SIGPIPE in the host, whose signal dispositions stay as they are), its stderr a pipe
/// drained into a bounded capture. A reaping thread waits for it from the start, so it never stays a zombie.
final class ServerProcess: @unchecked Sendable {
    let pid: pid_t
    /// The kernel's end of the socket pair: the server's stdin and stdout.
    let socket: Int32
    let stderr: BoundedCapture
    let tripwire: Tripwire
    private let exited = DispatchSemaphore(value: 0)
    private let stderrDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var status: ChildProcess.Status?
    private var closing = false

    /// Starts `executable`. The tripwire is tripped when the process ends (unless it is being closed).
    init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
         stderrLimit: Int, tripwire: Tripwire) throws(MCPFailure) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw MCPFailure(.spawn, "cannot create the server's stdio socket pair: \(String(cString: strerror(errno)))")
        }
        var err: [Int32] = [-1, -1]
        guard pipe2(&err, O_CLOEXEC) == 0 else {
            close(pair[0]); close(pair[1])
            throw MCPFailure(.spawn, "cannot create the server's stderr pipe: \(String(cString: strerror(errno)))")
        }
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        do {
            pid = try ChildProcess.spawn(executable, arguments,
                                         descriptors: [0: .inherit(pair[1]), 1: .inherit(pair[1]), 2: .inherit(err[1])],
                                         newSession: true, environment: env, workingDirectory: workingDirectory)
        } catch {
            close(pair[0]); close(pair[1]); close(err[0]); close(err[1])
            throw MCPFailure(.spawn, error.description)
        }
        close(pair[1])
        close(err[1])
        socket = pair[0]
        stderr = BoundedCapture(limit: stderrLimit)
        self.tripwire = tripwire
        let errFD = err[0]
        let capture = stderr
        let done = stderrDone
        let drain = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(errFD, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer.withUnsafeBytes { capture.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
            close(errFD)
            done.signal()
        }
        drain.name = "kernel-mcp-stderr"
        drain.start()
        let reaper = Thread { [self] in reap() }
        reaper.name = "kernel-mcp-reap"
        reaper.start()
    }

    private func reap() {
        let s = ChildProcess.wait(pid)
        // Let the stderr drain catch up (a grandchild may hold the pipe open: bounded wait).
        _ = stderrDone.wait(timeout: .now() + 0.2)
        lock.lock()
        status = s
        let wasClosing = closing
        lock.unlock()
        exited.signal()
        if !wasClosing {
            let message: String
            var failure: MCPFailure
            switch s {
            case .exited(let code):
                message = "the server exited with status \(code)"
                failure = MCPFailure(.exited, message, exitStatus: code)
            case .signaled(let sig):
                message = "the server was killed by signal \(sig) (\(String(cString: strsignal(sig))))"
                failure = MCPFailure(.exited, message, signal: sig)
            }
            failure.stderr = stderr.text
            tripwire.trip(failure)
        }
    }

    /// How the process ended; nil while it runs.
    var exitStatus: ChildProcess.Status? {
        lock.lock()
        defer { lock.unlock() }
        return status
    }

    /// Writes all of `bytes` to the server's stdin.
    func write(_ bytes: [UInt8]) throws(MCPFailure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                throw tripwire.failure ?? MCPFailure(.exited, "cannot write to the server's stdin: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Ends the server: its stdin closed, SIGTERM to its process group, `grace` seconds, SIGKILL to the group;
    /// returns once it has been reaped.
    func terminate(grace: Double) {
        lock.lock()
        closing = status == nil
        lock.unlock()
        shutdown(socket, Int32(SHUT_WR))
        killpg(pid, SIGTERM)
        if exited.wait(timeout: .now() + grace) == .timedOut {
            killpg(pid, SIGKILL)
            exited.wait()
        } else {
            exited.signal()
        }
        // Whatever of the group outlived its leader (a process group id is not reused while it has members).
        killpg(pid, SIGKILL)
        shutdown(socket, Int32(SHUT_RDWR))
    }
}
