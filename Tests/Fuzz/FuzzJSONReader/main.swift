// libFuzzer target: the JSON reader. Invariants: every value's byte range lies in the input, and re-reading
// the bytes of the root's range gives the same value.
import FuzzSupport
@testable import KernelCore

fuzz { bytes in
    guard let (root, _) = try? JSONReader.parse(bytes) else { return }
    func check(_ n: Node) {
        guard let r = n.byteRange, r.lowerBound >= 0, r.upperBound <= bytes.count, n.line >= 1, n.column >= 1 else {
            fatalError("a value's position is outside the input")
        }
        for item in n.array ?? [] { check(item) }
        for m in n.members ?? [] {
            guard let k = m.keyByteOffset, k < r.upperBound, bytes[k] == UInt8(ascii: "\"") else {
                fatalError("a key's offset does not point at its quote")
            }
            check(m.value)
        }
    }
    check(root)
    let slice = Array(bytes[root.byteRange!])
    guard let again = try? JSONReader.parse(slice).root, SettingsText.sameValue(root, again) else {
        fatalError("re-reading the root's bytes gives another value")
    }
}
