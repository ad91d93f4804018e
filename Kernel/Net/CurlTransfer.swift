internal import CCurl
import KernelCore

/// One libcurl easy transfer: sets the options from an ``HTTPRequest``, collects the body and headers through
/// callbacks, and maps curl's result to an ``HTTPResponse`` or an ``HTTPError``.
final class CurlTransfer {
    /// The most header bytes accepted per response, apart from the body limit.
    static let maxHeaderBytes = 256 * 1024

    let maxBodyBytes: Int
    let cancellation: AtomicFlag
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var headerBytes = 0
    /// Set when a callback aborted the transfer because a limit was exceeded (curl then reports a write error):
    /// what was too large.
    var exceededLimit: String?
    /// curl writes its explanation of a failure here (CURLOPT_ERRORBUFFER).
    let errorBuffer: UnsafeMutablePointer<CChar>

    private init(maxBodyBytes: Int, cancellation: AtomicFlag) {
        self.maxBodyBytes = maxBodyBytes
        self.cancellation = cancellation
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit { errorBuffer.deallocate() }

    static func perform(_ request: HTTPRequest, cancellation: AtomicFlag) throws(HTTPError) -> HTTPResponse {
        let asked = "\(request.method) \(request.url)"
        let plan = try Plan(request, asked: asked)
        // libcurl is loaded (and curl_global_init run) on the first transfer, not at start-up.
        if let problem = kernel_curl_load_error() {
            throw HTTPError(.other, "\(asked): \(String(cString: problem))")
        }
        guard let handle = kernel_curl_easy_init() else {
            throw HTTPError(.other, "\(asked): curl_easy_init failed")
        }
        let transfer = CurlTransfer(maxBodyBytes: request.maxResponseBytes, cancellation: cancellation)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        // The header list, the callbacks' userdata and the error buffer must outlive the handle.
        defer {
            kernel_curl_easy_cleanup(handle)
            kernel_curl_slist_free_all(headerList)
            withExtendedLifetime(transfer) {}
        }
        // Unretained: the defer above keeps `transfer` alive until the handle is gone.
        let userdata = Unmanaged.passUnretained(transfer).toOpaque()

        func set(_ code: CURLcode, _ option: String) throws(HTTPError) {
            guard code == CURLE_OK else {
                throw HTTPError(.other, "\(asked): cannot set \(option): \(describe(code))")
            }
        }

        try set(kernel_curl_setopt_errorbuffer(handle, transfer.errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(kernel_curl_setopt_string(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        try set(kernel_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, plan.protocols), "CURLOPT_PROTOCOLS_STR")
        if let redirectProtocols = plan.redirectProtocols {
            try set(kernel_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, redirectProtocols),
                    "CURLOPT_REDIR_PROTOCOLS_STR")
            try set(kernel_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1), "CURLOPT_FOLLOWLOCATION")
            try set(kernel_curl_setopt_long(handle, CURLOPT_MAXREDIRS, request.maxRedirects), "CURLOPT_MAXREDIRS")
        } else {
            try set(kernel_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "CURLOPT_FOLLOWLOCATION")
        }
        try set(kernel_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, plan.timeoutMilliseconds), "CURLOPT_TIMEOUT_MS")
        try set(kernel_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, plan.connectTimeoutMilliseconds),
                "CURLOPT_CONNECTTIMEOUT_MS")
        // Signals and threads do not mix: without this, curl's DNS timeout uses SIGALRM.
        try set(kernel_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try set(kernel_curl_setopt_string(handle, CURLOPT_USERAGENT, "kernel"), "CURLOPT_USERAGENT")
        // Refuse early when the server announces a larger body; the write callback enforces it otherwise.
        try set(kernel_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes)),
                "CURLOPT_MAXFILESIZE_LARGE")

