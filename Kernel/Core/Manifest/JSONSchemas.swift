/// JSON Schemas (draft 2020-12) for the three files a plugin author writes: `plugin.json`, `marketplace.json`
/// and `hooks/hooks.json`, for editors and CI. They describe what the kernel's parsers read (field names, types,
/// the closed sets: source forms, hook events and handler types); unknown keys are allowed, as the parsers
/// allow them (with a warning). The parsers stay the authority: a file the schema accepts can still draw
/// diagnostics (a path that does not exist, a matcher that does not compile).
public enum JSONSchemas {
    /// The files with a schema.
    public enum Kind: String, Sendable, CaseIterable {
        case plugin, marketplace, hooks

        /// The committed file name under `schemas/`.
        public var fileName: String { "\(rawValue).schema.json" }
    }

    /// The base of the schemas' `$id`s.
    public static let idBase = "https://kernel.dev/schemas/"

    /// The schema for `kind`.
    public static func schema(_ kind: Kind) -> JSONValue {
        switch kind {
        case .plugin: plugin
        case .marketplace: marketplace
        case .hooks: hooks
        }
    }

    // MARK: Building blocks

    static func string(_ description: String) -> JSONValue { .object([("type", "string"), ("description", .string(description))]) }
    static func strings(_ description: String) -> JSONValue {
        .object([("type", "array"), ("items", .object([("type", "string")])), ("description", .string(description))])
    }
    static func header(_ kind: Kind, _ title: String, _ description: String) -> [(String, JSONValue)] {
        [("$schema", "https://json-schema.org/draft/2020-12/schema"), ("$id", .string(idBase + kind.fileName)),
         ("title", .string(title)), ("description", .string(description))]
    }

    static let author: JSONValue = .object([
        ("description", "A person or organisation: an object with `name` (a bare string is read as the name, with a warning)."),
        ("anyOf", .array([
            .object([("type", "string")]),
            .object([("type", "object"), ("required", ["name"]), ("properties", .object([
                ("name", .object([("type", "string")])), ("email", .object([("type", "string")])), ("url", .object([("type", "string")])),
            ]))]),
        ])),
    ])
    static let paths: JSONValue = .object([
        ("description", "A path relative to the plugin root, or a list of them."),
        ("anyOf", .array([.object([("type", "string")]), .object([("type", "array"), ("items", .object([("type", "string")]))])])),
    ])
    static let componentRef: JSONValue = .object([
        ("description", "A path to a JSON file, a list of paths, or the configuration inline."),
        ("anyOf", .array([.object([("type", "string")]), .object([("type", "array")]), .object([("type", "object")])])),
    ])
    static let dependencies: JSONValue = .object([
        ("type", "array"), ("description", "Plugins this one needs: `name`, `name@marketplace`, or an object."),
        ("items", .object([("anyOf", .array([
            .object([("type", "string")]),
            .object([("type", "object"), ("required", ["name"]), ("properties", .object([
                ("name", .object([("type", "string")])), ("version", string("An npm-style range.")),
                ("marketplace", .object([("type", "string")])),
            ]))]),
        ]))])),
    ])

    /// The plugin.json fields (also allowed in a marketplace entry, where `strict: false` makes the entry the
    /// manifest).
    static let manifestProperties: [(String, JSONValue)] = [
        ("name", .object([("type", "string"), ("minLength", 1), ("pattern", "^[^\\s]+$"),
                          ("description", "The plugin's name: no whitespace, kebab-case recommended.")])),
        ("version", string("A semantic version (`1.2.3`).")),
        ("description", string("One line on what the plugin does.")),
        ("displayName", string("A name to show instead of `name`.")),
        ("author", author),
        ("homepage", string("A URL.")),
        ("repository", string("A URL.")),
        ("license", string("An SPDX identifier.")),
        ("keywords", strings("Words search matches.")),
        ("dependencies", dependencies),
        ("commands", .object([("description", "Command files or folders (paths), or an object of named commands."),
                              ("anyOf", .array([paths, .object([("type", "object")])]))])),
        ("agents", paths), ("skills", paths), ("outputStyles", paths),
        ("modules", paths),
        ("hooks", componentRef),
        ("mcpServers", componentRef),
        ("lspServers", componentRef),
        ("userConfig", userConfig),
    ]

