public import KernelHooks

extension HookEngine {
    /// The engine over a composed registry: plugin roots from the composition, data folders and the store from
    /// the host.
    public convenience init(host: PluginHost, composition: PluginHost.Composition, evaluator: (any HookEvaluator)? = nil,
                            options: Options = Options()) {
        var roots: [String: String] = [:]
        var data: [String: String] = [:]
        for p in composition.plugins {
            roots[p.id] = p.installPath
            data[p.id] = host.paths.dataDir(pluginID: p.id)
        }
        self.init(registry: composition.registry, projectDir: host.paths.project, pluginRoots: roots, pluginData: data,
                  projectTrusted: composition.projectTrusted, store: host.store, evaluator: evaluator, options: options)
    }
}
