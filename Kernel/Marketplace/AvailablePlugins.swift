import Foundation
public import KernelHost
import KernelStore

/// A plugin an added marketplace lists and that is not installed here, in the reference host's shape.
public struct AvailablePlugin: Sendable {
    public var pluginId: String
    public var name: String
    public var marketplaceName: String
    public var version: String?
    public var description: String?
    /// A relative source: the folder it resolves to; any other source: the source object as written.
    public var source: JSONValue

    /// `{"pluginId", "name", "marketplaceName", "version"?, "description"?, "source"}`: keys without a value are
    /// left out, as the reference host does.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("pluginId", .string(pluginId)), ("name", .string(name)),
                                              ("marketplaceName", .string(marketplaceName))]
        if let version { members.append(("version", .string(version))) }
        if let description { members.append(("description", .string(description))) }
        members.append(("source", source))
        return .object(members)
    }
}

extension PluginHost {
    /// Every entry of the added marketplaces whose id is not among `installed`.
    public func availablePlugins(installed: [PluginListing]) throws(KernelError) -> [AvailablePlugin] {
        let ids = Set(installed.map(\.id))
        let entries = try catalog()
        let records: [String: MarketplaceRecord]
        do { records = Dictionary(try store.marketplaceRecords().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) } catch {
            throw KernelError(.store, wrapping: error)
        }
        return entries.filter { !ids.contains($0.id) }.map { e in
            var source: JSONValue = .raw(e.source)
            if let node = try? JSONReader.parse(Array(e.source.utf8)).0 {
                source = node.json
                if let relative = node.string, let record = records[e.marketplace] {
                    var dir = record.root
                    if !record.pluginRoot.isEmpty { dir = FileSystem.join(dir, record.pluginRoot) }
                    let normalized = FileSystem.normalizeRelative(relative == "." ? "./" : relative)
                    source = .string(normalized.isEmpty ? dir : FileSystem.join(dir, normalized))
                }
            }
            return AvailablePlugin(pluginId: e.id, name: e.name, marketplaceName: e.marketplace, version: e.version,
                                   description: e.description, source: source)
        }
    }
}
