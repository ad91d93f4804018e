import Foundation
public import KernelCore

/// An administrator's policy: `managed-settings.json` (`KERNEL_MANAGED_SETTINGS`, else
/// `/etc/qoder/managed-settings.json`), read-only to the user and above every settings file.
///
/// Keys: `strictKnownMarketplaces` — `true` (the reference host's spelling: only the marketplaces this file's
/// `extraKnownMarketplaces` pre-configures) or a list of allowed sources (Claude Code's: exact sources, or
/// `{"hostPattern"}` / `{"pathPattern"}` anchored regular expressions; `[]` allows none); `blockedMarketplaces`
/// — names, or sources (checked first; a `github` and a `git` spelling of one repository block each other);
/// `enabledPlugins` — `true` forces a plugin on (the user cannot disable it), `false` blocks and hides it.
///
/// A file that does not parse or holds a key of the wrong type is `problems` (with `file:line:col`): the
/// policy then fails closed — every marketplace and plugin is refused.
public struct ManagedPolicy: Sendable {
    public enum Strictness: Sendable {
        /// No allowlist.
        case off
        /// `true`: only the sources this file's `extraKnownMarketplaces` names.
        case preConfigured([Node])
        /// A list of allowed source patterns (`[]`: none).
        case allowlist([Node])
    }

    public var file: String
    public var strict: Strictness = .off
    /// Names (strings) and sources (objects).
    public var blocked: [Node] = []
    /// Managed `enabledPlugins`: id → forced on (true) or blocked (false).
    public var enabledPlugins: [String: Bool] = [:]
    /// Why the file is unusable; non-empty means fail closed.
    public var problems: [Diagnostic] = []

    /// The file to read: `KERNEL_MANAGED_SETTINGS` when set (empty: no policy), else
    /// `/etc/qoder/managed-settings.json`. One `getenv`, not a copy of the environment: this runs at each policy
    /// check, 50 times in a sync of 50 plugins.
    public static func path() -> String? {
        if let variable = KernelPaths.environmentVariable("KERNEL_MANAGED_SETTINGS") { return variable.isEmpty ? nil : variable }
        return "/etc/qoder/managed-settings.json"
    }

