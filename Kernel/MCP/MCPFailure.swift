/// Why a session with an MCP server failed, in words a plugin author can act on; `kind` is what scripts test.
public struct MCPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The server's command could not be started (not found, not executable).
        public static let spawn = Kind("spawn")
        /// The server process ended (`exitStatus` / `signal`) before answering.
        public static let exited = Kind("exited")
        /// No answer within the time limit (initialize or a request).
        public static let timeout = Kind("timeout")
        /// The server wrote something that is not a JSON-RPC message (stdout of a stdio server, an HTTP body).
        public static let invalidOutput = Kind("invalid_output")
        /// One message over the size cap.
        public static let tooLarge = Kind("too_large")
        /// The server answered `initialize` with a protocol version the kernel does not speak.
        public static let protocolVersion = Kind("protocol_version")
        /// An HTTP exchange failed: connection, status, TLS, timeout of the transfer.
        public static let http = Kind("http")
        /// The server answered a request with a JSON-RPC error.
        public static let rpc = Kind("rpc")
        /// The server is not in effect (plugin disabled, project not trusted, shadowed, needs configuration).
        public static let inactive = Kind("inactive")
        /// A transport the kernel's client does not speak.
        public static let unsupported = Kind("unsupported")
        /// The session was closed.
        public static let closed = Kind("closed")
    }

    public var kind: Kind
    public var message: String
    /// What the server wrote on stderr (bounded: head and tail), for stdio servers.
    public var stderr: String?
    public var exitStatus: Int32?
    public var signal: Int32?

    public init(_ kind: Kind, _ message: String, stderr: String? = nil, exitStatus: Int32? = nil, signal: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.stderr = stderr
        self.exitStatus = exitStatus
        self.signal = signal
    }

    public var description: String { message }
}
