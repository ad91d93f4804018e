import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension Scope: ExpressibleByArgument {}

extension GlobalOptions {
    /// The paths for this invocation: `--home` / `--project` over the environment and working directory.
    var paths: KernelPaths { KernelPaths(home: home, project: project) }

    /// Opens the host, turning a failure into the command's failure.
    func host() throws -> PluginHost {
        do {
            return try PluginHost(paths: paths)
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

    /// Runs `body`, reporting a `KernelError` as a failure.
    func run<T>(_ body: () throws(KernelError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw fail(error)
        }
    }
}

enum Format {
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
    static func short(_ text: String?, limit: Int = 80) -> String {
        guard let text else { return "" }
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }
}