        try set(kernel_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            return transfer.receiveBody(data, size * count)
        }, "CURLOPT_WRITEFUNCTION")
        try set(kernel_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata), "CURLOPT_WRITEDATA")
        try set(kernel_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            return transfer.receiveHeader(data, size * count)
        }, "CURLOPT_HEADERFUNCTION")
        try set(kernel_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata), "CURLOPT_HEADERDATA")
        try set(kernel_curl_setopt_xferinfo(handle) { userdata, _, _, _, _ in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            return transfer.cancellation.isSet ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try set(kernel_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, userdata), "CURLOPT_XFERINFODATA")
        try set(kernel_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "CURLOPT_NOPROGRESS")

        switch plan.method {
        case "GET":
            try set(kernel_curl_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        case "HEAD":
            try set(kernel_curl_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
        default:
            if plan.method != "POST" {
                try set(kernel_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, plan.method), "CURLOPT_CUSTOMREQUEST")
            }
            if plan.method == "POST" || !request.body.isEmpty {
                try set(kernel_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                        "CURLOPT_POSTFIELDSIZE_LARGE")
                // COPYPOSTFIELDS: curl keeps its own copy, so the body outlives this call whatever happens.
                let code = request.body.isEmpty
                    ? kernel_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
                    : request.body.withUnsafeBufferPointer { bytes in
                        bytes.withMemoryRebound(to: CChar.self) { chars in
                            kernel_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, chars.baseAddress)
                        }
                    }
                try set(code, "CURLOPT_COPYPOSTFIELDS")
            }
        }

        for line in plan.headerLines {
            guard let appended = kernel_curl_slist_append(headerList, line) else {
                throw HTTPError(.other, "\(asked): cannot build the header list")
            }
            headerList = appended
        }
        if headerList != nil {
            try set(kernel_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
        }

        let result = kernel_curl_easy_perform(handle)
        guard result == CURLE_OK else {
            throw transfer.error(for: result, asked: asked, request: request)
        }

        var status = 0
        _ = kernel_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>? = nil
        _ = kernel_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.map { String(cString: $0) } ?? request.url
        if status == 0 && plan.scheme == "file" {
            status = 200
        }
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body, effectiveURL: effectiveURL)
    }

    // MARK: Callbacks

    func receiveBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard count <= maxBodyBytes - body.count else {
            exceededLimit = "the response body is larger than the limit of \(maxBodyBytes) bytes"
            return 0  // Any other count than the one given aborts the transfer with CURLE_WRITE_ERROR.
        }
        if let data, count > 0 {
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        }
        return count
    }

    func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return count }
        headerBytes += count
        guard headerBytes <= Self.maxHeaderBytes else {
            exceededLimit = "the response headers are larger than the limit of \(Self.maxHeaderBytes) bytes"
            return 0
        }
        var bytes = UnsafeRawBufferPointer(start: data, count: count)[...]
        while let last = bytes.last, last == 0x0D || last == 0x0A { bytes.removeLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response starts (after a redirect or a 1xx): only the last one's headers are reported.
            headers.removeAll()
            headerBytes = count
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingSpacesAndTabs()
            headers.append(HTTPHeader(name, value))
        } else if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
            // An obsolete folded continuation line.
            headers[headers.count - 1].value += " " + line.trimmingSpacesAndTabs()
        }
        return count
    }

    // MARK: Errors

    func error(for code: CURLcode, asked: String, request: HTTPRequest) -> HTTPError {
        let explanation = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : Self.describe(code)
        let message = "\(asked): \(explanation)"
        switch code {
        case CURLE_WRITE_ERROR where exceededLimit != nil:
            return HTTPError(.tooLarge, "\(asked): \(exceededLimit ?? "")")
        case CURLE_FILESIZE_EXCEEDED:
            return HTTPError(.tooLarge, "\(asked): the response body is larger than the limit of "
                + "\(request.maxResponseBytes) bytes")
        case CURLE_ABORTED_BY_CALLBACK where cancellation.isSet:
            return HTTPError(.cancelled, "\(asked): cancelled")
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPError(.timeout, "\(message) (timeout \(request.timeout) s, connect \(request.connectTimeout) s)")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
             CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return HTTPError(.connection, message)
        case CURLE_TOO_MANY_REDIRECTS:
            return HTTPError(.tooManyRedirects, "\(message) (limit \(request.maxRedirects))")
        case CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPError(.protocolNotAllowed, "\(message) (allowed: "
                + "\(request.allowedProtocols.intersection(HTTPRequest.supportedProtocols).sorted().joined(separator: ", ")))")
        case CURLE_URL_MALFORMAT:
            return HTTPError(.badURL, message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return HTTPError(.tls, message)
        default:
            return HTTPError(.other, message)
        }
    }

    static func describe(_ code: CURLcode) -> String {
        String(cString: kernel_curl_easy_strerror(code))
    }
}

