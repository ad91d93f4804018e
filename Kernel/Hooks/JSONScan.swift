import KernelCore

/// Reads single fields of a JSON object without building a tree: what matching needs on every fire
/// (`tool_name`, `tool_input.command`…), so a fire that runs only native handlers parses nothing else.
/// The scan checks structure as far as it walks; a malformed input yields nil.
///
/// It agrees with `JSONReader` on every input the reader accepts: the last of duplicate keys wins (the scan
/// reads the whole object), keys are compared after decoding their escapes (`"tool\u005fname"`), escapes are
/// decoded by the reader's own `decodeEscape`, and only a real UTF-8 BOM (EF BB BF) is skipped. Agreement is
/// the invariant of the `FuzzJSONScan` target.
struct JSONScan {
    let bytes: [UInt8]

    /// The byte range of the value of `key` in the object spanning `range` (the whole input by default).
    func value(_ key: String, in range: Range<Int>? = nil) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { p -> Range<Int>? in
            var i = range?.lowerBound ?? 0
            let end = range?.upperBound ?? p.count
            if range == nil { Self.skipBOM(p, &i, end) }
            Self.skipSpace(p, &i, end)
            guard i < end, p[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var keyBytes = Array(key.utf8)
            return keyBytes.withUnsafeMutableBufferPointer { k -> Range<Int>? in
                var found: Range<Int>?
                Self.skipSpace(p, &i, end)
                if i < end, p[i] == UInt8(ascii: "}") { return nil }
                while true {
                    Self.skipSpace(p, &i, end)
                    guard i < end, p[i] == UInt8(ascii: "\"") else { return nil }
                    let keyStart = i
                    guard Self.skipString(p, &i, end) else { return nil }
                    let keyRange = keyStart..<i
                    Self.skipSpace(p, &i, end)
                    guard i < end, p[i] == UInt8(ascii: ":") else { return nil }
                    i += 1
                    Self.skipSpace(p, &i, end)
                    let valueStart = i
                    guard Self.skipValue(p, &i, end, depth: 0) else { return nil }
                    let valueRange = valueStart..<i
                    if keyMatches(p, keyRange, UnsafeBufferPointer(k)) { found = valueRange }  // the last one wins
                    Self.skipSpace(p, &i, end)
                    guard i < end else { return nil }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    return p[i] == UInt8(ascii: "}") ? found : nil
                }
            }
        }
    }

    /// A key equals the one sought: bytewise when it has no escape, else after decoding.
    private func keyMatches(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var j = r.lowerBound + 1
        while j < r.upperBound - 1, p[j] != UInt8(ascii: "\\") { j += 1 }
        if j == r.upperBound - 1 { return Self.keyEquals(p, r, key) }
        guard let decoded = decodeString(r) else { return false }
        return decoded.utf8.elementsEqual(key)
    }

    /// The string value of `key` (nil when absent or not a string).
    func string(_ key: String, in range: Range<Int>? = nil) -> String? {
        guard let r = value(key, in: range) else { return nil }
        return decodeString(r)
    }

    /// Whether the input is an object (checked shallowly: it starts with `{`).
    var isObject: Bool {
        var i = 0
        return bytes.withUnsafeBufferPointer { p in
            Self.skipBOM(p, &i, p.count)
            Self.skipSpace(p, &i, p.count)
            return i < p.count && p[i] == UInt8(ascii: "{")
        }
    }

    func decodeString(_ r: Range<Int>) -> String? {
        guard r.count >= 2, bytes[r.lowerBound] == UInt8(ascii: "\"") else { return nil }
        let inner = (r.lowerBound + 1)..<(r.upperBound - 1)
        if !bytes[inner].contains(UInt8(ascii: "\\")) {
            return String(decoding: bytes[inner], as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var i = inner.lowerBound
        while i < inner.upperBound {
            var run = i
            while run < inner.upperBound, bytes[run] != UInt8(ascii: "\\") { run += 1 }
            out += bytes[i..<run]
            i = run
            guard i < inner.upperBound else { break }
            guard JSONReader.decodeEscape(bytes, at: &i, end: inner.upperBound, into: &out) == nil else { return nil }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Scanning

    /// A UTF-8 byte order mark at the start, as `JSONReader` skips it (whitespace before it is not skipped).
    static func skipBOM(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) {
        if i + 3 <= end, p[i] == 0xEF, p[i + 1] == 0xBB, p[i + 2] == 0xBF { i += 3 }
    }

    @inline(__always)
    static func skipSpace(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) {
        while i < end {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    /// At an opening quote: moves past the closing quote.
    static func skipString(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int) -> Bool {
        i += 1
        while i < end {
            let b = p[i]
            if b == UInt8(ascii: "\"") { i += 1; return true }
            if b == UInt8(ascii: "\\") { i += 2 } else { i += 1 }
        }
        return false
    }

    static func skipValue(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, depth: Int) -> Bool {
        guard i < end, depth < 512 else { return false }
        switch p[i] {
        case UInt8(ascii: "\""):
            return skipString(p, &i, end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = p[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            skipSpace(p, &i, end)
            if i < end, p[i] == close { i += 1; return true }
            while i < end {
                if isObject {
                    guard p[i] == UInt8(ascii: "\""), skipString(p, &i, end) else { return false }
                    skipSpace(p, &i, end)
                    guard i < end, p[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                    skipSpace(p, &i, end)
                }
                guard skipValue(p, &i, end, depth: depth + 1) else { return false }
                skipSpace(p, &i, end)
                guard i < end else { return false }
                if p[i] == UInt8(ascii: ",") { i += 1; skipSpace(p, &i, end); continue }
                if p[i] == close { i += 1; return true }
                return false
            }
            return false
        default:
            let start = i
            while i < end {
                let b = p[i]
                if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 || b == 0x0A
                    || b == 0x0D || b == 0x09 { break }
                i += 1
            }
            return i > start
        }
    }

    static func keyEquals(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard r.count == key.count + 2 else { return false }
        var j = r.lowerBound + 1
        for b in key {
            if p[j] != b { return false }
            j += 1
        }
        return true
    }
}
