import Foundation
import KernelCore
import KernelNet

extension HookEngine {
    /// `http` handlers: POST the event JSON (libcurl, through KernelNet); the response body is the handler's
    /// output, read like a command's stdout on exit 0. A non-2xx status and a failed connection are
    /// non-blocking errors. Header values interpolate `${VAR}` from the environment: every variable when
    /// `allowedEnvVars` is omitted (the seed), only the listed ones otherwise (others become empty).
    func runHTTP(_ h: Prepared, handler: HookHandler, index: Int, input: [UInt8]) async -> HandlerRecord {
        var r = baseRecord(h, index: index)
        guard let url = handler.url else { r.failure = .configuration("http hook has no url"); return r }
        guard options.settings.allowsHTTP(url) else {
            r.failure = .configuration("HTTP hook blocked: \(url) does not match any pattern in allowedHttpHookUrls")
            return r
        }
        let allowed = handler.allowedEnvVars.map(Set.init)
        var headers = [HTTPHeader("Content-Type", "application/json")]
        for (name, value) in handler.headers.sorted(by: { $0.key < $1.key }) {
            headers.append(HTTPHeader(name, Self.interpolate(value, allowed: allowed, environment: ProcessInfo.processInfo.environment)))
        }
        let timeout = handler.timeout ?? options.defaultTimeout
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: input, timeout: timeout,
                                  maxResponseBytes: options.outputLimit, allowedProtocols: ["http", "https"])
        let start = ContinuousClock.now
        do {
            let response = try await HTTPClient.send(request)
            r.durationMs = Self.milliseconds(ContinuousClock.now - start)
            r.httpStatus = response.status
            r.output = response.body
            r.stdout = excerpt(response.body)
            if !response.isSuccess {
                r.failure = .httpStatus(response.status, url: url)
            }
        } catch {
            r.durationMs = Self.milliseconds(ContinuousClock.now - start)
            r.timedOut = error.code == .timeout
            r.failure = error.code == .tooLarge ? .outputLimit(stream: "response", limit: options.outputLimit)
                                                : .http(code: error.code.rawValue, message: error.message)
        }
        return r
    }

    /// `${NAME}` → the variable's value when allowed (empty otherwise); other text unchanged
    /// (`VariableExpander` policy `.headers`).
    static func interpolate(_ value: String, allowed: Set<String>?, environment: [String: String]) -> String {
        VariableExpander.expand(value, policy: .headers(allowed: allowed)) { environment[$0] }.result
    }
}
