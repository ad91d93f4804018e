// Temporary folders and child processes for tests: the one helper each test target uses.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test process ignores SIGPIPE, as a host embedding the kernel typically does (a test that writes to a
/// child or a socket that went away gets EPIPE, not a dead test run). The kernel's library never changes the
/// disposition itself: its hook handlers read their input from a file. Called by every helper here.
public let ignoreSIGPIPEInTests: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// A fresh folder under the system temp folder (its physical path, so comparisons with getcwd-style paths
/// hold), removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "kernel-test") throws {
        ignoreSIGPIPEInTests
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = URL(fileURLWithPath: String(cString: p)).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The folder as a file URL.
    public var fileURL: URL { URL(fileURLWithPath: path) }

    /// The absolute path of `relative` inside the folder.
    public func url(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    public func mkdir(_ relative: String) throws -> String {
        let p = url(relative)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    /// Writes `text` at `relative` (folders created); `executable` sets mode 755. Returns the absolute path.
    @discardableResult
    public func write(_ relative: String, _ text: String, executable: Bool = false) throws -> String {
        let p = url(relative)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        if executable { chmod(p, 0o755) }
        return p
    }

    public func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: url(relative))), as: UTF8.self)
    }
}

/// What a child process did.
public struct ChildRun: Sendable {
    public var pid: Int32
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` to its end with `stdin` as its input, reading stdout and stderr at the same time (a child
/// that fills one pipe while the test waits on the other would deadlock; each pipe holds 64 KiB).
public func runChild(_ executable: String, _ arguments: [String], cwd: String? = nil,
                     environment: [String: String] = [:], stdin: String? = nil) throws -> ChildRun {
    ignoreSIGPIPEInTests
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    // stdin from a file (written before the child starts), not a pipe: a child that exits without reading it
    // (an unknown hook event) cannot make the write fail.
    var input: FileHandle?
    if let stdin {
        let file = NSTemporaryDirectory() + "/kernel-stdin-\(UUID().uuidString)"
        try Data(stdin.utf8).write(to: URL(fileURLWithPath: file))
        input = FileHandle(forReadingAtPath: file)
        unlink(file)
    }
    process.standardInput = input ?? FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    try? input?.close()
    process.waitUntilExit()
    return ChildRun(pid: process.processIdentifier, status: process.terminationStatus,
                    stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `body` on a Dispatch thread and resumes when it returns. What an async test does with a wait that blocks
/// (a child process, a pipe, a sleep, a server coming up): the cooperative pool has one thread per core, so on 2
/// cores two tests blocked on it stall every other async test of the run (an MCP session's timeout can lapse
/// before its answer is read). Sync tests run on the pool too: an async test calling this is the way off it.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// `runChild`, waited for off the cooperative pool (see `offPool`): what an async test runs a child with.
public func runChildOffPool(_ executable: String, _ arguments: [String], cwd: String? = nil,
                            environment: [String: String] = [:], stdin: String? = nil) async throws -> ChildRun {
    try await offPool { try runChild(executable, arguments, cwd: cwd, environment: environment, stdin: stdin) }
}

/// Waits until `condition` holds, checking every few milliseconds, for at most `timeout` seconds (a generous
/// safety net, not a bound the test asserts): what tests use instead of asserting wall-clock durations.
/// - Returns: whether the condition came true.
@discardableResult
public func waitUntil(timeout: Double = 120, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(5_000)
    }
    return try condition()
}

/// Overwrites `path` in place with `bytes` (the same length as before) and puts its modification time back to
/// the nanosecond: the file keeps its device, inode, size and mtime, so a stat-keyed cache cannot see the change.
/// How a test proves a cached entry was used rather than the file re-read.
public func overwriteKeepingStat(_ path: String, with bytes: [UInt8]) throws {
    var before = stat()
    guard stat(path, &before) == 0 else { throw POSIXError(.ENOENT) }
    guard Int(before.st_size) == bytes.count else { throw POSIXError(.EINVAL) }
    let fd = open(path, O_WRONLY)
    guard fd >= 0 else { throw POSIXError(.EACCES) }
    defer { close(fd) }
    guard bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw POSIXError(.EIO) }
    var times = [before.st_atim, before.st_mtim]
    guard futimens(fd, &times) == 0 else { throw POSIXError(.EPERM) }
}

/// The executable `name` (`kernel`, `kernel-mcp`…) built with the tests: `$KERNEL_BIN` for `kernel`, else the
/// nearest one at or above the test binary's folder, else `<root>/.build/debug/<name>`.
public func builtExecutable(_ name: String = "kernel", root: String) -> String {
    if name == "kernel", let env = ProcessInfo.processInfo.environment["KERNEL_BIN"] { return env }
    var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return root + "/.build/debug/" + name
}
