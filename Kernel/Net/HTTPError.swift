/// A transfer that did not produce a response: it could not start, connect, finish in time, or stay in its limits.
///
/// A response with a 4xx or 5xx status is *not* an error (see ``HTTPResponse``).
/// Extensible: switch on ``code`` with a `default` case.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code named `rawValue`.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The transfer (or connecting) took longer than the request's timeout.
        public static let timeout = Code("timeout")
        /// The host could not be resolved or reached, refused the connection, or dropped it.
        public static let connection = Code("connection")
        /// The response body is larger than the request's `maxResponseBytes` (or its headers are unreasonably large).
        public static let tooLarge = Code("tooLarge")
        /// More redirects than the request's `maxRedirects`.
        public static let tooManyRedirects = Code("tooManyRedirects")
        /// The URL (or a redirect) uses a scheme outside the allowed protocols.
        public static let protocolNotAllowed = Code("protocolNotAllowed")
        /// The URL is malformed or has no scheme.
        public static let badURL = Code("badURL")
        /// The request itself is invalid: a bad method or header, a negative limit.
        public static let invalidRequest = Code("invalidRequest")
        /// TLS failed: handshake, certificate verification, pinned key.
        public static let tls = Code("tls")
        /// The calling task was cancelled.
        public static let cancelled = Code("cancelled")
        /// Any other failure (a `file://` path that cannot be read, an unexpected curl error).
        public static let other = Code("other")
    }

    public var code: Code
    /// What was asked (method and URL) and why it failed, with curl's own explanation when it gave one.
    public var message: String

    /// An error of kind `code`, explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
