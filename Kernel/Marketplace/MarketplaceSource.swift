import Foundation
import KernelCore

/// Where a marketplace comes from, as `marketplace add` accepts it and `known_marketplaces.json` /
/// `extraKnownMarketplaces` record it (`{"source": "directory"|"file"|"git"|"github"|"url", …}`).
public enum MarketplaceSource: Sendable, Equatable {
    /// A folder holding a marketplace manifest, read in place.
    case directory(path: String)
    /// A `marketplace.json` file.
    case file(path: String)
    /// Any git URL (`https://….git`, `git@host:path`, `ssh://`, `file://`), at `ref` when given.
    case git(url: String, ref: String?)
    /// A GitHub repository `owner/repo`, at `ref` when given.
    case github(repo: String, ref: String?)
    /// The URL of a `marketplace.json` (http, https or file), with request headers (`${ENV}` values expanded
    /// when fetched).
    case url(url: String, headers: [(String, String)])

    public static func == (a: Self, b: Self) -> Bool { a.json == b.json }

    /// Reads what a person typed: `owner/repo[#ref]`, a git URL `[#ref]`, the https URL of a marketplace.json,
    /// a folder or a file. Relative paths are taken from `cwd`.
    public static func parse(_ text: String, cwd: String, headers: [(String, String)] = []) throws(KernelError) -> MarketplaceSource {
        try Git.checkArgument(text, what: "marketplace source")
        func splitRef(_ s: String) throws(KernelError) -> (String, String?) {
            guard let hash = s.lastIndex(of: "#") else { return (s, nil) }
            let ref = String(s[s.index(after: hash)...])
            if ref.isEmpty { return (String(s[..<hash]), nil) }
            try Git.checkArgument(ref, what: "git ref")
            return (String(s[..<hash]), ref)
        }
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            let (url, ref) = try splitRef(text)
            let path = URL(string: url)?.path ?? url
            if path.hasSuffix(".json") && ref == nil { return .url(url: url, headers: headers) }
            return .git(url: url, ref: ref)
        }
        if lower.hasPrefix("file://") {
            let (url, ref) = try splitRef(text)
            if url.lowercased().hasSuffix(".json") && ref == nil { return .url(url: url, headers: headers) }
            return .git(url: url, ref: ref)
        }
        if lower.hasPrefix("ssh://") || lower.hasPrefix("git://") || lower.hasPrefix("git+ssh://") {
            let (url, ref) = try splitRef(text)
            return .git(url: url, ref: ref)
        }
        // scp-like `user@host:path` (no slash before the colon).
        if let at = text.firstIndex(of: "@"), let colon = text.firstIndex(of: ":"), at < colon,
           !text[..<colon].contains("/") {
            let (url, ref) = try splitRef(text)
            return .git(url: url, ref: ref)
        }
        let looksLikePath = text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~")
            || text == "." || text == ".."
        let expanded = text.hasPrefix("~") ? NSString(string: text).expandingTildeInPath : text
        let absolute = KernelPaths.normalize(expanded, relativeTo: cwd)
        if FileSystem.isDirectory(absolute) { return .directory(path: absolute) }
        if FileSystem.isFile(absolute) { return .file(path: absolute) }
        if looksLikePath { throw KernelError(.notFound, "Marketplace path not found: \(text)") }
        let (repo, ref) = try splitRef(text)
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        let ok = parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part != "." && part != ".." && part.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        }
        guard ok else {
            throw KernelError(.invalidInput, "'\(text)' is not a marketplace source: expected owner/repo, a git URL, the URL of a marketplace.json, or a folder or file that exists")
        }
        return .github(repo: repo, ref: ref)
    }

    /// Reads a recorded source object; nil when its `source` type is unknown or a field is missing.
    public init?(json node: Node) {
        guard let kind = node["source"]?.string else { return nil }
        switch kind {
        case "directory":
            guard let path = node["path"]?.string else { return nil }
            self = .directory(path: path)
        case "file":
            guard let path = node["path"]?.string else { return nil }
            self = .file(path: path)
        case "git":
            guard let url = node["url"]?.string else { return nil }
            self = .git(url: url, ref: node["ref"]?.string)
        case "github":
            guard let repo = node["repo"]?.string else { return nil }
            self = .github(repo: repo, ref: node["ref"]?.string)
        case "url":
            guard let url = node["url"]?.string else { return nil }
            let headers = (node["headers"]?.members ?? []).compactMap { m in m.value.string.map { (m.key, $0) } }
            self = .url(url: url, headers: headers)
        default:
            return nil
        }
    }

    /// The object as the reference host records it.
    public var json: JSONValue {
        switch self {
        case .directory(let path): .object([("source", "directory"), ("path", .string(path))])
        case .file(let path): .object([("source", "file"), ("path", .string(path))])
        case .git(let url, let ref):
            .object([("source", "git"), ("url", .string(url))] + (ref.map { [("ref", JSONValue.string($0))] } ?? []))
        case .github(let repo, let ref):
            .object([("source", "github"), ("repo", .string(repo))] + (ref.map { [("ref", JSONValue.string($0))] } ?? []))
        case .url(let url, let headers):
            .object([("source", "url"), ("url", .string(url))]
                    + (headers.isEmpty ? [] : [("headers", JSONValue.object(headers.map { ($0.0, JSONValue.string($0.1)) }))]))
        }
    }

    /// The git URL and ref of a git-backed source.
    var gitRemote: (url: String, ref: String?)? {
        switch self {
        case .git(let url, let ref): (url, ref)
        case .github(let repo, let ref): ("https://github.com/\(repo).git", ref)
        default: nil
        }
    }

    /// A short text for listings.
    public var summary: String {
        switch self {
        case .directory(let path), .file(let path): path
        case .git(let url, let ref): url + (ref.map { "#" + $0 } ?? "")
        case .github(let repo, let ref): repo + (ref.map { "#" + $0 } ?? "")
        case .url(let url, _): url
        }
    }
}
