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