    /// Reads the policy at `file`; nil when there is no such file.
    public static func load(_ file: String?) -> ManagedPolicy? {
        // A stat, not FileManager (whose first use reads the user database: this runs in every listing).
        guard let file, FileSystem.exists(file) else { return nil }
        var policy = ManagedPolicy(file: file)
        var d = Diagnostics()
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(file, limit: 16 << 20) } catch {
            policy.problems = [Diagnostic(id: "policy.unreadable", .error, "cannot read the managed settings: \(error)", at: SourceLocation(file: file))]
            return policy
        }
        guard let root = JSONFile.read(bytes: bytes, file: file, comments: true, diagnostics: &d) else {
            policy.problems = d.items.filter { $0.severity == .error }
            return policy
        }
        func bad(_ node: Node, _ message: String) {
            d.error(id: "policy.type", message, at: node.location(in: file))
        }
        guard root.members != nil else {
            bad(root, "managed settings must be a JSON object, got \(root.kindDescription)")
            policy.problems = d.items.filter { $0.severity == .error }
            return policy
        }
        if let strict = root["strictKnownMarketplaces"], !strict.isNull {
            if let b = strict.bool {
                if b { policy.strict = .preConfigured((root["extraKnownMarketplaces"]?.members ?? []).compactMap { $0.value["source"] }) }
            } else if let items = strict.array {
                for item in items where item.members == nil { bad(item, "'strictKnownMarketplaces' entries must be source objects, got \(item.kindDescription)") }
                policy.strict = .allowlist(items.filter { $0.members != nil })
            } else {
                bad(strict, "'strictKnownMarketplaces' must be a boolean or an array of sources, got \(strict.kindDescription)")
            }
        }
        if let blocked = root["blockedMarketplaces"], !blocked.isNull {
            if let items = blocked.array {
                for item in items where item.string == nil && item.members == nil {
                    bad(item, "'blockedMarketplaces' entries must be names or source objects, got \(item.kindDescription)")
                }
                policy.blocked = items.filter { $0.string != nil || $0.members != nil }
            } else {
                bad(blocked, "'blockedMarketplaces' must be an array, got \(blocked.kindDescription)")
            }
        }
        if let enabled = root["enabledPlugins"], !enabled.isNull {
            if let members = enabled.members {
                for m in members {
                    if let b = m.value.bool { policy.enabledPlugins[m.key] = b } else {
                        bad(m.value, "'enabledPlugins.\(m.key)' must be a boolean, got \(m.value.kindDescription)")
                    }
                }
            } else {
                bad(enabled, "'enabledPlugins' must be an object, got \(enabled.kindDescription)")
            }
        }
        policy.problems = d.items.filter { $0.severity == .error }
        return policy
    }

    /// Whether marketplaces are checked at all (a block list or an allowlist).
    public var checksMarketplaces: Bool {
        if case .off = strict { return !blocked.isEmpty }
        return true
    }

    /// The error every refused action gets when the file is unusable (fail closed).
    public var failure: KernelError? {
        guard let first = problems.first else { return nil }
        return KernelError(.policy, "The managed settings \(file) are malformed (\(first)); nothing may be installed, added or loaded until an administrator fixes them",
                           diagnostics: problems)
    }

    /// Why the marketplace `name` (nil: not known yet) from `source` (its settings form) is refused; nil when
    /// allowed.
    public func marketplaceRefusal(name: String?, source: Node?) -> String? {
        if let first = problems.first { return "the managed settings are malformed (\(first))" }
        let key = source.map(SourceKey.init)
        for b in blocked {
            if let blockedName = b.string {
                if let name, blockedName == name { return "marketplace \"\(name)\" is blocked by blockedMarketplaces in \(file)" }
            } else if let key, SourceKey.matches(pattern: b, key) {
                return "its source \(key.display) is blocked by blockedMarketplaces in \(file)"
            }
        }
        switch strict {
        case .off:
            return nil
        case .preConfigured(let sources):
            guard let key else { return "strictKnownMarketplaces in \(file) allows only pre-configured marketplaces" }
            if sources.contains(where: { SourceKey.matches(pattern: $0, key) }) { return nil }
            return "strictKnownMarketplaces in \(file) allows only the marketplaces its extraKnownMarketplaces pre-configures, not \(key.display)"
        case .allowlist(let patterns):
            guard let key else { return "strictKnownMarketplaces in \(file) allows only listed sources" }
            if patterns.contains(where: { SourceKey.matches(pattern: $0, key) }) { return nil }
            return patterns.isEmpty ? "strictKnownMarketplaces in \(file) is [] (no marketplace is allowed)"
                : "\(key.display) is not among the sources strictKnownMarketplaces allows in \(file)"
        }
    }

    /// The policy's word on plugin `id` from a marketplace (`name`, `source`): forced on, blocked (with why), or
    /// nil (the user's settings decide).
    public func pluginDecision(_ id: String, marketplace: String, source: Node?) -> PolicyDecision? {
        if let first = problems.first { return .blocked("the managed settings are malformed (\(first))") }
        if let value = enabledPlugins[id] {
            return value ? .forced("enabledPlugins[\"\(id)\"] is true in \(file)")
                : .blocked("enabledPlugins[\"\(id)\"] is false in \(file)")
        }
        // A plugin of a marketplace the policy refuses; a folder install (`@local`) has no marketplace to check.
        if marketplace != "local", let why = marketplaceRefusal(name: marketplace, source: source) { return .blocked(why) }
        return nil
    }
}

/// What the policy does to one plugin.
public enum PolicyDecision: Sendable, Equatable {
    case forced(String)
    case blocked(String)

    public var reason: String {
        switch self {
        case .forced(let r), .blocked(let r): r
        }
    }
    public var state: String {
        switch self {
        case .forced: "forced"
        case .blocked: "blocked"
        }
    }
}

