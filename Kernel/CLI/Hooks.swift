import ArgumentParser
import Foundation
import KernelCore
import KernelHost

extension KernelCommand {
    /// `kernel hooks list`
    struct Hooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hooks",
            abstract: "Hooks from the settings files and enabled plugins (all sources merge); fire an event.",
            subcommands: [List.self, Fire.self, RunAsync.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List hook handlers with their event, matcher, source and state.")
            @OptionGroup var options: InspectOptions

            func run() throws {
                let (_, c) = try options.compose(needs: .hooks)
                if options.global.json {
                    Output.out(JSONValue.array(c.registry.hooks.map(\.listingJSON)
                                               + c.registry.nativeHooks.map(\.listingJSON)).serialized())
                    return
                }
                var rows = c.registry.hooks.flatMap { e in
                    e.item.handlers.map { h -> [String] in
                        let what = h.command ?? h.url ?? h.prompt ?? ""
                        var r = Inspect.row(e, nil)
                        r[0] = "\(e.item.event)[\(e.item.matcher ?? "*")]"
                        r[3] = "\(h.type.rawValue): \(Format.short(what, limit: 60))"
                        return r
                    }
                }
                for e in c.registry.nativeHooks {
                    var r = Inspect.row(e, nil)
                    r[0] = "\(e.item.event)[\(e.item.matcher ?? "*")]"
                    r[3] = "native: \(e.item.name) (\(e.provenance.file ?? "?"))"
                    rows.append(r)
                }
                if rows.isEmpty { Output.out("No hooks."); return }
                Output.out(Format.table([["EVENT[MATCHER]", "SOURCE", "STATE", "HANDLER"]] + rows))
            }
        }
    }
}
