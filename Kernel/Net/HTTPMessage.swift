/// One header field of a request or a response, in the order it was given or received.
public struct HTTPHeader: Sendable, Hashable, CustomStringConvertible {
    /// The field name as written (compare it case-insensitively).
    public var name: String
    /// The field value, without surrounding spaces or the line ending.
    public var value: String

    /// A field named `name` with `value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name): \(value)" }
}

/// An HTTP(S) or `file://` transfer to make with ``HTTPClient``.
///
/// Every limit has a safe default: 30 s for the whole transfer, 10 s to connect, 10 MiB of response body,
/// 5 redirects, and only `http`, `https` and `file` URLs.
public struct HTTPRequest: Sendable {
    /// The request method: `GET`, `POST`, `HEAD`, or any other token (sent as a custom method).
    public var method: String
    /// The absolute URL, with its scheme (`https://…`, `http://…`, `file:///…`).
    public var url: String
    /// Extra header fields, sent in order. They replace curl's own field of the same name (for example
    /// `User-Agent`); a value must not contain CR, LF or NUL.
    public var headers: [HTTPHeader]
    /// The request body, sent for `POST` (and for a custom method when not empty). Ignored for `GET` and `HEAD`.
    public var body: [UInt8]
    /// The longest the whole transfer may take, in seconds, connecting and redirects included.
    public var timeout: Double
    /// The longest connecting (DNS, TCP, TLS handshake) may take, in seconds.
    public var connectTimeout: Double
    /// The largest response body accepted, in bytes. A larger body fails with
    /// ``HTTPError/Code-swift.struct/tooLarge``; it is never silently truncated.
    public var maxResponseBytes: Int
    /// How many redirects to follow. `0` does not follow redirects: the 3xx comes back as the response.
    public var maxRedirects: Int
    /// The URL schemes allowed, lowercase. This can only narrow the kernel's own list (`http`, `https`,
    /// `file`): any other scheme is ignored. Redirects never go to `file`.
    public var allowedProtocols: Set<String>

    /// The schemes the kernel ever allows.
    public static let supportedProtocols: Set<String> = ["http", "https", "file"]
    /// The default ``maxResponseBytes``: 10 MiB.
    public static let defaultMaxResponseBytes = 10 << 20

    /// A request for `url`, with the kernel's default limits unless given.
    ///
    /// Nothing is checked here: an invalid method, header, URL or limit fails when sent, with
    /// ``HTTPError/Code-swift.struct/invalidRequest`` or ``HTTPError/Code-swift.struct/badURL``.
    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        timeout: Double = 30,
        connectTimeout: Double = 10,
        maxResponseBytes: Int = HTTPRequest.defaultMaxResponseBytes,
        maxRedirects: Int = 5,
        allowedProtocols: Set<String> = HTTPRequest.supportedProtocols
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxRedirects = maxRedirects
        self.allowedProtocols = allowedProtocols
    }
}

/// What the server (or the file system, for `file://`) answered.
///
/// Any status is a response, including 4xx and 5xx: callers decide what a status means.
public struct HTTPResponse: Sendable {
    /// The HTTP status of the last response (after redirects). `200` for a `file://` URL that was read.
    public var status: Int
    /// The header fields of the last response (after redirects), in the order received.
    public var headers: [HTTPHeader]
    /// The whole body, at most the request's ``HTTPRequest/maxResponseBytes``.
    public var body: [UInt8]
    /// The URL the body came from, after redirects.
    public var effectiveURL: String

    /// A response with these parts (for tests and transports other than curl).
    public init(status: Int, headers: [HTTPHeader], body: [UInt8], effectiveURL: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
    }

    /// The value of the first header field named `name`, compared case-insensitively; `nil` when absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
