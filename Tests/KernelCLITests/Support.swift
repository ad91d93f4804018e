import Foundation
import Testing

/// Runs the built `kernel` binary (beside the test bundle in the build folder) and captures its output.
struct KernelRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum TestPaths {
    /// The repository root (two levels above this file's folder).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/corpus`, present on developer machines and in CI.
    static let corpus: URL = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static var corpusAvailable: Bool { FileManager.default.fileExists(atPath: corpus.path) }

    /// The `kernel` executable built with the tests: `$KERNEL_BIN`, else beside the test binary.
    static let kernel: String = {
        if let env = ProcessInfo.processInfo.environment["KERNEL_BIN"] { return env }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kernel").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repoRoot.appendingPathComponent(".build/debug/kernel").path
    }()
}

/// Runs the built `kernel` and waits for it on a Dispatch thread, never on the cooperative pool: a test blocked
/// in a child process must not starve the async tests running beside it (the pool has one thread per core).
@discardableResult
func kernel(_ arguments: [String], cwd: URL = TestPaths.repoRoot, environment: [String: String] = [:],
            stdin: String? = nil) async throws -> KernelRun {
    try await offPool { try kernelBlocking(arguments, cwd: cwd, environment: environment, stdin: stdin) }
}

/// Runs `body` on a Dispatch thread and resumes when it returns.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

func kernelBlocking(_ arguments: [String], cwd: URL, environment: [String: String], stdin: String?) throws -> KernelRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestPaths.kernel)
    process.arguments = arguments
    process.currentDirectoryURL = cwd
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return KernelRun(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// A temporary folder removed when the value is deinitialised.
final class TempDir: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    /// Writes `text` at `relative`, creating folders.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }
}

func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}
