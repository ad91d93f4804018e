import ArgumentParser
import Foundation
import KernelCore
import KernelHost

/// Options of every inspection command: the global ones plus session-only plugin folders.
struct InspectOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("plugin-dir"), parsing: .upToNextOption, help: "Plugin folders to add for this run only.")
    var pluginDirs: [String] = []

    func compose(needs: PluginHost.Needs = .all) throws -> (PluginHost, PluginHost.Composition) {
        let host = try global.host()
        let composition = try global.run { () throws(KernelError) in try host.compose(pluginDirs: pluginDirs, needs: needs) }
        return (host, composition)
    }
}

/// Rows and JSON shared by the listings.
enum Inspect {
    static func row<T>(_ e: RegistryEntry<T>, _ description: String?) -> [String] {
        var origin = e.provenance.source.rawValue
        if let scope = e.provenance.scope, scope.rawValue != origin { origin += "/\(scope.rawValue)" }
        if let plugin = e.provenance.pluginID { origin += " \(plugin)" }
        let state: String = switch e.state {
        case .active: "active"
        case .shadowed: e.state.reason ?? "shadowed"
        case .inactive(let reason): "inactive: \(reason)"
        }
        return [e.name, origin, state, Format.short(description, limit: 60)]
    }

    /// Prints a listing: with `--json` one object per entry (the library's shape), else a table of name,
    /// origin, state and description.
    static func list<T>(_ entries: [RegistryEntry<T>], json: Bool, empty: String,
                        description: (T) -> String?, json shape: (RegistryEntry<T>) -> JSONValue) {
        if json {
            Output.out(JSONValue.array(entries.map(shape)).serialized())
        } else {
            printTable(entries.map { row($0, description($0.item)) }, empty: empty)
        }
    }

    static func printTable(_ rows: [[String]], empty: String) {
        if rows.isEmpty { Output.out(empty); return }
        Output.out(Format.table([["NAME", "SOURCE", "STATE", "DESCRIPTION"]] + rows))
    }

    /// Looks a name up, failing with "did you mean" or the candidates of an ambiguous bare name.
    static func find<T>(_ lookup: Registry.Lookup<T>, kind: String, name: String, global: GlobalOptions) throws -> RegistryEntry<T> {
        switch lookup {
        case .found(let entry):
            return entry
        case .ambiguous(let entries):
            throw global.fail(KernelError(.ambiguous, "\(kind) '\(name)' is ambiguous: \(entries.map(\.name).joined(separator: ", "))"))
        case .notFound(let suggestion):
            throw global.fail(KernelError(.notFound, "no \(kind) named '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")))
        }
    }
}
