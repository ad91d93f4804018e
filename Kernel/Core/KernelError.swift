/// The kernel's one thrown error: a code from a closed set that scripts and `--json` consumers test
/// (snake_case on the wire; every code is listed in README), a message that names what was wrong, the
/// diagnostics of a bundle or settings problem, and the error it wraps (a `StoreError`, a `SettingsError`…).
public struct KernelError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. A closed set: only the static members exist.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The bundle has errors (see `diagnostics`).
        public static let invalidBundle = Code("invalid_bundle")
        /// The bundle holds no component or resource.
        public static let noContent = Code("no_content")
        /// No installed plugin has that name (at that scope).
        public static let notInstalled = Code("plugin_not_installed")
        /// A bare name matches several plugins or components.
        public static let ambiguous = Code("ambiguous_name")
        /// A settings file could not be read or written (it is left untouched).
        public static let settings = Code("settings")
        /// The kernel's database failed.
        public static let store = Code("store")
        /// A file or folder could not be read, copied or written.
        public static let io = Code("io")
        /// No component has that name.
        public static let notFound = Code("not_found")
        /// A native command's function failed (or its module could not be opened).
        public static let nativeCommand = Code("native_command")
        /// Input given to the kernel is not what the command takes (a hook event input that is not a JSON
        /// object, an unknown event).
        public static let invalidInput = Code("invalid_input")
        /// A task blueprint cannot run now: inactive, paused, disabled by max runs or expiry (`kernel tasks`).
        public static let unavailable = Code("unavailable")
        /// Task parameters that are not a JSON object, or over the size limits.
        public static let parameters = Code("parameters")
        /// An archive was refused: an unsafe entry (named), over a limit, malformed, or not a zip or tar.
        public static let archive = Code("archive")
        /// Downloaded bytes do not match the `sha256` or npm `dist.integrity` they were pinned to.
        public static let integrity = Code("integrity")
        /// A download or registry lookup failed (unreachable, an HTTP error status, a version not found).
        public static let fetch = Code("fetch")

        /// An MCP server could not be started or connected to, broke the protocol, or failed a request
        /// (`kernel mcp probe|call`; the message names the failure's kind).
        public static let mcpServer = Code("mcp_server")

        /// Plugin dependencies cannot be satisfied (a dependency not found, a cycle, conflicting version
        /// ranges, a cross-marketplace dependency the marketplace does not allow), or a plugin others need
        /// would be disabled or uninstalled.
        public static let dependency = Code("dependency")

        /// The administrator's managed settings refuse it (a blocked or not-allowed marketplace, a plugin the
        /// policy blocks or forces on), or the managed settings file is malformed (fail closed).
        public static let policy = Code("policy")

        /// `plugins sync`: the project is not trusted (or changed since it was trusted).
        public static let untrusted = Code("untrusted")
        /// `plugins sync`: the lock and the declared set, or fetched content and its locked hash, disagree.
        public static let lockMismatch = Code("lock_mismatch")

        /// Every code, for documentation and tests.
        public static let all: [Code] = [invalidBundle, noContent, notInstalled, ambiguous, settings, store, io,
                                         notFound, nativeCommand, invalidInput, unavailable, parameters,
                                         archive, integrity, fetch, mcpServer, dependency, policy,
                                         untrusted, lockMismatch]
    }

    public var code: Code
    public var message: String
    public var diagnostics: [Diagnostic]
    /// The error this one wraps, kept as it was thrown (not flattened into `message`).
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, diagnostics: [Diagnostic] = []) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.diagnostics = diagnostics
    }

    /// Wraps `error` with its own description as the message, optionally after `context` ("cannot open …: ").
    public init(_ code: Code, wrapping error: any Error, context: String? = nil) {
        let text = String(describing: error)
        self.init(code, context.map { "\($0): \(text)" } ?? text, underlying: error)
    }

    /// A settings file that does not parse or cannot be written: code `settings`, its line and column as a
    /// diagnostic.
    public init(settings error: SettingsError) {
        self.init(.settings, error.description, underlying: error,
                  diagnostics: [Diagnostic(id: "settings.\(error.code.rawValue)", .error, error.message, at: error.location)])
    }

    public var description: String { message }
}
