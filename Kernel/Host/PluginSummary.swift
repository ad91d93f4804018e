public import KernelCore
import KernelStore
import Glibc

/// What `plugins list` shows of a plugin, built from its bundle or read back from the cache: name, version,
/// description, the `resources` JSON (pre-serialized at the depth `list --json` prints it) and the text lines.
public struct PluginSummary: Sendable {
    public var name: String
    public var version: String?
    public var description: String?
    /// The `resources` object as JSON text, pretty at indent 4 (its place in `plugins list --json`).
    public var resourcesJSON: String
    /// `Commands (2): …` lines for the text listing.
    public var textLines: [String]

    /// The depth at which `resourcesJSON` is spliced into `list --json`.
    public static let resourcesIndent = 4

    public init(_ b: PluginBundle) {
        name = b.name
        version = b.version
        description = b.description
        let n = b.name
        func item(_ name: String, _ description: String?, _ extra: [(String, JSONValue)] = []) -> JSONValue {
            .object([("name", .string(name)), ("description", .string(description ?? ""))] + extra)
        }
        let resources = JSONValue.object([
            ("skills", .array(b.skills.map { item($0.name, $0.description) })),
            ("agents", .array(b.agents.map { item("\(n):\($0.name)", $0.description) })),
            ("mcpServers", .array(b.mcpServers.map {
                item($0.name, $0.url ?? ([$0.command ?? ""] + $0.args).joined(separator: " "),
                     [("type", .string($0.transport.rawValue))])
            })),
            ("commands", .array(b.commands.map {
                item("\(n):\($0.name)", $0.description, $0.argumentHint.map { [("argumentHint", .string($0))] } ?? [])
            })),
            ("hooks", .array(b.hooks.map { g in
                item(g.event, g.matcher.map { "matcher \($0)" } ?? "all", [
                    ("event", .string(g.event)), ("matcher", .optional(g.matcher)),
                    ("types", .strings(g.handlers.map(\.type.rawValue))),
                ])
            })),
        ])
        resourcesJSON = resources.serialized(indent: Self.resourcesIndent)
        var lines: [String] = []
        func add(_ title: String, _ names: [String]) {
            if !names.isEmpty { lines.append("  \(title) (\(names.count)): \(names.joined(separator: ", "))") }
        }
        add("Commands", b.commands.map { "/\(n):\($0.name)" })
        add("Skills", b.skills.map { "\(n):\($0.name)" })
        add("Agents", b.agents.map(\.name))
        add("Hooks", b.hookEvents)
        add("MCP servers", b.mcpServers.map { "\(n):\($0.name)" })
        add("Output styles", b.outputStyles.map(\.name))
        textLines = lines
    }

    init(name: String, version: String?, description: String?, resourcesJSON: String, textLines: [String]) {
        self.name = name
        self.version = version
        self.description = description
        self.resourcesJSON = resourcesJSON
        self.textLines = textLines
    }
}

/// The cache entry of one plugin folder: the summary, and the file keys of every input of the load (folders
/// listed, files read). Valid while each input still has the same device, inode, size and mtime.
struct SummaryCacheEntry {
    static let kind = "plugin-summary"
    /// Bump when the summary or the parsers change what they produce.
    static let version = 1

    /// Keys of the inputs, with paths relative to the plugin root ("" is the root itself).
    var inputs: [FileKey]
    var summary: PluginSummary

    /// The keys of `paths` (absolute, under `root`), relative to `root`; paths that no longer exist are skipped.
    static func keys(of paths: [String], root: String) -> [FileKey] {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var seen = Set<String>()
        var keys: [FileKey] = []
        for path in paths {
            let relative = path == root ? "" : path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
            guard seen.insert(relative).inserted, let key = FileKey.stat(relative, relativeTo: fd) else { continue }
            keys.append(key)
        }
        return keys
    }

    /// True when every input under `root` is unchanged on disk.
    func isFresh(root: String) -> Bool {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return inputs.allSatisfy { FileKey.stat($0.path, relativeTo: fd) == $0 }
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.int(Int64(inputs.count))
        for key in inputs {
            w.string(key.path)
            w.int(Int64(bitPattern: key.device))
            w.int(Int64(bitPattern: key.inode))
            w.int(key.size)
            w.int(key.mtimeNanoseconds)
        }
        w.string(summary.name)
        w.optionalString(summary.version)
        w.optionalString(summary.description)
        w.string(summary.resourcesJSON)
        w.int(Int64(summary.textLines.count))
        for line in summary.textLines { w.string(line) }
        return w.bytes
    }

    init(inputs: [FileKey], summary: PluginSummary) {
        self.inputs = inputs
        self.summary = summary
    }

    init?(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard let count = r.int(), count >= 0, count < 1_000_000 else { return nil }
        var inputs: [FileKey] = []
        inputs.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let path = r.string(), let dev = r.int(), let ino = r.int(), let size = r.int(), let mtime = r.int()
            else { return nil }
            inputs.append(FileKey(path: path, device: UInt64(bitPattern: dev), inode: UInt64(bitPattern: ino),
                                  size: size, mtimeNanoseconds: mtime))
        }
        guard let name = r.string(), let version = r.optionalString(), let description = r.optionalString(),
              let resources = r.string(), let lineCount = r.int(), lineCount >= 0, lineCount < 100 else { return nil }
        var lines: [String] = []
        for _ in 0..<lineCount {
            guard let line = r.string() else { return nil }
            lines.append(line)
        }
        guard r.isAtEnd else { return nil }
        self.inputs = inputs
        summary = PluginSummary(name: name, version: version, description: description, resourcesJSON: resources,
                                textLines: lines)
    }
}

/// Little-endian, length-prefixed binary encoding for cache payloads (fast to read back: no parsing).
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int(_ v: Int64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            int(Int64(buf.count))
            bytes.append(contentsOf: buf)
        }
    }

    mutating func optionalString(_ s: String?) {
        if let s {
            bytes.append(1)
            string(s)
        } else {
            bytes.append(0)
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func int() -> Int64? {
        guard offset + 8 <= bytes.count else { return nil }
        var v: Int64 = 0
        for i in 0..<8 { v |= Int64(bytes[offset + i]) << (8 * i) }
        offset += 8
        return v
    }

    mutating func string() -> String? {
        guard let n = int(), n >= 0, offset + Int(n) <= bytes.count else { return nil }
        let s = String(decoding: bytes[offset..<offset + Int(n)], as: UTF8.self)
        offset += Int(n)
        return s
    }

    mutating func optionalString() -> String?? {
        guard offset < bytes.count else { return nil }
        let tag = bytes[offset]
        offset += 1
        if tag == 0 { return .some(nil) }
        guard let s = string() else { return nil }
        return .some(s)
    }
}