    /// `userConfig`: key → option (what `UserConfigParser` reads).
    static let userConfig: JSONValue = .object([
        ("type", "object"),
        ("description", "Values the plugin asks its user for, substituted as `${user_config.KEY}` into its MCP servers and hooks."),
        ("propertyNames", .object([("pattern", "^[A-Za-z_][A-Za-z0-9_-]*$")])),
        ("additionalProperties", .object([
            ("type", "object"), ("required", ["type"]),
            ("properties", .object([
                ("type", .object([("enum", .strings(UserConfigType.allCases.map(\.rawValue)))])),
                ("title", string("A short label.")), ("description", string("What the value is for.")),
                ("required", .object([("type", "boolean")])),
                ("default", .object([("description", "A value of the option's type (an array of them when `multiple`).")])),
                ("options", .object([("type", "array"), ("minItems", 1), ("description", "The allowed values (string and number keys).")])),
                ("multiple", .object([("type", "boolean")])),
                ("sensitive", .object([("type", "boolean"), ("description", "Stored outside settings, masked when shown.")])),
                ("min", .object([("type", "number")])), ("max", .object([("type", "number")])),
            ])),
        ])),
    ])

    static let plugin: JSONValue = .object(header(.plugin, "Plugin manifest",
        "`.qoder-plugin/plugin.json` or `.claude-plugin/plugin.json` of a Kernel (Qoder CLI / Claude Code format) plugin.") + [
        ("type", "object"), ("required", ["name"]),
        ("properties", .object(manifestProperties)),
    ])

    // MARK: marketplace.json

    static func source(_ form: String, required: [String], _ properties: [(String, JSONValue)], _ description: String) -> JSONValue {
        .object([
            ("type", "object"), ("description", .string(description)),
            ("required", .strings(["source"] + required)),
            ("properties", .object([("source", .object([("const", .string(form))]))] + properties)),
        ])
    }
    static let sha: JSONValue = .object([("type", "string"), ("pattern", "^[0-9a-f]{40}$"), ("description", "A full commit sha; wins over `ref`.")])
    static let ref = string("A branch or tag.")

    static let pluginSource: JSONValue = .object([
        ("description", "Where the plugin comes from: a path inside the marketplace, or one of the remote forms."),
        ("anyOf", .array([
            .object([("type", "string"), ("description", "`./path`, or a bare name under `metadata.pluginRoot`.")]),
            source("github", required: ["repo"], [("repo", .object([("type", "string"), ("pattern", "^[^/\\s]+/[^/\\s]+$")])),
                                                 ("ref", ref), ("sha", sha), ("path", .object([("type", "string")]))], "A GitHub repository."),
            source("url", required: ["url"], [("url", string("A git URL.")), ("ref", ref), ("sha", sha),
                                              ("path", .object([("type", "string")]))], "Any git repository."),
            source("git-subdir", required: ["path"], [("url", string("A git URL.")), ("repo", .object([("type", "string")])),
                                                      ("path", string("The folder inside the repository.")), ("ref", ref), ("sha", sha)],
                   "One folder of a git repository (sparse checkout)."),
            source("npm", required: ["package"], [("package", string("`name` or `@scope/name`.")),
                                                  ("version", string("A version, dist-tag or npm range.")),
                                                  ("registry", string("The registry's URL (default https://registry.npmjs.org)."))],
                   "An npm package (dist.integrity verified)."),
            source("archive", required: ["url"], [("url", string("A .zip, .tar.gz, .tgz or .tar URL (https, http, file).")),
                                                  ("sha256", .object([("type", "string"), ("pattern", "^(sha256:)?[0-9a-fA-F]{64}$"),
                                                                      ("description", "Checked before the archive is unpacked.")]))],
                   "An archive over HTTP(S) or file."),
        ])),
    ])

