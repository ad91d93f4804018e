/// The settings keys that switch hooks off or limit them, as the reference host reads them: `disableAllHooks`
/// (true: no hook runs), `hooksConfig.enabled` (false: the same), each the most specific file's value; and
/// `allowedHttpHookUrls` (URL patterns with `*` wildcards, united over the files: an http hook whose URL matches
/// none is refused; absent allows every URL, `[]` none).
public struct HookSettings: Sendable, Equatable {
    /// Why no hook runs (the key and the file that says so); nil when hooks run.
    public var disabledReason: String?
    /// The united patterns; nil when no file sets the key.
    public var allowedHTTPURLs: [String]?

    public init(disabledReason: String? = nil, allowedHTTPURLs: [String]? = nil) {
        self.disabledReason = disabledReason
        self.allowedHTTPURLs = allowedHTTPURLs
    }

    /// Reads the keys from each scope's settings document (`files` names them in reasons).
    public init(documents: [Scope: Node], files: [Scope: String]) {
        self.init()
        var disableAll: (Bool, Scope)?
        var enabled: (Bool, Scope)?
        for scope in [Scope.user, .project, .local] {
            guard let document = documents[scope] else { continue }
            if let b = document["disableAllHooks"]?.bool { disableAll = (b, scope) }
            if let b = document["hooksConfig"]?["enabled"]?.bool { enabled = (b, scope) }
            if let list = document["allowedHttpHookUrls"]?.array {
                allowedHTTPURLs = (allowedHTTPURLs ?? []) + list.compactMap(\.string)
            }
        }
        func file(_ scope: Scope) -> String { "\(scope.rawValue) settings (\(files[scope] ?? "?"))" }
        if let (on, scope) = disableAll, on {
            disabledReason = "hooks are off: disableAllHooks is true in \(file(scope))"
        } else if let (on, scope) = enabled, !on {
            disabledReason = "hooks are off: hooksConfig.enabled is false in \(file(scope))"
        }
    }

    /// Whether an http hook may call `url`: no list, or a pattern that matches the whole URL (`*` matches any
    /// run of characters, `/` included).
    public func allowsHTTP(_ url: String) -> Bool {
        guard let patterns = allowedHTTPURLs else { return true }
        return patterns.contains { Self.matches(Array($0.utf8), Array(url.utf8)) }
    }

    static func matches(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        // Iterative wildcard match with backtracking to the last `*` (linear in practice, no recursion).
        var p = 0, t = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p; mark = t; p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1; t += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Marks every hook and native hook handler inactive when hooks are off (`hooks list` says why).
    public func apply(to registry: inout Registry) {
        guard let disabledReason else { return }
        for i in registry.hooks.indices where registry.hooks[i].state.isActive {
            registry.hooks[i].state = .inactive(reason: disabledReason)
        }
        for i in registry.nativeHooks.indices where registry.nativeHooks[i].state.isActive {
            registry.nativeHooks[i].state = .inactive(reason: disabledReason)
        }
    }
}
