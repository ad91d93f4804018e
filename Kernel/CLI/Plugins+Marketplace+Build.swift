import ArgumentParser
import Foundation
import KernelCore
import KernelFetch
import KernelHost

extension KernelCommand.Plugins {
    /// `kernel plugins marketplace build <plugins dir> --out DIR [--base-url URL] [--name N] [--owner O]`
    struct MarketplaceBuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build", abstract: "Publish a folder of plugins as a static marketplace (archives + marketplace.json).",
            discussion: """
                Every plugin folder under <plugins dir> (each child holding .qoder-plugin/plugin.json or \
                .claude-plugin/plugin.json; or <plugins dir> itself when it is one) is validated first, with the \
                checks of `plugins validate`; any error refuses the build and nothing is written. Each plugin is \
                then written as plugins/<name>-<version>.tar.gz (reproducible byte for byte) and listed in \
                marketplace.json as an `archive` source with its sha256. Without --base-url the archive URLs are \
                the file:// URLs of --out (usable on this machine); give the URL it will be served from to publish it.
                Exit status: 0 built, 1 refused (the diagnostics are printed), 64 usage error.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The folder holding the plugin folders.")
        var plugins: String

        @Option(help: ArgumentHelp("The folder to write (new, empty, or an earlier build).", valueName: "dir"))
        var out: String

        @Option(help: ArgumentHelp("The URL the folder will be served from (archive URLs become <url>/plugins/…).", valueName: "url"))
        var baseURL: String?

        @Option(help: "The marketplace's name (default: the plugins folder's name).")
        var name: String?

        @Option(help: "The owner's name written in marketplace.json (default: the marketplace's name).")
        var owner: String?

        func validate() throws {
            guard FileSystem.isDirectory(plugins) else { throw ValidationError("'\(plugins)' is not a folder") }
            if let baseURL, !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://") || baseURL.hasPrefix("file://")) {
                throw ValidationError("--base-url must be an http(s) or file URL, not '\(baseURL)'")
            }
        }

        func run() throws {
            let roots = Self.pluginFolders(plugins)
            guard !roots.isEmpty else {
                throw global.fail(KernelError(.notFound, "no plugin folder in '\(plugins)' (a child holding .qoder-plugin/plugin.json or .claude-plugin/plugin.json)"))
            }
            var chosen: [StaticMarketplace.Plugin] = []
            var diagnostics: [Diagnostic] = []
            for root in roots {
                let bundle = Validate.checked(root).bundle
                diagnostics += bundle.diagnostics
                if !bundle.hasComponents && bundle.isValid {
                    diagnostics.append(Diagnostic(id: "marketplace_build.no_content", .error, "the plugin holds no component or resource", at: SourceLocation(file: root)))
                }
                let m = bundle.manifest
                chosen.append(.init(root: root, name: bundle.name, version: bundle.version, description: bundle.description,
                                    keywords: m?.keywords ?? [], license: m?.license, homepage: m?.homepage))
            }
            let errors = diagnostics.filter { $0.severity == .error }
            guard errors.isEmpty else {
                throw global.fail(KernelError(.invalidBundle, "\(errors.count) error\(errors.count == 1 ? "" : "s") in the plugins: nothing was written",
                                              diagnostics: diagnostics))
            }
            let marketName = name ?? FileSystem.baseName(URL(fileURLWithPath: plugins).standardizedFileURL.path)
            let entries = try global.run { () throws(KernelError) in
                do {
                    return try StaticMarketplace.write(chosen, name: marketName, owner: owner ?? marketName,
                                                                 to: out, baseURL: baseURL)
                } catch let error as KernelError {
                    throw error
                } catch {
                    throw KernelError(.io, wrapping: error)
                }
            }
            if global.json {
                Output.out(JSONValue.object([
                    ("ok", true), ("name", .string(marketName)), ("out", .string(out)),
                    ("plugins", .array(entries.map { e in
                        .object([("name", .string(e.name)), ("version", .string(e.version)), ("file", .string(e.file)),
                                 ("url", .string(e.url)), ("sha256", .string(e.sha256)), ("files", .int(e.files))])
                    })),
                ]).serialized())
            } else {
                for d in diagnostics where d.severity == .warning { Output.err(d.description) }
                Output.out(Format.table(entries.map { [$0.name, $0.version, $0.file, String($0.sha256.prefix(12))] }))
                Output.out("Marketplace \"\(marketName)\" written to \(out) (\(entries.count) plugin\(entries.count == 1 ? "" : "s")).")
            }
        }

        /// `dir` itself when it is a plugin, else its children that are (sorted by name).
        static func pluginFolders(_ dir: String) -> [String] {
            func isPlugin(_ path: String) -> Bool {
                FileSystem.isFile(FileSystem.join(path, ".qoder-plugin/plugin.json"))
                    || FileSystem.isFile(FileSystem.join(path, ".claude-plugin/plugin.json"))
            }
            if isPlugin(dir) { return [dir] }
            let children = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return children.sorted().map { FileSystem.join(dir, $0) }.filter { FileSystem.isDirectory($0) && isPlugin($0) }
        }
    }
}
