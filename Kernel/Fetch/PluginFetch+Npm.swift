import Foundation
import KernelCore
import KernelNet
import KernelStore

extension PluginFetch {
    /// Fetches an npm package through the registry's HTTP API: `GET <registry>/<package>`, the version chosen
    /// from `dist-tags` and `versions`, `dist.tarball` downloaded and checked against `dist.integrity` (SRI,
    /// sha512) before it is unpacked. The tarball's top folder (`package/`) is the tree.
    ///
    /// - Parameters:
    ///   - package: `name` or `@scope/name`.
    ///   - version: an exact version, a dist-tag (`latest`, `next`) or an npm range (`^1.2`, `~1.2.3`, `>=1 <2`,
    ///     `1.x`, `a - b`, `||`); nil or empty is `latest`.
    ///   - registry: the registry's base URL; nil is ``defaultNpmRegistry`` (callers pass the entry's
    ///     `registry`, else the settings' ``npmRegistrySettingsKey``).
    ///   - stagingParent: an existing folder on the destination's file system; the tree is created in it.
    /// - Returns: the tree, the tarball's sha256 and the version resolved.
    /// - Throws: `KernelError` `.fetch` (registry unreachable or not JSON, unknown package or version, no
    ///   `dist.tarball`), `.integrity` (no usable `dist.integrity`, or a mismatch: nothing is written),
    ///   `.archive`, `.io`, `.invalidInput` for a package name npm would not accept.
    public static func fetchNpm(package: String, version: String?, registry: String?,
                                stagingParent: URL) async throws -> FetchedTree {
        let limits = ArchiveLimits.default
        let base = try registryBase(registry)
        let documentURL = base + "/" + (try encodedPackageName(package))
        let protocols: Set<String> = base.hasPrefix("file:") ? ["file"] : ["http", "https"]
        let body = try await download(documentURL, headers: [], limit: 64 << 20,
                                      accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
                                      protocols: protocols)
        let document: Node
        do {
            document = try JSONReader.parse(body).root
        } catch {
            throw KernelError(.fetch, "\(documentURL): the registry's answer is not JSON (\(error))")
        }
        let chosen = try resolveVersion(version, in: document, package: package, registry: base)
        guard let dist = document["versions"]?[chosen]?["dist"], let tarball = dist["tarball"]?.string else {
            throw KernelError(.fetch, "\(documentURL): version \(chosen) has no dist.tarball")
        }
        guard let integrity = dist["integrity"]?.string, let expected = try? Integrity(integrity) else {
            throw KernelError(.integrity, "\(package)@\(chosen): the registry gives no dist.integrity with sha512, "
                + "sha384 or sha256 (a sha1 shasum is not accepted)")
        }
        let bytes = try await download(tarball, headers: [], limit: limits.maxArchiveBytes,
                                       accept: "application/octet-stream, */*", protocols: protocols)
        let actual = expected.digest(of: bytes)
        guard actual == expected.expected else {
            throw KernelError(.integrity, "\(package)@\(chosen): \(tarball): integrity mismatch: expected "
                + "\(expected.algorithm)-\(Data(expected.expected).base64EncodedString()), downloaded "
                + "\(expected.algorithm)-\(Data(actual).base64EncodedString()); nothing was unpacked")
        }
        let directory = try unpack(bytes, stagingParent: stagingParent, limits: limits, descendAlways: true)
        return FetchedTree(directory: directory, contentHash: "sha256:" + SHA256.hash(bytes).hex, resolvedVersion: chosen)
    }

