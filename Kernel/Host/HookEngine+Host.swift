public import KernelHooks

extension HookEngine {
    /// The engine over a composed registry (plugin folders come with each entry's provenance), with the host's
    /// project folder and store.
    public convenience init(host: PluginHost, composition: PluginHost.Composition, evaluator: (any HookEvaluator)? = nil,
                            options: Options = Options()) {
        var options = options
        // The hook keys of the settings the composition read, unless the caller set its own.
        if options.settings == HookSettings() { options.settings = composition.settings.hookSettings }
        self.init(registry: composition.registry, projectDir: host.paths.project,
                  projectTrusted: composition.projectTrusted, store: host.store, evaluator: evaluator, options: options)
    }
}
