public import KernelCore

extension PluginHost {
    /// The plugin root and data folder of a plugin component (nil for others) and the project folder: what
    /// variable substitution and native commands get.
    public func renderContext<T>(for entry: RegistryEntry<T>, composition: Composition) -> RenderContext {
        entry.provenance.renderContext(projectDir: paths.project)
    }

    /// The prompt a host submits for `/name arguments…`: a Markdown (or JSON-contributed) command's body with
    /// the arguments and variables substituted, or what a native command's function produces (its module is
    /// opened in this process on first use).
    /// - Throws: `KernelError` with code `native_command` when a native command fails (its message).
    public func renderCommand(_ entry: RegistryEntry<CommandDefinition>, arguments: [String],
                              composition: Composition) throws(KernelError) -> String {
        let context = renderContext(for: entry, composition: composition)
        guard entry.item.isNative else {
            return CommandRenderer.render(entry.item.body, arguments: arguments, context: context)
        }
        guard let native = composition.registry.nativeCommand(for: entry) else {
            throw KernelError(.nativeCommand, "native command \(entry.name): its module is not loaded in this registry")
        }
        do {
            return try native.render(arguments: arguments, context: context)
        } catch {
            throw KernelError(.nativeCommand, error.message)
        }
    }

    /// Looks the command up as `/name` resolves (`Registry.command(named:)`) and renders it.
    public func renderCommand(named name: String, arguments: [String], composition: Composition) throws(KernelError) -> String {
        switch composition.registry.command(named: name) {
        case .found(let entry):
            return try renderCommand(entry, arguments: arguments, composition: composition)
        case .ambiguous(let entries):
            throw KernelError(.ambiguous, "command '\(name)' is ambiguous: \(entries.map(\.name).joined(separator: ", "))")
        case .notFound(let suggestion):
            throw KernelError(.notFound, "no command named '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
        }
    }
}
