// libFuzzer target: the plugin manifest parser (plugin.json), with its inline hooks and MCP servers.
import FuzzSupport
import KernelCore

fuzz { bytes in
    var d = Diagnostics()
    if let m = ManifestParser.parse(bytes, file: "plugin.json", diagnostics: &d) {
        _ = m.inlineHooks(diagnostics: &d)
        _ = m.inlineMCPServers(diagnostics: &d)
    }
}
