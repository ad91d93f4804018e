#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
public import KernelCore
public import KernelHost
public import MCP

/// The composed registry as an MCP server (`kernel mcp serve`): active commands and skills are prompts (their
/// arguments from `argument-hint`, rendered by the kernel's renderer, native commands by their module), skill bodies
/// and agent definitions are resources (`kernel://skills/<name>`, `kernel://agents/<name>`). The settings files and
/// `installed_plugins_v2.json` are polled (their size, mtime and inode, once per `pollInterval`); when one changes
/// the registry is composed again and, if the prompts or resources changed, `notifications/prompts/list_changed`
/// and `notifications/resources/list_changed` are sent.
public actor RegistryServer {
    private let host: PluginHost
    private let pluginDirs: [String]
    private var composition: PluginHost.Composition
    private var stamps: [String]
    private var catalog: Catalog

    /// What the server offers, derived from one composition.
    struct Catalog: Equatable {
        var prompts: [Prompt] = []
        var resources: [Resource] = []
    }

    public init(host: PluginHost, pluginDirs: [String] = []) throws(KernelError) {
        self.host = host
        self.pluginDirs = pluginDirs
        composition = try host.compose(pluginDirs: pluginDirs)
        stamps = Self.stamps(host.paths)
        catalog = Self.catalog(composition)
    }

    /// Serves on `transport` until the client goes away; polls for changes every `pollInterval` seconds.
    public func serve(transport: any Transport, pollInterval: Double = 1) async throws {
        let server = Server(name: "kernel", version: "1.0.0",
                            capabilities: .init(prompts: .init(listChanged: true), resources: .init(subscribe: false, listChanged: true)))
        await server.withMethodHandler(ListPrompts.self) { _ in ListPrompts.Result(prompts: await self.catalog.prompts) }
        await server.withMethodHandler(GetPrompt.self) { params in try await self.prompt(params.name, arguments: params.arguments ?? [:]) }
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: await self.catalog.resources) }
        await server.withMethodHandler(ReadResource.self) { params in try await self.read(params.uri) }
        try await server.start(transport: transport)
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(pollInterval * 1000)))
                if self.refresh() {
                    try? await server.notify(PromptListChangedNotification.message())
                    try? await server.notify(ResourceListChangedNotification.message())
                }
            }
        }
        await server.waitUntilCompleted()
        watcher.cancel()
    }

    /// Composes again when a watched file changed. - Returns: whether the prompts or resources changed.
    func refresh() -> Bool {
        let now = Self.stamps(host.paths)
        guard now != stamps else { return false }
        stamps = now
        guard let c = try? host.compose(pluginDirs: pluginDirs) else { return false }
        composition = c
        let next = Self.catalog(c)
        guard next != catalog else { return false }
        catalog = next
        return true
    }

    /// The files whose change means plugins were installed, removed, enabled or disabled.
    static func stamps(_ paths: KernelPaths) -> [String] {
        let files = Scope.allCases.map { paths.settingsFile($0) } + [paths.home + "/plugins/installed_plugins_v2.json"]
        return files.map { file in
            var st = stat()
            guard stat(file, &st) == 0 else { return "-" }
            return "\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
    }

    static func catalog(_ c: PluginHost.Composition) -> Catalog {
        var out = Catalog()
        var names = Set<String>()
        for e in c.registry.commands where e.state.isActive {
            names.insert(e.name)
            out.prompts.append(Prompt(name: e.name, description: e.item.description, arguments: arguments(e.item.argumentHint)))
        }
        for e in c.registry.skills where e.state.isActive && !names.contains(e.name) {
            out.prompts.append(Prompt(name: e.name, description: e.item.description, arguments: arguments(e.item.argumentHint)))
            out.resources.append(Resource(name: e.name, uri: "kernel://skills/\(e.name)", description: e.item.description,
                                          mimeType: "text/markdown"))
        }
        for e in c.registry.agents where e.state.isActive {
            out.resources.append(Resource(name: e.name, uri: "kernel://agents/\(e.name)", description: e.item.description,
                                          mimeType: "text/markdown"))
        }
        return out
    }

    /// Prompt arguments from an `argument-hint` such as `<file> [mode]`: `<…>` required, `[…]` optional, other
    /// words optional; no hint is one optional `arguments` (the whole argument string).
    static func arguments(_ hint: String?) -> [Prompt.Argument] {
        guard let hint, !hint.trimmingCharacters(in: .whitespaces).isEmpty else {
            return [Prompt.Argument(name: "arguments", description: "The command's arguments, as typed after it", required: false)]
        }
        var out: [Prompt.Argument] = []
        var seen = Set<String>()
        for token in hint.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            let required = token.hasPrefix("<")
            let name = token.trimmingCharacters(in: CharacterSet(charactersIn: "<>[]{}()."))
            guard !name.isEmpty, seen.insert(name).inserted else { continue }
            out.append(Prompt.Argument(name: name, required: required))
        }
        return out
    }

    /// The positional arguments for a rendering: each hint argument's value in order (missing ones empty, trailing
    /// empty ones dropped), or the single `arguments` value split at whitespace.
    static func positional(_ hint: [Prompt.Argument], _ values: [String: String]) -> [String] {
        if hint.count == 1, hint[0].name == "arguments" {
            return (values["arguments"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        }
        var out = hint.map { values[$0.name] ?? "" }
        while out.last == "" { out.removeLast() }
        return out
    }

    func prompt(_ name: String, arguments values: [String: String]) throws -> GetPrompt.Result {
        if let e = composition.registry.commands.first(where: { $0.name == name && $0.state.isActive }) {
            let args = Self.positional(Self.arguments(e.item.argumentHint), values)
            let text: String
            do { text = try host.renderCommand(e, arguments: args, composition: composition) } catch {
                throw MCPError.internalError(error.message)
            }
            return GetPrompt.Result(description: e.item.description, messages: [.user(.text(text: text))])
        }
        if let e = composition.registry.skills.first(where: { $0.name == name && $0.state.isActive }) {
            let args = Self.positional(Self.arguments(e.item.argumentHint), values)
            let text = CommandRenderer.render(e.item.body, arguments: args, context: host.renderContext(for: e, composition: composition))
            return GetPrompt.Result(description: e.item.description, messages: [.user(.text(text: text))])
        }
        throw MCPError.invalidParams("no prompt named '\(name)'")
    }

    func read(_ uri: String) throws -> ReadResource.Result {
        if uri.hasPrefix("kernel://skills/"), let e = composition.registry.skills.first(where: {
            $0.state.isActive && "kernel://skills/\($0.name)" == uri
        }) {
            return ReadResource.Result(contents: [.text(e.item.body, uri: uri, mimeType: "text/markdown")])
        }
        if uri.hasPrefix("kernel://agents/"), let e = composition.registry.agents.first(where: {
            $0.state.isActive && "kernel://agents/\($0.name)" == uri
        }) {
            // The definition as written (frontmatter and prompt); an agent without a file (a module's), its prompt.
            let text = (try? String(contentsOfFile: e.item.file, encoding: .utf8)) ?? e.item.body
            return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "text/markdown")])
        }
        throw MCPError.invalidParams("no resource '\(uri)'")
    }
}
