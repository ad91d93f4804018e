public import KernelCore

/// A failure of a host operation (install, enable…), with a code scripts can test and a message that names
/// what was wrong. Bundle problems carry their diagnostics.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The bundle has errors (see `diagnostics`).
        public static let invalidBundle = Code("invalid_bundle")
        /// The bundle holds no component or resource.
        public static let noContent = Code("no_content")
        public static let notInstalled = Code("plugin_not_installed")
        public static let ambiguous = Code("ambiguous_name")
        /// A settings file could not be read or written (it is left untouched).
        public static let settings = Code("settings")
        public static let store = Code("store")
        public static let io = Code("io")
        public static let notFound = Code("not_found")
        /// A native command's function failed (or its module could not be opened).
        public static let nativeCommand = Code("native_command")
    }

    public var code: Code
    public var message: String
    public var diagnostics: [Diagnostic]

    public init(_ code: Code, _ message: String, diagnostics: [Diagnostic] = []) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String { message }
}
