// libFuzzer target: the JSON reader. Invariants: every value's byte range lies in the input, re-reading
// the bytes of the root's range gives the same value, and every string and key read, written back by the JSON
// writer (`JSONValue.writeString`: its word-at-a-time escaping), reads back as the same string.
import FuzzSupport
@testable import KernelCore

fuzz { bytes in
    guard let (root, _) = try? JSONReader.parse(bytes) else { return }
    func check(_ n: Node) {
        guard let r = n.byteRange, r.lowerBound >= 0, r.upperBound <= bytes.count, n.line >= 1, n.column >= 1 else {
            fatalError("a value's position is outside the input")
        }
        if let s = n.string { roundTrip(s) }
        for item in n.array ?? [] { check(item) }
        for m in n.members ?? [] {
            roundTrip(m.key)
            guard let k = m.keyByteOffset, k < r.upperBound, bytes[k] == UInt8(ascii: "\"") else {
                fatalError("a key's offset does not point at its quote")
            }
            check(m.value)
        }
    }
    func roundTrip(_ s: String) {
        guard let back = try? JSONReader.parse(JSONValue.string(s).serializedBytes()).root.string, back == s else {
            fatalError("a string written by the JSON writer does not read back the same")
        }
    }
    check(root)
    let slice = Array(bytes[root.byteRange!])
    guard let again = try? JSONReader.parse(slice).root, SettingsText.sameValue(root, again) else {
        fatalError("re-reading the root's bytes gives another value")
    }
}
