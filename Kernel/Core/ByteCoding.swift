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

/// Reads what `ByteWriter` wrote, straight from the payload's bytes (no copy into an array): use it inside
/// `withUnsafeBytes` of the payload, which must outlive the reader.
public struct ByteReader {
    public let raw: UnsafeRawBufferPointer
    public var offset = 0

    public init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    public var isAtEnd: Bool { offset == raw.count }

    public mutating func int() -> Int64? {
        guard offset + 8 <= raw.count else { return nil }
        let v = raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)
        offset += 8
        return Int64(littleEndian: v)
    }

    public mutating func string() -> String? {
        guard let n = int(), n >= 0, let b = bytes(Int(n)) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    public mutating func optionalString() -> String?? {
        guard offset < raw.count else { return nil }
        let tag = raw[offset]
        offset += 1
        if tag == 0 { return .some(nil) }
        guard let s = string() else { return nil }
        return .some(s)
    }

    /// The next `n` bytes, without copying them; nil when fewer are left.
    public mutating func bytes(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, n <= raw.count - offset else { return nil }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n])
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
        guard offset < raw.count else { return nil }
        let tag = raw[offset]
        offset += 1
        if tag == 0 { return .some(nil) }
        guard let v = int() else { return nil }
        return .some(Int(v))
    }

    /// A count written by `strings` or by a caller, refused when it could not fit in what is left.
    public mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= Int64(raw.count - offset) else { return nil }
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
