import Foundation
import KernelCore
import KernelNet
import KernelStore

/// A plugin tree fetched from a remote source, unpacked and checked, in a fresh folder the caller now owns
/// (to rename into the cache, or remove).
public struct FetchedTree: Sendable {
    /// The tree's root: a new folder directly inside the `stagingParent` given.
    public var directory: URL
    /// `sha256:<64 hex>` of the archive or npm tarball as downloaded.
    public var contentHash: String
    /// For npm, the version the range resolved to; nil for archives.
    public var resolvedVersion: String?

    public init(directory: URL, contentHash: String, resolvedVersion: String?) {
        self.directory = directory
        self.contentHash = contentHash
        self.resolvedVersion = resolvedVersion
    }
}

/// Fetches plugins from `archive` and `npm` marketplace sources: download (libcurl, with a size cap), verify
/// (before one byte is unpacked), unpack through ``SafeArchive``.
public enum PluginFetch {
    /// npm's public registry, used when neither the entry nor the settings name one.
    public static let defaultNpmRegistry = "https://registry.npmjs.org"
    /// The settings key (any scope's settings file) that names the npm registry for entries without `registry`.
    public static let npmRegistrySettingsKey = "npmRegistry"

    /// Downloads the archive at `url`, checks it against `sha256` when given, and unpacks it.
    ///
    /// When the unpacked root holds nothing but one folder whose name does not start with `.` (GitHub's
    /// `repo-main/` style), that folder is the tree.
    /// - Parameters:
    ///   - url: `https://`, `http://` or `file://` URL of a `.zip`, `.tar.gz`, `.tgz` or `.tar`.
    ///   - sha256: 64 hex digits (optionally `sha256:`-prefixed) the archive must hash to; nil accepts any.
    ///   - headers: request headers; `${VAR}` in values is taken from the environment.
    ///   - stagingParent: an existing folder on the file system of the destination; the tree is created in it.
    ///   - limits: the caps for the download and the unpacking.
    /// - Returns: the tree, and the archive's sha256.
    /// - Throws: `KernelError` `.fetch` (unreachable, HTTP error status, a header variable unset, too large),
    ///   `.integrity` (sha256 mismatch: nothing is written), `.archive` (an entry refused), `.io`.
    public static func fetchArchive(url: String, sha256: String?, headers: [String: String], stagingParent: URL,
                                    limits: ArchiveLimits) async throws -> FetchedTree {
        let pinned = try sha256.map(normalizedSHA256)
        let expanded = try expandHeaders(headers)
        let body = try await download(url, headers: expanded, limit: limits.maxArchiveBytes,
                                      accept: "application/zip, application/gzip, application/x-tar, */*")
        let digest = SHA256.hash(body).hex
        if let pinned, pinned != digest {
            throw KernelError(.integrity, "\(url): sha256 mismatch: expected \(pinned), downloaded \(digest) "
                + "(\(body.count) bytes); nothing was unpacked")
        }
        let directory = try unpack(body, stagingParent: stagingParent, limits: limits, descendAlways: false)
        return FetchedTree(directory: directory, contentHash: "sha256:" + digest, resolvedVersion: nil)
    }

    // MARK: Shared steps

    /// GET `url` within `limit` bytes; a non-2xx status is an error.
    static func download(_ url: String, headers: [HTTPHeader], limit: Int, accept: String,
                         protocols: Set<String> = HTTPRequest.supportedProtocols) async throws -> [UInt8] {
        var all = headers
        if !all.contains(where: { $0.name.lowercased() == "accept" }) { all.append(HTTPHeader("Accept", accept)) }
        let request = HTTPRequest(url: url, headers: all, timeout: 300, connectTimeout: 10, maxResponseBytes: limit,
                                  allowedProtocols: protocols)
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send(request)
        } catch {
            throw KernelError(.fetch, error.message, underlying: error)
        }
        guard response.isSuccess else {
            throw KernelError(.fetch, "GET \(url): HTTP \(response.status)")
        }
        return response.body
    }

    /// `${VAR}` in header values from the environment; an unset variable is an error naming it.
    static func expandHeaders(_ headers: [String: String],
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [HTTPHeader] {
        try headers.sorted { $0.key < $1.key }.map { name, value in
            let (result, missing) = VariableExpander.expand(value, environment: environment)
            guard missing.isEmpty else {
                throw KernelError(.fetch, "header '\(name)' uses \(missing.map { "${\($0)}" }.joined(separator: ", ")), "
                    + "which is not set in the environment")
            }
            return HTTPHeader(name, result)
        }
    }

    static func normalizedSHA256(_ text: String) throws -> String {
        var hex = text.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst(7) }
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw KernelError(.integrity, "'\(text)' is not a sha256 (64 hex digits)")
        }
        return hex
    }

    /// Writes the verified bytes to a temporary file beside the tree, unpacks them into a new folder in
    /// `stagingParent`, and lifts a single top folder up to be the tree.
    static func unpack(_ body: [UInt8], stagingParent: URL, limits: ArchiveLimits, descendAlways: Bool) throws -> URL {
        let parent = stagingParent.standardizedFileURL
        let token = UUID().uuidString.lowercased().prefix(12)
        let archive = parent.appendingPathComponent(".download-\(token)")
        let staged = parent.appendingPathComponent("fetch-\(token)")
        do {
            try Data(body).write(to: archive, options: .withoutOverwriting)
        } catch {
            throw KernelError(.io, wrapping: error, context: "cannot write '\(archive.path)'")
        }
        defer { try? FileManager.default.removeItem(at: archive) }
        _ = try SafeArchive.extract(archive, into: staged, limits: limits)
        do {
            let top = try FileManager.default.contentsOfDirectory(atPath: staged.path)
            if top.count == 1, descendAlways || !top[0].hasPrefix("."),
               FileSystem.isDirectory(staged.appendingPathComponent(top[0]).path) {
                let lifted = parent.appendingPathComponent("fetch-\(token)-tree")
                try FileManager.default.moveItem(at: staged.appendingPathComponent(top[0]), to: lifted)
                try FileManager.default.removeItem(at: staged)
                try FileManager.default.moveItem(at: lifted, to: staged)
            }
        } catch {
            try? FileManager.default.removeItem(at: staged)
            throw KernelError(.io, wrapping: error, context: "cannot arrange '\(staged.path)'")
        }
        return staged
    }
}
