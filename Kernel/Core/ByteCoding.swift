/// Little-endian, length-prefixed binary encoding for cache payloads (fast to read back: no parsing): the
/// bundle cache's entries and the memory rule cache's parsed rules.
public struct ByteWriter {
    public init() {}

    public var bytes: [UInt8] = []

    public mutating func int(_ v: Int64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            int(Int64(buf.count))
            bytes.append(contentsOf: buf)
        }
    }

    public mutating func optionalString(_ s: String?) {
        if let s {
            bytes.append(1)
            string(s)
        } else {
            bytes.append(0)
        }
    }
}

public struct ByteReader {
    public let bytes: [UInt8]
    public var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func int() -> Int64? {
        guard offset + 8 <= bytes.count else { return nil }
        var v: Int64 = 0
        for i in 0..<8 { v |= Int64(bytes[offset + i]) << (8 * i) }
        offset += 8
        return v
    }

    public mutating func string() -> String? {
        guard let n = int(), n >= 0, offset + Int(n) <= bytes.count else { return nil }
        let s = String(decoding: bytes[offset..<offset + Int(n)], as: UTF8.self)
        offset += Int(n)
        return s
    }

    public mutating func optionalString() -> String?? {
        guard offset < bytes.count else { return nil }
        let tag = bytes[offset]
        offset += 1
        if tag == 0 { return .some(nil) }
        guard let s = string() else { return nil }
        return .some(s)
    }
}

extension ByteWriter {
    public mutating func optionalInt(_ v: Int?) {
        if let v { bytes.append(1); int(Int64(v)) } else { bytes.append(0) }
    }

    public mutating func strings(_ items: [String]) {
        int(Int64(items.count))
        for s in items { string(s) }
    }
}

extension ByteReader {
    public mutating func optionalInt() -> Int?? {
        guard offset < bytes.count else { return nil }
        let tag = bytes[offset]
        offset += 1
        if tag == 0 { return .some(nil) }
        guard let v = int() else { return nil }
        return .some(Int(v))
    }

    /// A count written by `strings` or by a caller, refused when it could not fit in what is left.
    public mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= Int64(bytes.count - offset) else { return nil }
        return Int(n)
    }

    public mutating func strings() -> [String]? {
        guard let n = count() else { return nil }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let s = string() else { return nil }
            out.append(s)
        }
        return out
    }
}
