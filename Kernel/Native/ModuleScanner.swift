#if canImport(Glibc)
import Glibc
#endif
import KernelCore
import KernelProcess

/// One module to scan, with the plugin context its register sees.
public struct ModuleScanJob: Sendable, Equatable {
    public var path: String
    public var pluginName: String
    public var pluginRoot: String
    public var pluginData: String

    public init(path: String, pluginName: String = "", pluginRoot: String = "", pluginData: String = "") {
        self.path = path
        self.pluginName = pluginName
        self.pluginRoot = pluginRoot
        self.pluginData = pluginData
    }

    var context: ModuleLoader.Context {
        ModuleLoader.Context(pluginName: pluginName, pluginRoot: pluginRoot, pluginData: pluginData)
    }
}

/// Scans modules out of process: one scanner child (the `kernel` executable run as `kernel __scan-modules`) for
/// many modules. The child opens the modules one after the other and writes each result, as one line of JSON, to
/// a private pipe on descriptor 3 before it opens the next; its stdin, stdout and stderr are /dev/null, so a
/// module that prints cannot corrupt the reply. When the child dies, the first module without a result is the
/// one that killed it (recorded as broken with the signal); when no result comes within `timeout`, the child is
/// killed and that module is broken with the timeout. A new child then scans the rest.
public struct ModuleScanner: Sendable {
    /// The hidden subcommand of `kernel` that runs the scanner child.
    package static let childCommand = "__scan-modules"
    static let replyDescriptor: Int32 = 3

    /// The `kernel` executable.
    public var executable: String
    /// Seconds one module may take (dlopen, describe, register) before the child is killed.
    public var timeout: Double

    public init(executable: String? = nil, timeout: Double = 5) {
        self.executable = executable ?? Self.defaultExecutable()
        self.timeout = timeout
    }

    /// This process when it is `kernel`, else a `kernel` beside this process's executable (tests, embedders
    /// shipping it beside their binary); `$KERNEL_EXECUTABLE` overrides both.
    public static func defaultExecutable() -> String {
        if let env = KernelPaths.environmentVariable("KERNEL_EXECUTABLE"), !env.isEmpty { return env }
        let exe = FileSystem.realPath("/proc/self/exe") ?? "/proc/self/exe"
        if FileSystem.baseName(exe) == "kernel" { return exe }
        let dir = String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])
        return dir + "/kernel"
    }

    /// Scans every job; one result per job, in order. Never throws: a scanner that cannot start gives
    /// `skipped` results (not cached).
    public func scan(_ jobs: [ModuleScanJob]) -> [ModuleScanResult] {
        var results: [ModuleScanResult] = []
        results.reserveCapacity(jobs.count)
        while results.count < jobs.count {
            let rest = Array(jobs[results.count...])
            switch runChild(rest) {
            case .failure(.spawn(let message)):
                for job in rest { results.append(ModuleScanResult(path: job.path, state: .skipped, reason: message)) }
            case .success(let (done, culprit)):
                results += done
                if let culprit, results.count < jobs.count { results.append(culprit) }
            }
        }
        return results
    }

    private enum ChildError: Error { case spawn(String) }

    /// Runs one child over `jobs`: the results it wrote, and (if it died or hung) the broken verdict of the
    /// module it was in.
    private func runChild(_ jobs: [ModuleScanJob]) -> Result<([ModuleScanResult], ModuleScanResult?), ChildError> {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return .failure(.spawn("pipe: \(String(cString: strerror(errno)))")) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        let readFd = fds[0]
        // Keep the write end off descriptors 0-3 so that dup2 onto 3 always clears close-on-exec.
        let writeFd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
        close(fds[1])
        defer { close(readFd) }

        var arguments = [Self.childCommand]
        for job in jobs { arguments += [job.path, job.pluginName, job.pluginRoot, job.pluginData] }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(executable, arguments, descriptors: [Self.replyDescriptor: .inherit(writeFd)],
                                         environment: Self.childEnvironment())
        } catch {
            close(writeFd)
            return .failure(.spawn("cannot start the scanner \(executable): \(String(cString: strerror(error.errno)))"))
        }
        close(writeFd)

        var done: [ModuleScanResult] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var deadline = Self.now() + timeout
        var timedOut = false
        reading: while done.count < jobs.count {
            let remaining = deadline - Self.now()
            if remaining <= 0 { timedOut = true; break }
            var pfd = pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining * 1000 + 1, 1_000_000)))
            if ready < 0 { if errno == EINTR { continue }; break }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(readFd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }  // the child exited (or died)
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                let job = jobs[done.count]
                if var result = ModuleScanResult(decoding: line), result.path == job.path {
                    result.path = job.path
                    done.append(result)
                } else {
                    done.append(ModuleScanResult(path: job.path, state: .broken, reason: "the scanner sent an unreadable reply"))
                }
                deadline = Self.now() + timeout
                if done.count == jobs.count { break reading }
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        let status = ChildProcess.wait(pid)
        guard done.count < jobs.count else { return .success((done, nil)) }
        let path = jobs[done.count].path
        if timedOut {
            return .success((done, ModuleScanResult(path: path, state: .broken,
                                                    reason: "timed out after \(Self.seconds(timeout)) (killed)")))
        }
        switch status {
        case .signaled(let signal):
            return .success((done, ModuleScanResult(path: path, state: .broken,
                                                    reason: "crashed the scanner: signal \(signal) (\(Self.signalName(signal)))",
                                                    signal: signal)))
        case .exited(let code):
            return .success((done, ModuleScanResult(path: path, state: .broken,
                                                reason: "the scanner exited with status \(code) while loading it")))
        }
    }

    /// This process's environment with the Swift runtime's crash backtracer off: a module that crashes the
    /// child must end it at once (symbolicating a backtrace takes seconds, longer than a scan's timeout on a
    /// loaded machine, and nobody reads the child's stderr).
    static func childEnvironment() -> [String] {
        var env: [String] = []
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if !s.hasPrefix("SWIFT_BACKTRACE=") { env.append(s) }
            p += 1
        }
        return env + ["SWIFT_BACKTRACE=enable=no"]
    }

    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }

    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

/// The scanner child: `kernel __scan-modules <path> <plugin name> <plugin root> <plugin data> …`.
package enum ModuleScannerChild {
    /// Scans each module in turn and writes its result to descriptor 3 before opening the next. Exits 0.
    package static func main(_ arguments: [String]) -> Never {
        var i = 0
        while i + 3 < arguments.count {
            let job = ModuleScanJob(path: arguments[i], pluginName: arguments[i + 1], pluginRoot: arguments[i + 2],
                                    pluginData: arguments[i + 3])
            let line = ModuleScanResult.scanInProcess(job.path, context: job.context).encoded() + "\n"
            guard FileSystem.writeAll(ModuleScanner.replyDescriptor, Array(line.utf8)) else { exit(3) }
            i += 4
        }
        exit(0)
    }
}
