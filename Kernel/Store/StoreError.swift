internal import GRDB

/// An error from the kernel store: a database failure or a file-system failure while hashing a tree.
///
/// Extensible: switch on ``code`` with a `default` case.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// SQLite refused a write that breaks an invariant (NOT NULL, CHECK, UNIQUE, FOREIGN KEY).
        public static let constraintViolation = Code("constraintViolation")
        /// The database stayed locked by another process for longer than the busy timeout.
        public static let busy = Code("busy")
        /// Any other SQLite failure (cannot open, corrupt, I/O).
        public static let database = Code("database")
        /// A file-system failure (cannot create the database folder, read a file of a tree).
        public static let io = Code("io")
        /// A file in a tree that cannot be hashed (socket, FIFO, device).
        public static let unsupportedFileType = Code("unsupportedFileType")
    }

    public var code: Code
    public var message: String
    /// The file the error is about, when there is one.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        if let path { "\(path): \(message)" } else { message }
    }
}

extension StoreError {
    /// Maps a GRDB / SQLite error to a `StoreError`, keeping SQLite's message (it names the failing constraint).
    static func wrapping(_ error: any Error) -> StoreError {
        if let e = error as? StoreError { return e }
        guard let db = error as? DatabaseError else {
            return StoreError(.database, "\(error)")
        }
        let message = db.message ?? "\(db)"
        switch db.resultCode {
        case .SQLITE_CONSTRAINT: return StoreError(.constraintViolation, message)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError(.busy, message)
        default: return StoreError(.database, message)
        }
    }
}

/// Runs `body`, turning database errors into `StoreError`.
func storeErrors<T>(_ body: () throws -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch {
        throw StoreError.wrapping(error)
    }
}
