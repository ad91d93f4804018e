public import KernelCore
public import KernelHooks

extension MemoryContext {
    /// The `InstructionsLoaded` inputs for the items not reported yet, in injection order: one per item
    /// (`load_reason` `session_start`, `nested_traversal` or `path_glob_match`, with `globs` and
    /// `trigger_file_path` where they apply) followed by one per file it imported (`include`, with
    /// `parent_file_path`). Marks them reported.
    public func takeInstructionsLoadedInputs(session: String?) -> [JSONValue] {
        var inputs: [JSONValue] = []
        for item in items[reported...] {
            var common: [(String, JSONValue)] = [("hook_event_name", "InstructionsLoaded")]
            if let session { common.append(("session_id", .string(session))) }
            common.append(("cwd", .string(options.cwd)))
            var fields = common + [("file_path", .string(item.path)), ("memory_type", .string(item.source)),
                                   ("load_reason", .string(item.loadReason))]
            if !item.globs.isEmpty && item.mode == .glob { fields.append(("globs", .strings(item.globs))) }
            if let trigger = item.trigger { fields.append(("trigger_file_path", .string(trigger))) }
            inputs.append(.object(fields))
            for imported in item.imports where imported.status == .imported {
                inputs.append(.object(common + [
                    ("file_path", .string(imported.resolved)), ("memory_type", .string(item.source)),
                    ("load_reason", "include"), ("parent_file_path", .string(imported.parent)),
                ]))
            }
        }
        reported = items.count
        return inputs
    }

    /// Fires `InstructionsLoaded` through `engine` for every item loaded since the last call (at first: the
    /// start's memory; after `access(_:)`: what it added), in order. The event is a notification: outcomes are
    /// returned for logging; nothing they say changes the memory.
    nonisolated(nonsending) public func fireInstructionsLoaded(engine: HookEngine, session: String? = nil) async -> [HookOutcome] {
        var outcomes: [HookOutcome] = []
        for input in takeInstructionsLoadedInputs(session: session) {
            outcomes.append(await engine.fire(event: "InstructionsLoaded", input: input, session: session))
        }
        return outcomes
    }
}
