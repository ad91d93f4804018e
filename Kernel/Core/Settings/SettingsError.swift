/// Why a settings file could not be read or edited. The file is never written when one is thrown.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    /// What went wrong; extensible (a struct, not an enum), compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file is not JSON; `line` and `column` point at the offending byte.
        public static let syntax = Code("syntax")
        /// The file's top level, or an object on the key path, is another kind of value.
        public static let notAnObject = Code("notAnObject")
        /// An empty key path was given.
        public static let invalidKeyPath = Code("invalidKeyPath")
        /// The file is larger than `SettingsFile.maxSize`.
        public static let tooLarge = Code("tooLarge")
        /// The edited text failed its check before the write (see `SettingsText.verify`); nothing is written.
        public static let editRefused = Code("editRefused")
        /// A system call failed; `errno` says why.
        public static let io = Code("io")
    }

    public var code: Code
    /// The file as the caller named it (for a symlink, the link; messages about the target name it).
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    /// For `.io`, the `errno` of the failed call.
    public var errno: Int32?

    public init(_ code: Code, file: String, line: Int? = nil, column: Int? = nil, message: String, errno: Int32? = nil) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.errno = errno
    }

    public var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    /// `file:line:col: message`, as compilers print it.
    public var description: String { "\(location): \(message)" }
}
