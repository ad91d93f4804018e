import Foundation
import KernelTestSupport
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

    /// The `kernel` executable built with the tests.
    static let kernel = builtExecutable(root: repoRoot.path)
}

/// Runs the built `kernel` and waits for it on a Dispatch thread, never on the cooperative pool: a test blocked
/// in a child process must not starve the async tests running beside it (the pool has one thread per core).
@discardableResult
func kernel(_ arguments: [String], cwd: URL = TestPaths.repoRoot, environment: [String: String] = [:],
            stdin: String? = nil) async throws -> KernelRun {
    try await offPool { try kernelBlocking(arguments, cwd: cwd, environment: environment, stdin: stdin) }
}

func kernelBlocking(_ arguments: [String], cwd: URL, environment: [String: String], stdin: String?) throws -> KernelRun {
    // stdin written and both pipes read at once: a child writing more than a pipe holds to stderr while the
    // test reads stdout cannot deadlock.
    let r = try runChild(TestPaths.kernel, arguments, cwd: cwd.path, environment: environment, stdin: stdin ?? "")
    return KernelRun(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

/// The shared temporary folder of KernelTestSupport.
typealias TempDir = TemporaryDirectory

func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}
