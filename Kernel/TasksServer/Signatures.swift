import Foundation
import KernelStore
import KernelTasks

/// HMAC-SHA256 (RFC 2104) over the kernel's own SHA-256 (`KernelStore.SHA256`), so the server needs no crypto
/// package: a 64-byte block, keys longer than a block hashed first.
public enum HMACSHA256 {
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] { digest(key: key, message: message).bytes }

    public static func hex(key: String, message: [UInt8]) -> String { digest(key: Array(key.utf8), message: message).hex }

    static func digest(key: [UInt8], message: [UInt8]) -> SHA256.Digest {
        var k = key.count > 64 ? SHA256.hash(key).bytes : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize().bytes
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }
}

/// Checks webhook signatures over the raw body bytes, in constant time.
public enum WebhookSignature {
    /// Why a signature was refused (401).
    public enum Failure: Error, Equatable, Sendable {
        case missing, malformed, mismatch, stale(Double)
        public var message: String {
            switch self {
            case .missing: "the request is not signed (X-Hub-Signature-256, X-Kernel-Signature or Kernel-Signature)"
            case .malformed: "the signature header is malformed"
            case .mismatch: "the signature does not match the body"
            case .stale(let age): "the signature's timestamp is \(Int(age)) s away from now (tolerance \(Int(tolerance)) s)"
            }
        }
    }

    /// Stripe's tolerance for `t=` timestamps.
    public static let tolerance: Double = 300

    /// Verifies one of: GitHub's `X-Hub-Signature-256: sha256=<hex>`; the generic `X-Kernel-Signature:
    /// sha256=<hex>` (or bare hex), both HMAC-SHA256 of the body; Stripe-style `Kernel-Signature` (or
    /// `Stripe-Signature`) `t=<unix>,v1=<hex>[,v1=…]`, HMAC-SHA256 of `"<t>.<body>"`, `t` within ``tolerance``.
    public static func verify(secret: String, body: [UInt8], header: (String) -> String?, now: Date) throws(Failure) {
        if let h = header("X-Hub-Signature-256") ?? header("X-Kernel-Signature") {
            var hex = Substring(h.trimmingCharacters(in: .whitespaces))
            if hex.hasPrefix("sha256=") { hex = hex.dropFirst(7) }
            guard hex.utf8.count == 64 else { throw .malformed }
            let expected = HMACSHA256.hex(key: secret, message: body)
            guard TaskTokens.constantTimeEqual(Array(hex.lowercased().utf8), Array(expected.utf8)) else { throw .mismatch }
            return
        }
        if let h = header("Kernel-Signature") ?? header("Stripe-Signature") {
            var t: String?
            var candidates: [String] = []
            for part in h.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { throw .malformed }
                if kv[0] == "t" { t = kv[1] } else if kv[0] == "v1" { candidates.append(kv[1].lowercased()) }
            }
            guard let t, let seconds = Double(t), !candidates.isEmpty else { throw .malformed }
            let expected = Array(HMACSHA256.hex(key: secret, message: Array("\(t).".utf8) + body).utf8)
            var matched = false
            for c in candidates where TaskTokens.constantTimeEqual(Array(c.utf8), expected) { matched = true }
            guard matched else { throw .mismatch }
            let age = abs(now.timeIntervalSince1970 - seconds)
            guard age <= tolerance else { throw .stale(age) }
            return
        }
        throw .missing
    }
}
