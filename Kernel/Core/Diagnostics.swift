/// How bad a diagnostic is. Errors make a bundle invalid; warnings do not (unless `--strict`).
public enum Severity: String, Sendable, Codable, Comparable {
    case error, warning, note

    private var rank: Int {
        switch self {
        case .error: 2
        case .warning: 1
        case .note: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A position in a file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`, `file:line` or `file`, as compilers print it.
    public var description: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        return s
    }
}

/// One problem found while reading a bundle or marketplace, printed compiler-style:
/// `path:line:col: error: message`.
///
/// `id` is stable (`area.problem`, e.g. `hooks.unknown_hook_event`): `validate --json` consumers match it, not
/// the message text, which quotes names and may be reworded. The same kind of problem has the same id wherever
/// it is found.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public var id: String
    public var severity: Severity
    public var message: String
    public var location: SourceLocation

    public init(id: String, _ severity: Severity, _ message: String, at location: SourceLocation) {
        self.id = id
        self.severity = severity
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }

    enum CodingKeys: String, CodingKey { case id, severity, file, line, column, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        severity = try c.decode(Severity.self, forKey: .severity)
        message = try c.decode(String.self, forKey: .message)
        location = SourceLocation(
            file: try c.decode(String.self, forKey: .file),
            line: try c.decodeIfPresent(Int.self, forKey: .line),
            column: try c.decodeIfPresent(Int.self, forKey: .column))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(severity, forKey: .severity)
        try c.encode(location.file, forKey: .file)
        try c.encode(location.line, forKey: .line)
        try c.encode(location.column, forKey: .column)
        try c.encode(message, forKey: .message)
    }
}

/// Collects diagnostics while a reader works; readers never throw for bad input, they report and go on.
public struct Diagnostics: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func error(id: String, _ message: String, at location: SourceLocation) {
        items.append(Diagnostic(id: id, .error, message, at: location))
    }

    public mutating func warning(id: String, _ message: String, at location: SourceLocation) {
        items.append(Diagnostic(id: id, .warning, message, at: location))
    }

    public mutating func note(id: String, _ message: String, at location: SourceLocation) {
        items.append(Diagnostic(id: id, .note, message, at: location))
    }

    public mutating func append(_ diagnostic: Diagnostic) { items.append(diagnostic) }
    public mutating func append(contentsOf other: [Diagnostic]) { items.append(contentsOf: other) }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errorCount: Int { items.count { $0.severity == .error } }
    public var warningCount: Int { items.count { $0.severity == .warning } }
}
