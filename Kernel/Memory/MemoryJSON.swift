public import KernelCore

extension MemoryItem {
    /// The item as `memory show --json` prints it.
    public func json(includeContent: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string(kind.rawValue)), ("source", .string(source)), ("scope", .optional(scope)),
            ("plugin", .optional(plugin)), ("path", .string(path)), ("mode", .optional(mode?.rawValue)),
            ("description", .optional(description)), ("globs", .strings(globs)), ("reason", .string(reason)),
            ("loadReason", .string(loadReason)), ("trigger", .optional(trigger)), ("characters", .int(characters)),
            ("imports", .array(imports.map(\.json))),
        ]
        if includeContent { members.append(("content", .optional(content))) }
        return .object(members)
    }
}

extension MemoryImport {
    public var json: JSONValue {
        .object([
            ("reference", .string(reference)), ("resolved", .string(resolved)), ("parent", .string(parent)),
            ("line", .int(line)), ("status", .string(status.rawValue)), ("reason", .optional(reason)),
        ])
    }
}

extension MemoryContext {
    /// `memory show --json`: the context, the items in injection order (the start's, then each access's),
    /// the rules cut by the budget, the files skipped, and diagnostics.
    public func json(includeContent: Bool = true) -> JSONValue {
        .object([
            ("cwd", .string(options.cwd)), ("ceiling", .string(ceiling)), ("trusted", .bool(options.trusted)),
            ("fileNames", .strings(options.fileNames)),
            ("ruleBudget", .int(options.ruleBudget)), ("ruleCharacters", .int(ruleCharacters)),
            ("items", .array(items.map { $0.json(includeContent: includeContent) })),
            ("cut", .array(cut.map { $0.json(includeContent: false) })),
            ("skipped", .array(skipped.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })),
            ("diagnostics", .array(diagnostics.items.map(ValidationReport.json))),
        ])
    }
}

extension MemoryItem {
    /// ``json(includeContent:)`` written into a stream.
    func write(to out: inout JSONStream, includeContent: Bool) {
        out.beginObject()
        out.key("kind"); out.string(kind.rawValue)
        out.key("source"); out.string(source)
        out.key("scope"); out.optional(scope)
        out.key("plugin"); out.optional(plugin)
        out.key("path"); out.string(path)
        out.key("mode"); out.optional(mode?.rawValue)
        out.key("description"); out.optional(description)
        out.key("globs"); out.strings(globs)
        out.key("reason"); out.string(reason)
        out.key("loadReason"); out.string(loadReason)
        out.key("trigger"); out.optional(trigger)
        out.key("characters"); out.int(characters)
        out.key("imports")
        out.beginArray()
        for i in imports { out.value(i.json) }
        out.endArray()
        if includeContent { out.key("content"); out.optional(content) }
        out.endObject()
    }
}

extension MemoryContext {
    /// The bytes of ``json(includeContent:)`` serialized pretty, written directly: a start with hundreds of
    /// items is not built as a tree of values first.
    public func jsonBytes(includeContent: Bool = true) -> [UInt8] {
        var out = JSONStream(capacity: 512 * (items.count + 4))
        out.beginObject()
        out.key("cwd"); out.string(options.cwd)
        out.key("ceiling"); out.string(ceiling)
        out.key("trusted"); out.bool(options.trusted)
        out.key("fileNames"); out.strings(options.fileNames)
        out.key("ruleBudget"); out.int(options.ruleBudget)
        out.key("ruleCharacters"); out.int(ruleCharacters)
        out.key("items")
        out.beginArray()
        for item in items { item.write(to: &out, includeContent: includeContent) }
        out.endArray()
        out.key("cut")
        out.beginArray()
        for item in cut { item.write(to: &out, includeContent: false) }
        out.endArray()
        out.key("skipped")
        out.beginArray()
        for s in skipped {
            out.beginObject()
            out.key("path"); out.string(s.path)
            out.key("reason"); out.string(s.reason)
            out.endObject()
        }
        out.endArray()
        out.key("diagnostics")
        out.beginArray()
        for d in diagnostics.items { out.value(ValidationReport.json(d)) }
        out.endArray()
        out.endObject()
        return out.bytes
    }
}

extension RuleListing {
    /// A row of `rules list --json`.
    public var json: JSONValue {
        .object([
            ("name", .string(name)), ("source", .string(source)), ("scope", .optional(scope)), ("plugin", .optional(plugin)),
            ("path", .string(path)), ("mode", .string(rule.mode.rawValue)), ("decidedBy", .string(rule.decidedBy)),
            ("description", .optional(rule.description)), ("globs", .strings(rule.globs)), ("invalid", .optional(rule.invalid)),
            ("state", .string(state)), ("reason", .string(reason)),
        ])
    }
}

extension WorkflowListing {
    /// A row of `workflows list --json` (`show` adds nothing: the phases and schema are here).
    public var json: JSONValue {
        .object([
            ("name", .string(name)), ("description", .optional(workflow?.description)), ("title", .optional(workflow?.title)),
            ("whenToUse", .optional(workflow?.whenToUse)),
            ("phases", .array((workflow?.phases ?? []).map { p in
                .object([("title", .string(p.title)), ("detail", .optional(p.detail)), ("model", .optional(p.model))])
            })),
            ("inputSchema", workflow?.inputSchema ?? .null),
            ("source", .string(source)), ("scope", .optional(scope)), ("plugin", .optional(plugin)), ("path", .string(path)),
            ("state", .string(state)), ("reason", .optional(reason)),
            ("diagnostics", .array(diagnostics.map(ValidationReport.json))),
        ])
    }
}
