/// The JSON shapes of registry entries: what `kernel … list --json` and `show --json` print and what a server
/// can serve. One place, so every consumer prints the same fields.
extension RegistryEntry {
    /// source, scope, plugin, file, line, state, reason.
    public var provenanceJSON: [(String, JSONValue)] {
        [
            ("source", .string(provenance.source.rawValue)),
            ("scope", .optional(provenance.scope?.rawValue)),
            ("plugin", .optional(provenance.pluginID)),
            ("file", .optional(provenance.file)),
            ("line", provenance.line.map { .int($0) } ?? .null),
            ("state", .string(state.name)),
            ("reason", .optional(state.reason)),
        ]
    }

    /// A listing row: name, description, the kind's own fields, then provenance and state.
    public func listingJSON(description: String?, fields: [(String, JSONValue)] = []) -> JSONValue {
        .object([("name", .string(name)), ("description", .optional(description))] + fields + provenanceJSON)
    }
}

extension RegistryEntry where Item == CommandDefinition {
    /// `commands list --json`.
    public var listingJSON: JSONValue {
        listingJSON(description: item.description, fields: [("argumentHint", .optional(item.argumentHint)),
                                                            ("native", .bool(item.isNative))])
    }

    /// `commands show --json`.
    public var detailJSON: JSONValue {
        let c = item
        return .object([
            ("name", .string(name)), ("description", .optional(c.description)),
            ("argumentHint", .optional(c.argumentHint)), ("allowedTools", .strings(c.allowedTools)),
            ("model", .optional(c.model)), ("native", .bool(c.isNative)),
            ("module", .optional(c.nativeModule)), ("body", c.isNative ? .null : .string(c.body)),
        ] + provenanceJSON)
    }
}

extension RegistryEntry where Item == SkillDefinition {
    /// `skills list --json`: with `visibility` (`on`, or what `skillOverrides` sets).
    public var listingJSON: JSONValue {
        listingJSON(description: item.description, fields: [("visibility", .string(item.visibility ?? "on"))])
    }

    /// `skills show --json`.
    public var detailJSON: JSONValue {
        let s = item
        return .object([
            ("name", .string(name)), ("description", .string(s.description)),
            ("license", .optional(s.license)), ("compatibility", .optional(s.compatibility)),
            ("allowedTools", .strings(s.allowedTools)),
            ("metadata", .object(s.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("body", .string(s.body)),
        ] + provenanceJSON)
    }
}

extension RegistryEntry where Item == AgentDefinition {
    public var listingJSON: JSONValue { listingJSON(description: item.description, fields: [("model", .optional(item.model))]) }

    /// The agent's own fields, in `agents show` order (the prompt last).
    public var detailFields: [(String, JSONValue)] {
        let a = item
        return [
            ("name", .string(a.name)), ("description", .string(a.description)),
            ("tools", a.tools.map(JSONValue.strings) ?? .null),
            ("disallowedTools", a.disallowedTools.map(JSONValue.strings) ?? .null),
            ("model", .optional(a.model)), ("permissionMode", .optional(a.permissionMode)),
            ("color", .optional(a.color)), ("memory", .optional(a.memory)), ("isolation", .optional(a.isolation)),
            ("maxTurns", a.maxTurns.map { .int($0) } ?? .null), ("timeoutMins", a.timeoutMins.map { .int($0) } ?? .null),
            ("effort", .optional(a.effort)), ("prompt", .string(a.body)),
        ]
    }

    /// `agents show --json`.
    public var detailJSON: JSONValue { .object(detailFields + provenanceJSON) }
}

extension RegistryEntry where Item == HookMatcherGroup {
    /// `hooks list --json`: the group with its handlers.
    public var listingJSON: JSONValue {
        .object([
            ("event", .string(item.event)), ("matcher", .optional(item.matcher)),
            ("handlers", .array(item.handlers.map { h in
                .object([("type", .string(h.type.rawValue)), ("command", .optional(h.command)),
                         ("args", h.args.map(JSONValue.strings) ?? .null), ("url", .optional(h.url)),
                         ("prompt", .optional(h.prompt)), ("timeout", h.timeout.map { .double($0) } ?? .null)])
            })),
        ] + provenanceJSON)
    }
}

extension RegistryEntry where Item == any NativeHookHandler {
    /// `hooks list --json`: a native handler as a group of one.
    public var listingJSON: JSONValue {
        .object([
            ("event", .string(item.event)), ("matcher", .optional(item.matcher)),
            ("handlers", .array([.object([("type", .string("native")), ("name", .string(item.name))])])),
        ] + provenanceJSON)
    }
}

extension KernelError {
    /// What `--json` prints for a failure: `{"error": true, "code", "message", "diagnostics"}`.
    public var json: JSONValue {
        .object([
            ("error", true), ("code", .string(code.rawValue)), ("message", .string(message)),
            ("diagnostics", .array(diagnostics.map(ValidationReport.json))),
        ])
    }
}
