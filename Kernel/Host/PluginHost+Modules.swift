public import KernelCore
public import KernelNative

/// One native module as `kernel modules list` shows it.
public struct ModuleListing: Sendable {
    /// The plugin holding it (`name@marketplace`, `name@flag`), nil for a built-in module.
    public var pluginID: String?
    /// The plugin's root as composed (to tell apart the same plugin at two scopes).
    public var pluginPath: String?
    public var result: ModuleScanResult
    /// What it contributes (empty unless `result.state` is ok).
    public var components: ModuleComponents

    public init(pluginID: String?, pluginPath: String?, result: ModuleScanResult, components: ModuleComponents) {
        self.pluginID = pluginID
        self.pluginPath = pluginPath
        self.result = result
        self.components = components
    }
}

extension PluginHost {
    /// Scans the built-in modules and the given plugins' modules (cached scans are not re-run; the rest go to
    /// one scanner child). Modules of project- and local-scope plugins in an untrusted project are not run,
    /// even out of process: they are listed as skipped.
    public func scanModules(plugins: [PluginInstance], projectTrusted: Bool) -> [ModuleListing] {
        var jobs: [(pluginID: String?, pluginPath: String?, job: ModuleScanJob, fromPlugin: Bool, skip: String?)] = []
        for path in moduleOptions.builtinModulePaths() {
            jobs.append((nil, nil, ModuleScanJob(path: path), false, nil))
        }
        for plugin in plugins {
            let root = plugin.bundle.root
            for path in plugin.bundle.modules {
                let job = ModuleScanJob(path: path, pluginName: plugin.name, pluginRoot: root,
                                        pluginData: paths.dataDir(pluginID: plugin.id))
                let untrusted = plugin.scope.map { $0 != .user } ?? false && !projectTrusted
                jobs.append((plugin.id, root, job, true, untrusted ? Resolver.untrustedReason : nil))
            }
        }
        let catalog = ModuleCatalog(options: moduleOptions, store: store)
        let toScan = jobs.filter { $0.skip == nil }.map(\.job)
        var scanned = catalog.scan(toScan).makeIterator()
        return jobs.map { entry in
            let result: ModuleScanResult
            if let reason = entry.skip {
                result = ModuleScanResult(path: entry.job.path, state: .skipped, reason: reason)
            } else {
                result = scanned.next()!
            }
            return ModuleListing(pluginID: entry.pluginID, pluginPath: entry.pluginPath, result: result,
                                 components: ModuleCatalog.components(of: result, job: entry.job, fromPlugin: entry.fromPlugin))
        }
    }

    /// Empties the module scan cache (broken verdicts included). Returns how many entries were removed.
    @discardableResult
    public func clearModuleScans() throws(KernelError) -> Int {
        do { return try store.clearModuleScans() } catch { throw KernelError(.store, wrapping: error) }
    }
}
