import Foundation
import HTTPTypes
import Hummingbird
import KernelCore
import KernelTasks
import NIOCore

/// A failure answered as `{"error": {"code", "message"}}` with its status.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status; self.code = code; self.message = message
    }

    static func badRequest(_ m: String) -> APIError { APIError(.badRequest, "bad_request", m) }
    static func notFound(_ m: String) -> APIError { APIError(.notFound, "not_found", m) }
    static let unauthorized = APIError(.unauthorized, "unauthorized", "a bearer token is required (Authorization: Bearer kt-…)")

    /// A tasks engine error with the status it means.
    static func task(_ e: TaskError) -> APIError {
        switch e.code {
        case .notFound: APIError(.notFound, "not_found", e.message)
        case .unavailable: APIError(.conflict, "unavailable", e.message)
        case .parameters: APIError(.unprocessableContent, "parameters", e.message)
        case .closed: APIError(.serviceUnavailable, "shutting_down", e.message)
        default: APIError(.internalServerError, e.code.rawValue, e.message)
        }
    }

    var response: Response {
        var r = JSON.response(.object([("error", .object([("code", .string(code)), ("message", .string(message))]))]), status: status)
        for f in headers { r.headers.append(f) }
        return r
    }
}

enum JSON {
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(value.serialized(pretty: false))
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }

    /// Parses a request body as JSON (400 with the line and column when it is not).
    static func parse(_ bytes: [UInt8]) throws(APIError) -> Node {
        do { return try JSONReader.parse(bytes).root } catch {
            throw APIError(.badRequest, "invalid_json", "the body is not JSON: \(error.line):\(error.column): \(error.message)")
        }
    }

    /// Parses a request body as a JSON object whose keys are all in `allowed` (unknown fields are refused).
    static func object(_ bytes: [UInt8], allowed: Set<String>, emptyIsObject: Bool = false) throws(APIError) -> Node {
        if bytes.isEmpty && emptyIsObject { return Node(.object([]), line: 1, column: 1) }
        let root = try parse(bytes)
        guard let members = root.members else { throw APIError(.badRequest, "invalid_json", "the body must be a JSON object, got \(root.kindDescription)") }
        for m in members where !allowed.contains(m.key) {
            throw APIError(.badRequest, "unknown_field", "unknown field '\(m.key)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        return root
    }
}

extension Request {
    /// The body, refused past `limit` bytes (by its Content-Length first, without reading it).
    func bytes(limit: Int) async throws(APIError) -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "too_large", "the body is \(length) bytes; at most \(limit) are accepted")
        }
        do {
            var buffer = try await body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError(.contentTooLarge, "too_large", "the body is larger than \(limit) bytes")
        }
    }

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }

    /// The bearer token of the Authorization header, or the dashboard's session cookie.
    var bearer: String? {
        guard let a = headers[.authorization], a.hasPrefix("Bearer ") else { return nil }
        var token = a.dropFirst(7)
        while let c = token.first, c == " " || c == "\t" { token.removeFirst() }
        while let c = token.last, c == " " || c == "\t" { token.removeLast() }
        return String(token)
    }

    func cookie(_ name: String) -> String? {
        for line in headers[values: .cookie] {
            for part in line.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name { return String(kv[1]) }
            }
        }
        return nil
    }
}

/// A JSON value read by dotted path (`issue.title`, `labels.0`).
enum JSONPath {
    static func value(_ node: Node, _ path: String) -> Node? {
        var cur = node
        for part in path.split(separator: ".") {
            if let next = cur[String(part)] { cur = next; continue }
            if let items = cur.array, let i = Int(part), i >= 0, i < items.count { cur = items[i]; continue }
            return nil
        }
        return cur
    }
}

/// Escapes text for HTML element content and attribute values.
func html(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// A `*`/`?`/`**` glob over branch names (`release/*`, `feature/**`).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        func m(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == t.count }
            if p[i] == "*" {
                let deep = i + 1 < p.count && p[i + 1] == "*"
                let next = deep ? i + 2 : i + 1
                var k = j
                while true {
                    if m(next, k) { return true }
                    if k == t.count || (!deep && t[k] == "/") { return false }
                    k += 1
                }
            }
            guard j < t.count else { return false }
            if p[i] == "?" ? t[j] != "/" : p[i] == t[j] { return m(i + 1, j + 1) }
            return false
        }
        return m(0, 0)
    }
}
