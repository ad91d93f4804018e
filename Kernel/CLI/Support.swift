import ArgumentParser
import Foundation
import KernelCore
import KernelHost
import KernelTasks
#if canImport(Glibc)
import Glibc
#endif

extension Scope: ExpressibleByArgument {}

extension GlobalOptions {
    /// The paths for this invocation: `--home` / `--project` over the environment and working directory.
    var paths: KernelPaths { KernelPaths(home: home, project: project) }

    /// Opens the host, turning a failure into the command's failure. `readOnly`: for a command that only reads
    /// the store (``PluginHost/init(readingAt:)``).
    func host(readOnly: Bool = false) throws -> PluginHost {
        do {
            return readOnly ? try PluginHost(readingAt: paths) : try PluginHost(paths: paths)
        } catch {
            throw fail(error)
        }
    }

    /// Reports a host error (stderr, or one JSON object on stdout with `--json`) and returns the exit code.
    func fail(_ error: KernelError) -> ExitCode {
        if json {
            Output.out(error.json.serialized())
        } else {
            for d in error.diagnostics { Output.err(d.description) }
            Output.err("error: \(error.message)")
        }
        return ExitCode(1)
    }

    /// Prints a listing: with `--json`, the rows' array; else `empty` when there are none, or `text` of them.
    func printListing<Row>(_ rows: [Row], json: (Row) -> JSONValue, empty: @autoclosure () -> String,
                           text: ([Row]) -> String) {
        if self.json {
            Output.out(bytes: JSONValue.array(rows.map(json)).serializedBytes())
        } else {
            Output.out(rows.isEmpty ? empty() : text(rows))
        }
    }

    /// Prints what an `update` did, one result at a time (`print`), or with `--json` the results' array; `none`
    /// when there are none. Exit status 1 when one of them failed.
    func printResults<Result>(_ results: [Result], json: (Result) -> JSONValue, none: String, failed: (Result) -> Bool,
                              print: (Result) -> Void) throws {
        if self.json {
            Output.out(JSONValue.array(results.map(json)).serialized())
        } else {
            if results.isEmpty { Output.out(none) }
            results.forEach(print)
        }
        if results.contains(where: failed) { throw ExitCode(1) }
    }

    /// Runs `body`, reporting a `KernelError` as a failure.
    func run<T>(_ body: () throws(KernelError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw fail(error)
        }
    }
}

public enum Format {
    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The first line of a description, cut to `limit` characters.
    public static func short(_ text: String?, limit: Int = 80) -> String {
        guard let text else { return "" }
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }
}

/// Executables installed beside `kernel` that hold what `kernel` itself does not link, so its start stays fast:
/// `kernel-tasks-server` (swift-nio, Hummingbird) and `kernel-mcp` (the MCP Swift SDK, which pulls in
/// FoundationNetworking). Each runs this same command tree with its part filled in.
enum Sibling {
    /// Replaces this process with the sibling executable `name`, given this process's arguments; `holds` says what
    /// it holds, for the error when it is missing. Returns only by throwing.
    static func exec(_ name: String, holds: String, global: GlobalOptions) throws -> Never {
        let exe = URL(fileURLWithPath: DetachedProcess.currentExecutable).deletingLastPathComponent()
            .appendingPathComponent(name).path
        guard access(exe, X_OK) == 0 else {
            throw global.fail(KernelError(.unavailable, "\(exe) is missing: build it with `swift build --product \(name)` (it holds \(holds)) and install it beside kernel"))
        }
        let argv = [exe] + Array(CommandLine.arguments.dropFirst())
        let cargs = argv.map { strdup($0) } + [nil]
        execv(exe, cargs)
        throw global.fail(KernelError(.io, "cannot start \(exe): \(String(cString: strerror(errno)))"))
    }
}

/// What a command is done with but need not free: when the process exits right after the command (the
/// executable's `KernelCommand.start`), objects handed to `leave` are never deinitialised. A `memory show` of 700
/// items spent 6% of its instructions freeing them, and closing the store at exit removes the `-wal` and `-shm`
/// files that the next command then creates again. Run in-process (tests, embedders), `leave` does nothing and
/// the objects are freed as usual. Leaving a store open at exit is safe: SQLite treats it as a crash, from which
/// its WAL recovers (the next connection rebuilds the index from the log).
enum Teardown {
    /// Set by `KernelCommand.start`: the process exits when the command returns.
    nonisolated(unsafe) static var exitsAfterCommand = false
    nonisolated(unsafe) private static var kept: [Any] = []

    /// Keeps `values` (objects, or values holding them) alive until the process exits.
    static func leave(_ values: Any...) {
        guard exitsAfterCommand else { return }
        kept.append(contentsOf: values)
    }
}