    static let marketplace: JSONValue = .object(header(.marketplace, "Marketplace manifest",
        "`.qoder-plugin/marketplace.json`, `.claude-plugin/marketplace.json` or `marketplace.json`: a catalog of plugins.") + [
        ("type", "object"), ("required", ["name", "owner", "plugins"]),
        ("properties", .object([
            ("$schema", .object([("type", "string")])),
            ("name", .object([("type", "string"), ("minLength", 1), ("pattern", "^[^\\s]+$")])),
            ("owner", author),
            ("description", string("What the marketplace offers.")),
            ("version", .object([("type", "string")])),
            ("metadata", .object([("type", "object"), ("properties", .object([
                ("description", .object([("type", "string")])), ("version", .object([("type", "string")])),
                ("pluginRoot", string("The folder bare relative sources are resolved against.")),
            ]))])),
            ("renames", .object([("type", "object"), ("additionalProperties", .object([("type", "string")])),
                                 ("description", "Old plugin name → new name.")])),
            ("allowCrossMarketplaceDependenciesOn", strings("Marketplaces this one's plugins may depend on.")),
            ("forceRemoveDeletedPlugins", .object([("type", "boolean")])),
            ("plugins", .object([("type", "array"), ("items", .object([
                ("type", "object"), ("required", ["name", "source"]),
                ("properties", .object(manifestProperties.filter { $0.0 != "name" } + [
                    ("name", .object([("type", "string"), ("minLength", 1)])),
                    ("source", pluginSource),
                    ("strict", .object([("type", "boolean"), ("description", "false: the entry itself is the manifest.")])),
                    ("category", .object([("type", "string")])),
                    ("tags", strings("Labels.")),
                    ("headers", .object([("type", "object"), ("additionalProperties", .object([("type", "string")])),
                                         ("description", "Request headers for remote sources; `${VAR}` from the environment.")])),
                ])),
            ]))])),
        ])),
    ])

    // MARK: hooks.json

    static let handler: JSONValue = .object([
        ("type", "object"), ("required", ["type"]),
        ("properties", .object([
            ("type", .object([("enum", .strings(HookHandlerType.allCases.map(\.rawValue)))])),
            ("command", string("`command`: run with `bash -c` (or exec form with `args`).")),
            ("args", strings("Exec form: the arguments (no shell).")),
            ("shell", .object([("type", "string")])),
            ("url", string("`http`: the URL the event is POSTed to.")),
            ("headers", .object([("type", "object"), ("additionalProperties", .object([("type", "string")]))])),
            ("allowedEnvVars", strings("Variables `${VAR}` in headers may read.")),
            ("prompt", string("`prompt` / `agent`: the prompt.")),
            ("model", .object([("type", "string")])),
            ("tools", strings("`agent`: the tools it may use.")),
            ("maxTurns", .object([("type", "integer"), ("minimum", 1)])),
            ("timeout", .object([("type", "number"), ("exclusiveMinimum", 0), ("description", "Seconds (default 600).")])),
            ("if", string("`Tool(glob)`: run only when the tool's primary argument matches.")),
            ("statusMessage", .object([("type", "string")])),
            ("env", .object([("type", "object"), ("additionalProperties", .object([("type", "string")]))])),
            ("async", .object([("type", "boolean")])),
            ("asyncRewake", .object([("type", "boolean")])),
            ("rewakeMessage", .object([("type", "string")])),
            ("once", .object([("type", "boolean")])),
        ])),
    ])

    static let hooks: JSONValue = .object(header(.hooks, "Hooks configuration",
        "`hooks/hooks.json` of a plugin (the same shape as `hooks` in settings files).") + [
        ("type", "object"), ("required", ["hooks"]),
        ("properties", .object([
            ("description", .object([("type", "string")])),
            ("hooks", .object([
                ("type", "object"),
                ("propertyNames", .object([("enum", .strings(HookEvent.allCases.map(\.rawValue) + HookEvent.claudeCodeOnly))])),
                ("additionalProperties", .object([("type", "array"), ("items", .object([
                    ("type", "object"), ("required", ["hooks"]),
                    ("properties", .object([
                        ("matcher", string("Omitted, empty or `*`: all. Names joined by `|`, else a regular expression.")),
                        ("hooks", .object([("type", "array"), ("items", handler)])),
                    ])),
                ]))])),
            ])),
        ])),
    ])
}