/// A marketplace source reduced to what policies compare: the repository (a `github` repo and a git URL of
/// github.com name the same one), the host, the ref, a local path.
struct SourceKey {
    var kind: String
    /// `github.com/owner/repo` for repositories, the URL for a `url` source, the path for a folder or file.
    var location: String
    var host: String?
    var ref: String?
    var path: String?

    init(_ source: Node) {
        kind = source["source"]?.string ?? ""
        ref = source["ref"]?.string
        path = source["path"]?.string
        switch kind {
        case "github":
            let repo = (source["repo"]?.string ?? "").lowercased()
            location = "github.com/" + Self.trimGit(repo)
            host = "github.com"
        case "git", "url":
            let normalized = Self.normalize(source["url"]?.string ?? "", keepAsIs: kind == "url")
            location = normalized.0
            host = normalized.1
        default:
            location = path ?? ""
            host = nil
        }
    }

    var display: String { location + (ref.map { "#" + $0 } ?? "") }

    static func trimGit(_ s: String) -> String {
        var s = s
        while s.hasSuffix("/") { s.removeLast() }
        if s.hasSuffix(".git") { s.removeLast(4) }
        return s
    }

    /// `https://Host/owner/repo.git`, `ssh://git@host/owner/repo`, `git@host:owner/repo.git` → `host/owner/repo`.
    static func normalize(_ url: String, keepAsIs: Bool) -> (String, String?) {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            if rest.hasPrefix("/") { return (trimGit(String(rest)), nil) }  // file:///path: no host
        } else if let colon = rest.firstIndex(of: ":"), rest[..<colon].contains("@") || !rest[..<colon].contains("/") {
            rest = Substring(String(rest[..<colon]) + "/" + String(rest[rest.index(after: colon)...]))
        }
        if let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/") { rest = rest[rest.index(after: at)...] }
        let host = rest.split(separator: "/", maxSplits: 1).first.map { String($0).lowercased() }
        guard let host, !host.isEmpty else { return (url, nil) }
        let tail = rest.dropFirst(host.count)
        if keepAsIs { return (host + tail, host) }
        return (host + trimGit(String(tail)).lowercased(), host)
    }

    /// Whether a policy entry (an exact source, or `{"hostPattern"}` / `{"pathPattern"}`) matches `key`.
    static func matches(pattern: Node, _ key: SourceKey) -> Bool {
        if let host = pattern["hostPattern"]?.string {
            guard let h = key.host else { return false }
            return fullMatch(host, h)
        }
        if let path = pattern["pathPattern"]?.string {
            guard ["directory", "file"].contains(key.kind) else { return false }
            return fullMatch(path, key.location)
        }
        let p = SourceKey(pattern)
        let repositories = ["github", "git"]
        let sameKind = p.kind == key.kind || (repositories.contains(p.kind) && repositories.contains(key.kind))
        guard sameKind, p.location == key.location else { return false }
        if let ref = p.ref, ref != key.ref { return false }
        if p.kind != "directory", p.kind != "file", let path = p.path, path != key.path { return false }
        return true
    }

    /// An anchored match of a regular expression (the kernel's matcher engine); an invalid pattern matches
    /// nothing.
    static func fullMatch(_ pattern: String, _ value: String) -> Bool {
        guard let regex = try? MatcherRegex("^(?:" + pattern + ")$") else { return false }
        return regex.search(value)
    }
}

extension PluginHost {
    /// The managed policy in force (nil when there is no managed settings file).
    public func managedPolicy() -> ManagedPolicy? {
        ManagedPolicy.load(ManagedPolicy.path())
    }

    /// Refuses (code `policy`) installing plugin `id` of `marketplace` (`source` its settings form) when the
    /// managed policy blocks it; checked before anything is fetched.
    public func requirePolicyAllowsInstall(_ id: String, marketplace: String, source: Node?) throws(KernelError) {
        guard let policy = managedPolicy() else { return }
        if let failure = policy.failure { throw failure }
        if case .blocked(let why)? = policy.pluginDecision(id, marketplace: marketplace, source: source) {
            throw KernelError(.policy, "Plugin \"\(id)\" is blocked by organization policy: \(why).")
        }
    }
}
