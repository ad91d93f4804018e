import Foundation
public import KernelCore
import KernelNative

extension PluginHost.PluginListing {
    /// `plugins list --json`: the reference host's shape (id, name, source, version, scope, enabled, canDisable,
    /// projectPath?, installPath, installedAt?, description, resources).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("name", .string(name)), ("source", .string(source)),
            ("version", .string(version)), ("scope", .string(scope)), ("enabled", .bool(enabled)),
            ("canDisable", .bool(canDisable)),
        ]
        if let projectPath { members.append(("projectPath", .string(projectPath))) }
        members.append(("installPath", .string(installPath)))
        if let installedAt { members.append(("installedAt", .string(Self.date(installedAt)))) }
        members.append(("description", .string(summary.description ?? "")))
        members.append(("resources", .raw(summary.resourcesJSON)))
        // Dependencies (absent when there are none, so rows stay the reference host's shape).
        if autoInstalled { members.append(("autoInstalled", true)) }
        if !requires.isEmpty { members.append(("requires", .strings(requires))) }
        if !requiredBy.isEmpty { members.append(("requiredBy", .strings(requiredBy))) }
        if let policy { members.append(("policy", .object([("state", .string(policy.state)), ("reason", .string(policy.reason))]))) }
        // User configuration (absent when nothing is missing).
        if let reason = needsConfiguration {
            members.append(("configuration", .object([("state", .string("needs configuration")), ("missing", .strings(missingConfig)),
                                                      ("reason", .string(reason))])))
        }
        return .object(members)
    }

    /// `plugins info --json`: the listing with the manifest's metadata, output styles, bin, modules and the
    /// bundle's diagnostics; null when the bundle was not read.
    public var infoJSON: JSONValue {
        guard case .object(var members) = json, let b = bundle else { return .null }
        members += [
            ("homepage", .optional(b.manifest?.homepage)), ("repository", .optional(b.manifest?.repository)),
            ("license", .optional(b.manifest?.license)), ("author", .optional(b.manifest?.author?.name)),
            ("keywords", .strings(b.manifest?.keywords ?? [])),
            ("outputStyles", .strings(b.outputStyles.map(\.name))),
            ("bin", .strings(b.binaries.map(FileSystem.baseName))),
            ("modules", .strings(b.modules)),
            ("diagnostics", .array(b.diagnostics.map(ValidationReport.json))),
        ]
        return .object(members)
    }

    /// `2026-11-23T15:52:55.477Z`, as the reference host writes dates (`UTCTimestamp`; dates outside its years
    /// go through Foundation).
    public static func date(_ date: Date) -> String {
        // Seconds and milliseconds as Foundation derives them: from the time since 2001 (what a `Date` holds), the
        // fraction truncated to nanoseconds, then to milliseconds.
        let sinceReference = date.timeIntervalSinceReferenceDate
        let whole = sinceReference.rounded(.down)
        if whole.magnitude < 2.5e11,
           let text = UTCTimestamp.text(secondsSince1970: Int64(whole) + 978_307_200,
                                        milliseconds: Int((sinceReference - whole) * 1_000_000_000) / 1_000_000) {
            return text
        }
        return Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

extension ModuleListing {
    /// What the module contributes, by kind: names (hooks as `Event[matcher]`).
    public var contributionNames: [(kind: String, names: [String])] {
        let c = components
        return [
            ("commands", c.commands.map(\.name)), ("skills", c.skills.map(\.name)), ("agents", c.agents.map(\.name)),
            ("hooks", c.hooks.map { "\($0.event)[\($0.matcher ?? "*")]" }), ("mcpServers", c.mcpServers.map(\.name)),
            ("outputStyles", c.outputStyles.map(\.name)),
            ("nativeHooks", c.nativeHooks.map { "\($0.event)[\($0.matcher ?? "*")] \($0.name)" }),
            ("evaluators", c.evaluators.map(\.name)),
            ("nativeCommands", c.nativeCommands.map(\.name)),
        ]
    }

    /// `modules list --json`.
    public var json: JSONValue {
        let r = result
        return .object([
            ("plugin", .optional(pluginID)), ("builtin", .bool(pluginID == nil)), ("path", .string(r.path)),
            ("name", .optional(r.descriptor?.name)), ("version", .optional(r.descriptor?.version)),
            ("abi", .optional(r.descriptor?.abi)), ("toolchain", .optional(r.descriptor?.toolchain)),
            ("state", .string(r.state.rawValue)), ("reason", .optional(r.reason)),
            ("signal", r.signal.map { .int(Int($0)) } ?? .null), ("cached", .bool(r.fromCache)),
            ("contributes", .object(contributionNames.map { ($0.kind, .strings($0.names)) })),
            ("logs", .array(r.logs.map { .object([("level", .string($0.levelName)), ("message", .string($0.message))]) })),
            ("diagnostics", .array(components.diagnostics.map(ValidationReport.json))),
        ])
    }
}

extension PluginHost {
    /// The MCP servers of a composition as a client would start them (variables expanded over `environment`,
    /// default this process's).
    public func expandedMCPServers(_ composition: Composition,
                                   environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [(entry: RegistryEntry<MCPServerDefinition>, server: ExpandedMCPServer)] {
        composition.registry.mcpServers.map { e in
            (e, ExpandedMCPServer(e.item, context: e.provenance.renderContext(projectDir: paths.project), environment: environment))
        }
    }

    /// Scans a bundle's modules in a scanner child, with no cache (validate checks the files as they are now).
    public static func validationScans(_ bundle: PluginBundle) -> [ModuleListing] {
        guard !bundle.modules.isEmpty else { return [] }
        let jobs = bundle.modules.map { ModuleScanJob(path: $0, pluginName: bundle.name, pluginRoot: bundle.root) }
        let catalog = ModuleCatalog(options: ModuleOptions(builtinDirectories: []), store: nil)
        return zip(jobs, catalog.scan(jobs)).map { job, result in
            ModuleListing(pluginID: "\(bundle.name)@validate", pluginPath: bundle.root, result: result,
                          components: ModuleCatalog.components(of: result, job: job, fromPlugin: true))
        }
    }

    /// Trusts a project folder (default: this host's project): its settings hooks, `.mcp.json` servers and
    /// project-scope plugins' hooks and servers become active. The fingerprint of what it can execute is
    /// recorded (`projectFingerprint`); trusting again records the current one. Returns the folder as recorded (absolute,
    /// standardized).
    @discardableResult
    public func trust(_ directory: String? = nil) throws(KernelError) -> String {
        let path = Self.projectPath(directory) ?? paths.project
        let host = path == paths.project ? self : PluginHost(paths: KernelPaths(home: paths.home, project: path), sharing: self)
        let fingerprint = Self.fingerprintJSON(host.projectFingerprint())
        do { try store.trust(path, fingerprint: fingerprint) } catch { throw KernelError(.store, wrapping: error) }
        return path
    }

    /// Withdraws trust from a project folder (default: this host's project).
    /// - Returns: the folder, and whether it was trusted.
    @discardableResult
    public func untrust(_ directory: String? = nil) throws(KernelError) -> (path: String, wasTrusted: Bool) {
        let path = Self.projectPath(directory) ?? paths.project
        do { return (path, try store.untrust(path)) } catch { throw KernelError(.store, wrapping: error) }
    }

    /// A folder given on the command line, absolute and standardized (`..` and `.` resolved, no trailing `/`).
    static func projectPath(_ directory: String?) -> String? {
        directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }
}
