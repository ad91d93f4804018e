import Foundation
import KernelTestSupport
import Synchronization
import Testing

/// One end-to-end setting: a temporary user root (`QODER_HOME`), a temporary git project (a folder holding
/// `.git/`) that `kernel` runs in, and a folder for plugin sources. Everything is removed with the value.
final class Sandbox: Sendable {
    let homeDir: TempDir
    let projectDir: TempDir
    let sourcesDir: TempDir

    init() throws {
        homeDir = try TempDir()
        projectDir = try TempDir()
        sourcesDir = try TempDir()
        try FileManager.default.createDirectory(at: projectDir.fileURL.appendingPathComponent(".git"),
                                                withIntermediateDirectories: true)
    }

    /// The user root, as the kernel resolves it (absolute, no symlink resolution).
    var home: String { homeDir.path }
    var project: String { projectDir.path }

    /// Runs `kernel` in the project with `QODER_HOME` set to the sandbox's user root.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> KernelRun {
        var env = environment
        env["QODER_HOME"] = home
        return try await kernel(arguments, cwd: projectDir.fileURL, environment: env)
    }

    /// `run` for use on a thread of its own (inside `parallelMap`).
    func runBlocking(_ arguments: [String], environment: [String: String] = [:]) throws -> KernelRun {
        var env = environment
        env["QODER_HOME"] = home
        return try kernelBlocking(arguments, cwd: projectDir.fileURL, environment: env, stdin: nil)
    }

    /// Runs `kernel` and requires exit status 0, returning stdout.
    @discardableResult
    func ok(_ arguments: [String], environment: [String: String] = [:],
            sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await run(arguments, environment: environment)
        #expect(r.status == 0, "kernel \(arguments.joined(separator: " ")) → \(r.status)\n\(r.stdout)\(r.stderr)",
                sourceLocation: sourceLocation)
        return r.stdout
    }

    // MARK: Files

    enum SettingsScope: String, CaseIterable, Sendable { case user, project, local }

    func settingsPath(_ scope: SettingsScope) -> String {
        switch scope {
        case .user: home + "/settings.json"
        case .project: project + "/.qoder/settings.json"
        case .local: project + "/.qoder/settings.local.json"
        }
    }

    /// `enabledPlugins` of one settings file; nil when the file is missing.
    func enabledPlugins(_ scope: SettingsScope) throws -> [String: Bool]? {
        guard let text = read(settingsPath(scope)) else { return nil }
        let object = try parseJSON(text)
        return (object["enabledPlugins"] as? [String: Any])?.compactMapValues { $0 as? Bool } ?? [:]
    }

    func cacheDir(_ name: String, _ version: String) -> String {
        "\(home)/plugins/cache/local/\(name)/\(version)"
    }

    func dataDir(_ sanitizedID: String) -> String { "\(home)/plugins/data/\(sanitizedID)" }

    /// `plugins list --json`.
    func list(_ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        let out = try await ok(["plugins", "list", "--json"] + extra, sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
    }

    /// An inspection listing (`commands list --json`…).
    func listing(_ arguments: [String], environment: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        let out = try await ok(arguments + ["--json"], environment: environment, sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
    }

    // MARK: Plugin sources

    /// Writes a plugin folder under the sources folder: a `.qoder-plugin/plugin.json` (unless `manifest` is
    /// false) and `files` (relative path → text). Returns its path.
    @discardableResult
    func makePlugin(_ name: String, version: String? = "1.0.0", manifest: Bool = true, folder: String? = nil,
                    files: [String: String]) throws -> String {
        let dir = folder ?? name
        if manifest {
            var fields = "\"name\": \"\(name)\", \"description\": \"The \(name) plugin\""
            if let version { fields += ", \"version\": \"\(version)\"" }
            try sourcesDir.write("\(dir)/.qoder-plugin/plugin.json", "{\(fields)}\n")
        } else {
            try FileManager.default.createDirectory(at: sourcesDir.fileURL.appendingPathComponent(dir),
                                                    withIntermediateDirectories: true)
        }
        for (path, text) in files { try sourcesDir.write("\(dir)/\(path)", text) }
        return sourcesDir.path + "/" + dir
    }
}

func read(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self)
}

func write(_ path: String, _ text: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// Every file and folder under `dir` (relative paths, sorted), with each file's contents; empty when missing.
func tree(_ dir: String) -> [String: String] {
    var result: [String: String] = [:]
    guard let e = FileManager.default.enumerator(atPath: dir) else { return result }
    while let rel = e.nextObject() as? String {
        var isDir: ObjCBool = false
        FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir)
        result[rel] = isDir.boolValue ? "<dir>" : (read(dir + "/" + rel) ?? "<unreadable>")
    }
    return result
}

/// Regular files (not folders) under `dir`, relative and sorted.
func files(under dir: String) -> [String] {
    tree(dir).filter { $0.value != "<dir>" }.keys.sorted()
}

/// The names in one `resources` group of a `plugins list --json` row.
func resourceNames(_ row: [String: Any], _ kind: String) -> [String] {
    ((row["resources"] as? [String: Any])?[kind] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
}

/// The entries of a listing named `name`.
func entries(_ list: [[String: Any]], named name: String) -> [[String: Any]] {
    list.filter { $0["name"] as? String == name }
}

/// Starts `kernel` for each argument list at once (all processes running together), waits for all, and
/// returns their results in order.
func kernelConcurrently(_ runs: [[String]], cwd: URL, environment: [String: String]) async throws -> [KernelRun] {
    try await offPool { try kernelConcurrentlyBlocking(runs, cwd: cwd, environment: environment) }
}

func kernelConcurrentlyBlocking(_ runs: [[String]], cwd: URL, environment: [String: String]) throws -> [KernelRun] {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    var started: [(Process, Pipe, Pipe)] = []
    for arguments in runs {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.kernel)
        p.arguments = arguments
        p.currentDirectoryURL = cwd
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        started.append((p, out, err))
    }
    for (p, _, _) in started { try p.run() }
    return started.map { p, out, err in
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return KernelRun(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }
}

/// Runs `body` for every element on several threads at once; results in input order.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) throws -> R) async throws -> [R] {
    try await offPool { try parallelMapBlocking(items, body) }
}

func parallelMapBlocking<T: Sendable, R: Sendable>(_ items: [T], _ body: @Sendable (T) throws -> R) throws -> [R] {
    let results = Mutex<[Int: Result<R, any Error>]>([:])
    DispatchQueue.concurrentPerform(iterations: items.count) { i in
        let r = Result { try body(items[i]) }
        results.withLock { $0[i] = r }
    }
    return try results.withLock { dict in try (0..<items.count).map { try dict[$0]!.get() } }
}
