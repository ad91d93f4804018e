#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), declared only under `_GNU_SOURCE`, which the Glibc
/// module is not built with.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

/// The kernel's one way to start a child with `posix_spawn`: what its descriptors 0, 1, 2 (and any others) are,
/// whether it leads a new session, and who waits for it. Used by the module scanner (a child that replies on
/// descriptor 3) and by detached background hook runners; hook handlers themselves run through
/// ``CommandRunner`` (swift-subprocess: captured output, time limits).
///
/// Every child started here is waited for: ``wait(_:)`` by the caller, or ``reapInBackground(_:)`` for a child
/// nobody waits on (a long-lived embedder must not collect zombies).
package enum ChildProcess {
    /// What one of the child's descriptors is.
    package enum Descriptor: Sendable {
        /// `/dev/null`, opened read-only for descriptor 0 and write-only for the others.
        case null
        /// A descriptor of this process, duplicated onto the target (its close-on-exec flag is cleared).
        case inherit(Int32)
    }

    /// How a child ended.
    package enum Status: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        init(_ raw: Int32) {
            let signal = raw & 0x7f
            self = signal != 0 && signal != 0x7f ? .signaled(signal) : .exited((raw >> 8) & 0xff)
        }
    }

    package struct SpawnError: Error, CustomStringConvertible, Sendable {
        package var executable: String
        package var errno: Int32
        package var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
    }

    /// Starts `executable` (an absolute path) with `arguments` (not including argv[0]).
    /// - Parameters:
    ///   - descriptors: target descriptor → what it is; 0, 1 and 2 default to `/dev/null`.
    ///   - newSession: the child calls `setsid` (no controlling terminal, its own process group).
    ///   - environment: `KEY=value` strings; nil inherits this process's environment.
    ///   - workingDirectory: the child's working directory; nil keeps this process's.
    /// - Returns: the child's pid.
    package static func spawn(_ executable: String, _ arguments: [String], descriptors: [Int32: Descriptor] = [:],
                              newSession: Bool = false, environment: [String]? = nil,
                              workingDirectory: String? = nil) throws(SpawnError) -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        if newSession { posix_spawnattr_setflags(&attr, 0x80) }  // POSIX_SPAWN_SETSID (glibc 2.26), not imported
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var all = descriptors
        for fd in Int32(0)...2 where all[fd] == nil { all[fd] = .null }
        for (target, what) in all.sorted(by: { $0.key < $1.key }) {
            switch what {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .inherit(let source): posix_spawn_file_actions_adddup2(&actions, source, target)
            }
        }
        if let workingDirectory { _ = spawnAddChdir(&actions, workingDirectory) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer { for p in envp ?? [] { free(p) } }
        var pid: pid_t = 0
        let rc = envp.map { posix_spawn(&pid, executable, &actions, &attr, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attr, argv, environ)
        if rc != 0 { throw SpawnError(executable: executable, errno: rc) }
        return pid
    }

    /// Waits for the child to end (retrying on EINTR).
    @discardableResult
    package static func wait(_ pid: pid_t) -> Status {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        return Status(status)
    }

    /// Waits for the child on a thread of its own, so that it leaves no zombie when nobody else waits for it.
    package static func reapInBackground(_ pid: pid_t) {
        let thread = Thread { wait(pid) }
        thread.name = "kernel-reap"
        thread.start()
    }

    /// A descriptor reading `bytes` from the start: an unlinked temporary file, so that a child that never
    /// reads it (or exits early) cannot make a writer block or get SIGPIPE.
    package static func inputFile(_ bytes: [UInt8]) -> Int32? {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/kernel-input-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { close(fd); return nil }
            offset += n
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}

extension ChildProcess {
    /// What ``capture(_:_:environment:timeout:stderrToTerminal:limit:)`` saw.
    package struct Captured: Sendable {
        package var status: Status
        package var stdout: [UInt8]
        package var stderr: [UInt8]
        /// The child was killed because it ran past the timeout.
        package var timedOut: Bool
    }

    /// The absolute path of `name` on `PATH` (as `execvp` would find it); nil when there is none.
    package static func which(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = String(dir) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `executable` to its end with stdin on `/dev/null`, capturing stdout and stderr (at most `limit`
    /// bytes each; the rest is drained and dropped). Past `timeout` seconds the child gets SIGTERM, then SIGKILL
    /// a second later, and the run returns with `timedOut`. With `stderrToTerminal` the child's stderr is this
    /// process's (progress shown to a person) and not captured.
    package static func capture(_ executable: String, _ arguments: [String], environment: [String]? = nil,
                                timeout: Double, stderrToTerminal: Bool = false,
                                limit: Int = 1 << 20) throws(SpawnError) -> Captured {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        func cloexecPipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard cloexecPipe(&outPipe) else { throw SpawnError(executable: executable, errno: errno) }
        guard stderrToTerminal || cloexecPipe(&errPipe) else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnError(executable: executable, errno: errno)
        }
        var descriptors: [Int32: Descriptor] = [1: .inherit(outPipe[1])]
        descriptors[2] = stderrToTerminal ? .inherit(2) : .inherit(errPipe[1])
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, descriptors: descriptors, environment: environment)
        } catch {
            for fd in outPipe + errPipe where fd >= 0 { close(fd) }
            throw error
        }
        close(outPipe[1])
        if errPipe[1] >= 0 { close(errPipe[1]) }
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [outPipe[0]] + (errPipe[0] >= 0 ? [errPipe[0]] : [])
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 1) * 1000) + 1)
            if n < 0 && errno != EINTR { break }
            for p in fds where p.revents != 0 {
                let count = read(p.fd, &buffer, buffer.count)
                if count <= 0 {
                    close(p.fd)
                    open.removeAll { $0 == p.fd }
                    continue
                }
                if p.fd == outPipe[0] {
                    out.append(contentsOf: buffer.prefix(max(0, min(count, limit - out.count))))
                } else {
                    err.append(contentsOf: buffer.prefix(max(0, min(count, limit - err.count))))
                }
            }
        }
        for fd in open { close(fd) }
        if timedOut {
            kill(pid, SIGTERM)
            let graceEnd = Date().addingTimeInterval(1)
            var raw: Int32 = 0
            while true {
                let r = waitpid(pid, &raw, WNOHANG)
                if r == pid { return Captured(status: Status(raw), stdout: out, stderr: err, timedOut: true) }
                if r < 0 && errno != EINTR { return Captured(status: .exited(-1), stdout: out, stderr: err, timedOut: true) }
                if Date() > graceEnd { break }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
            return Captured(status: wait(pid), stdout: out, stderr: err, timedOut: true)
        }
        return Captured(status: wait(pid), stdout: out, stderr: err, timedOut: false)
    }
}