    /// The registry base URL without a trailing `/`: `registry`, else ``defaultNpmRegistry``.
    static func registryBase(_ registry: String?) throws -> String {
        var base = registry.flatMap { $0.isEmpty ? nil : $0 } ?? defaultNpmRegistry
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://") || base.hasPrefix("file://") else {
            throw KernelError(.invalidInput, "npm registry '\(base)' is not an http(s) or file URL")
        }
        return base
    }

    /// `name` or `@scope/name` as the registry's path (`@scope%2fname`); names npm refuses are refused.
    static func encodedPackageName(_ package: String) throws -> String {
        func allowed(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "-._~".unicodeScalars.contains(c)
        }
        func ok(_ s: Substring) -> Bool {
            !s.isEmpty && s.utf8.count <= 214 && s.first != "." && s.first != "_" && s.first != "-" && s.unicodeScalars.allSatisfy(allowed)
        }
        let parts = package.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1, ok(parts[0]) { return package }
        if parts.count == 2, parts[0].hasPrefix("@"), ok(parts[0].dropFirst()), ok(parts[1]) {
            return "\(parts[0])%2f\(parts[1])"
        }
        throw KernelError(.invalidInput, "'\(package)' is not an npm package name")
    }

    /// The version `requested` names in a packument: a dist-tag, an exact version, or the highest in a range.
    static func resolveVersion(_ requested: String?, in document: Node, package: String, registry: String) throws -> String {
        let wanted = (requested ?? "").trimmingCharacters(in: .whitespaces)
        let tags = document["dist-tags"]
        let known = document["versions"]?.members?.map(\.key) ?? []
        guard !known.isEmpty else {
            throw KernelError(.fetch, "npm package '\(package)' has no versions in \(registry)")
        }
        let tag = wanted.isEmpty ? "latest" : wanted
        if let tagged = tags?[tag]?.string, known.contains(tagged) { return tagged }
        if known.contains(wanted) { return wanted }
        if let exact = SemanticVersion(wanted), let hit = known.first(where: { SemanticVersion($0) == exact }) {
            return hit
        }
        guard !wanted.isEmpty, let range = VersionRange(wanted) else {
            throw KernelError(.fetch, "npm package '\(package)' has no dist-tag or version '\(tag)' in \(registry)")
        }
        let parsed = known.compactMap { text in SemanticVersion(text).map { (text, $0) } }
        guard let best = range.best(of: parsed.map(\.1)), let text = parsed.first(where: { $0.1 == best })?.0 else {
            let latest = parsed.map(\.1).sorted().suffix(5).map(\.description).joined(separator: ", ")
            throw KernelError(.fetch, "no version of npm package '\(package)' matches '\(wanted)' (latest: \(latest))")
        }
        return text
    }
}

/// A Subresource Integrity value (`sha512-<base64>`, several space-separated allowed): the strongest hash it
/// lists that the kernel computes (sha512, sha384, sha256).
struct Integrity {
    var algorithm: String
    var expected: [UInt8]

    struct Unusable: Error {}

    init(_ text: String) throws {
        let ranks = ["sha512": 3, "sha384": 2, "sha256": 1]
        var best: (rank: Int, algorithm: String, bytes: [UInt8])? = nil
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            guard let dash = token.firstIndex(of: "-") else { continue }
            let algorithm = token[..<dash].lowercased()
            var value = token[token.index(after: dash)...]
            if let option = value.firstIndex(of: "?") { value = value[..<option] }
            guard let rank = ranks[algorithm], let bytes = Data(base64Encoded: String(value)) else { continue }
            let expectedLength = ["sha512": 64, "sha384": 48, "sha256": 32][algorithm]!
            guard bytes.count == expectedLength else { continue }
            if rank > (best?.rank ?? 0) { best = (rank, algorithm, Array(bytes)) }
        }
        guard let best else { throw Unusable() }
        algorithm = best.algorithm
        expected = best.bytes
    }

    func digest(of bytes: [UInt8]) -> [UInt8] {
        switch algorithm {
        case "sha512": return SHA512.hash(bytes)
        case "sha384":
            var h = SHA512.sha384()
            h.update(bytes)
            return h.finalize()
        default: return SHA256.hash(bytes).bytes
        }
    }
}