extension CurlTransfer {
    /// A request checked and turned into the values curl is given.
    struct Plan {
        var method: String
        var scheme: String
        var protocols: String
        /// `nil` when redirects are not followed.
        var redirectProtocols: String?
        var timeoutMilliseconds: Int
        var connectTimeoutMilliseconds: Int
        var headerLines: [String]

        init(_ request: HTTPRequest, asked: String) throws(HTTPError) {
            guard !request.method.isEmpty, request.method.utf8.allSatisfy(Self.isTokenByte) else {
                throw HTTPError(.invalidRequest, "\(asked): invalid method '\(request.method)'")
            }
            method = request.method

            guard !request.url.utf8.contains(0), let scheme = Self.scheme(of: request.url) else {
                throw HTTPError(.badURL, "\(asked): not an absolute URL with a scheme (like https://…)")
            }
            self.scheme = scheme
            let allowed = request.allowedProtocols.map { $0.lowercased() }.filter(HTTPRequest.supportedProtocols.contains)
            guard allowed.contains(scheme) else {
                let list = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
                throw HTTPError(.protocolNotAllowed, "\(asked): the scheme '\(scheme)' is not allowed (allowed: \(list))")
            }
            protocols = allowed.sorted().joined(separator: ",")
            let redirectable = allowed.filter { $0 != "file" }.sorted()
            redirectProtocols = request.maxRedirects > 0 && !redirectable.isEmpty
                ? redirectable.joined(separator: ",") : nil

            guard request.maxResponseBytes >= 0, request.maxRedirects >= 0 else {
                throw HTTPError(.invalidRequest, "\(asked): maxResponseBytes and maxRedirects must not be negative")
            }
            timeoutMilliseconds = try Self.milliseconds(request.timeout, "timeout", asked)
            connectTimeoutMilliseconds = try Self.milliseconds(request.connectTimeout, "connectTimeout", asked)

            var lines: [String] = []
            var hasExpect = false
            for header in request.headers {
                guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte),
                      !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
                else {
                    throw HTTPError(.invalidRequest, "\(asked): invalid header field '\(header.name)'")
                }
                if header.name.lowercased() == "expect" { hasExpect = true }
                // "Name;" is curl's spelling for a field sent with an empty value ("Name:" would remove it).
                lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
            }
            if !hasExpect {
                lines.append("Expect:")  // No "Expect: 100-continue" round trip before larger bodies.
            }
            headerLines = lines
        }

        /// The lowercased scheme of an absolute URL: letters, digits, `+`, `-`, `.` before `://`.
        static func scheme(of url: String) -> String? {
            guard let end = url.range(of: "://") else { return nil }
            let scheme = url[..<end.lowerBound]
            guard let first = scheme.unicodeScalars.first, first.isASCIILetter,
                  scheme.unicodeScalars.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "+-.".unicodeScalars.contains($0) })
            else { return nil }
            return scheme.lowercased()
        }

        static func milliseconds(_ seconds: Double, _ name: String, _ asked: String) throws(HTTPError) -> Int {
            guard seconds.isFinite, seconds > 0, seconds <= 86_400 * 365 else {
                throw HTTPError(.invalidRequest, "\(asked): \(name) must be a positive number of seconds, not \(seconds)")
            }
            return max(1, Int((seconds * 1000).rounded(.up)))
        }

        /// An HTTP token character (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension Substring {
    fileprivate func trimmingSpacesAndTabs() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

extension String {
    fileprivate func trimmingSpacesAndTabs() -> String { self[...].trimmingSpacesAndTabs() }
}
