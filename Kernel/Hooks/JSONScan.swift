/// Reads single fields of a JSON object without building a tree: what matching needs on every fire
/// (`tool_name`, `tool_input.command`…), so a fire that runs only native handlers parses nothing else.
/// The scan checks structure as far as it walks; a malformed input yields nil.
struct JSONScan {
    let bytes: [UInt8]

    /// The byte range of the value of `key` in the object spanning `range` (the whole input by default).
    func value(_ key: String, in range: Range<Int>? = nil) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { p -> Range<Int>? in
            var i = range?.lowerBound ?? 0
            let end = range?.upperBound ?? p.count
            Self.skipSpace(p, &i, end)
            if i < end, p[i] == 0xEF { i += 3 }  // BOM
            Self.skipSpace(p, &i, end)
            guard i < end, p[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var keyBytes = Array(key.utf8)
            return keyBytes.withUnsafeMutableBufferPointer { k -> Range<Int>? in
                while true {
                    Self.skipSpace(p, &i, end)
                    guard i < end else { return nil }
                    if p[i] == UInt8(ascii: "}") { return nil }
                    guard p[i] == UInt8(ascii: "\"") else { return nil }
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
                    if Self.keyEquals(p, keyRange, UnsafeBufferPointer(k)) { return valueRange }
                    Self.skipSpace(p, &i, end)
                    guard i < end else { return nil }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    return nil
                }
            }
        }
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
            Self.skipSpace(p, &i, p.count)
            if i < p.count, p[i] == 0xEF { i += 3 }
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
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= inner.upperBound else { return nil }
            var v: UInt32 = 0
            for b in bytes[at..<(at + 4)] {
                v <<= 4
                switch b {
                case 0x30...0x39: v |= UInt32(b - 0x30)
                case 0x41...0x46: v |= UInt32(b - 0x41 + 10)
                case 0x61...0x66: v |= UInt32(b - 0x61 + 10)
                default: return nil
                }
            }
            return v
        }
        while i < inner.upperBound {
            let b = bytes[i]
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < inner.upperBound else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var v = hex4(i + 1) else { return nil }
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 2 < inner.upperBound, bytes[i + 1] == UInt8(ascii: "\\"),
                   bytes[i + 2] == UInt8(ascii: "u"), let low = hex4(i + 3), low >= 0xDC00 && low < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(v) ?? "\u{FFFD}")).utf8)
            default: out.append(bytes[i])
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Scanning

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
