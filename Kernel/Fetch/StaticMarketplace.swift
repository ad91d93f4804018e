import Foundation
import KernelCore
import KernelStore

/// Writes a static marketplace: one reproducible `.tar.gz` per plugin under `plugins/` and a `marketplace.json`
/// whose entries are `archive` sources with their `sha256`, for any static host or CDN.
public enum StaticMarketplace {
    /// A plugin to publish: its folder and the manifest fields copied into its entry.
    public struct Plugin: Sendable {
        public var root: String
        public var name: String
        public var version: String?
        public var description: String?
        public var keywords: [String]
        public var license: String?
        public var homepage: String?

        public init(root: String, name: String, version: String?, description: String?, keywords: [String] = [],
                    license: String? = nil, homepage: String? = nil) {
            self.root = root
            self.name = name
            self.version = version
            self.description = description
            self.keywords = keywords
            self.license = license
            self.homepage = homepage
        }
    }

    /// One published entry.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var version: String
        /// The archive's path inside the output folder (`plugins/<name>-<version>.tar.gz`).
        public var file: String
        /// The `url` written: `<base-url>/<file>`, or the `file://` URL of the archive in `out` without one.
        public var url: String
        public var sha256: String
        public var files: Int
    }

    /// Writes the marketplace for `plugins` (already validated by the caller) into `out`.
    ///
    /// `out` must not exist, be empty, or hold an earlier build (a `marketplace.json`): the new build is
    /// written beside it and renamed into place, so a failure leaves the earlier one as it was. A plugin
    /// without a version gets the first 12 hex digits of its archive's sha256.
    /// - Parameters:
    ///   - name: the marketplace's name; `owner`: its owner's name.
    ///   - baseURL: where `out` will be served from; nil writes `file://` URLs of `out` itself (a marketplace
    ///     usable on this machine as it is: `marketplace add <out>`, then install by name).
    /// - Returns: the entries, in the order given.
    /// - Throws: `KernelError` `.io` (a folder holding other files, an unreadable plugin file, a link in a
    ///   plugin), `.invalidInput` (two plugins of one name), `.archive`.
    public static func write(_ plugins: [Plugin], name: String, owner: String, to out: String,
                             baseURL: String?) throws -> [Entry] {
        var names = Set<String>()
        for p in plugins where !names.insert(p.name).inserted {
            throw KernelError(.invalidInput, "two plugins are named '\(p.name)'")
        }
        let target = URL(fileURLWithPath: out).standardizedFileURL.path
        let fm = FileManager.default
        if FileSystem.isDirectory(target) {
            let existing = (try? fm.contentsOfDirectory(atPath: target)) ?? []
            guard existing.isEmpty || existing.contains("marketplace.json") else {
                throw KernelError(.io, "'\(target)' holds files and no marketplace.json: not replaced (choose an empty or new folder)")
            }
        } else if fm.fileExists(atPath: target) {
            throw KernelError(.io, "'\(target)' is not a folder")
        }
        let parent = (target as NSString).deletingLastPathComponent
        let staging = parent + "/.\((target as NSString).lastPathComponent).building-\(UUID().uuidString.prefix(8))"
        do {
            try fm.createDirectory(atPath: staging + "/plugins", withIntermediateDirectories: true)
        } catch {
            throw KernelError(.io, wrapping: error, context: "cannot create '\(staging)'")
        }
        do {
            var entries: [Entry] = []
            var json: [JSONValue] = []
            var base = baseURL ?? URL(fileURLWithPath: target, isDirectory: true).absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            for plugin in plugins {
                let temporary = staging + "/plugins/.\(plugin.name).tar.gz"
                let files = try ReproducibleArchive.writeTarGz(of: plugin.root, to: temporary)
                let digest = try sha256(ofFile: temporary)
                let version = plugin.version ?? String(digest.prefix(12))
                let file = "plugins/\(plugin.name)-\(version).tar.gz"
                try move(temporary, to: staging + "/" + file)
                let url = "\(base)/\(file)"
                entries.append(Entry(name: plugin.name, version: version, file: file, url: url, sha256: digest, files: files))
                var fields: [(String, JSONValue)] = [("name", .string(plugin.name))]
                if let d = plugin.description { fields.append(("description", .string(d))) }
                fields.append(("version", .string(version)))
                if !plugin.keywords.isEmpty { fields.append(("keywords", .strings(plugin.keywords))) }
                if let l = plugin.license { fields.append(("license", .string(l))) }
                if let h = plugin.homepage { fields.append(("homepage", .string(h))) }
                fields.append(("source", .object([("source", "archive"), ("url", .string(url)), ("sha256", .string(digest))])))
                json.append(.object(fields))
            }
            let manifest = JSONValue.object([
                ("name", .string(name)),
                ("owner", .object([("name", .string(owner))])),
                ("plugins", .array(json)),
            ])
            try Data((manifest.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: staging + "/marketplace.json"))
            try replace(target, with: staging)
            return entries
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    static func sha256(ofFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw KernelError(.io, "cannot read '\(path)'") }
        return SHA256.hash(data).hex
    }

    static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw KernelError(.io, "cannot rename '\(from)' to '\(to)': \(String(cString: strerror(errno)))")
        }
    }

    /// Puts `staging` at `target`: an earlier build is renamed aside first and removed after.
    static func replace(_ target: String, with staging: String) throws {
        let fm = FileManager.default
        guard FileSystem.isDirectory(target) else { return try move(staging, to: target) }
        let aside = staging + ".old"
        try move(target, to: aside)
        do {
            try move(staging, to: target)
        } catch {
            try? move(aside, to: target)
            throw error
        }
        try? fm.removeItem(atPath: aside)
    }
}
