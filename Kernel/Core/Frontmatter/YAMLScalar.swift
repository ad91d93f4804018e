/// Resolution of plain YAML scalars by the YAML 1.2 core schema, on the scalar's UTF-8 bytes.
///
/// Not YAML 1.1: `yes`, `no`, `on`, `off`, `y`, `n` stay strings, sexagesimals (`1:30`) stay strings, and
/// `0755` is a decimal integer (octal is written `0o755`).
enum YAMLScalar {
    enum Kind: Equatable { case null, bool(Bool), int, float, string }

    static func resolvePlain(_ s: UnsafeBufferPointer<UInt8>) -> Kind {
        let n = s.count
        if n == 0 { return .null }
        let first = s[0]
        // Quick exit: everything the core schema resolves starts with one of these.
        switch first {
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "~"):
            if equals(s, "~") || equals(s, "null") || equals(s, "Null") || equals(s, "NULL") { return .null }
            return .string
        case UInt8(ascii: "t"), UInt8(ascii: "T"):
            if equals(s, "true") || equals(s, "True") || equals(s, "TRUE") { return .bool(true) }
            return .string
        case UInt8(ascii: "f"), UInt8(ascii: "F"):
            if equals(s, "false") || equals(s, "False") || equals(s, "FALSE") { return .bool(false) }
            return .string
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            if isInt(s) { return .int }
            if isFloat(s) { return .float }
            return .string
        default:
            return .string
        }
    }

    static func equals(_ s: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard s.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<s.count where s[i] != w[i] { return false }
        return true
    }

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
    static func isInt(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        if n > 2 && s[0] == UInt8(ascii: "0") && (s[1] == UInt8(ascii: "o") || s[1] == UInt8(ascii: "x")) {
            let hex = s[1] == UInt8(ascii: "x")
            for i in 2..<n {
                let b = s[i]
                if hex ? !isHex(b) : !(b >= 0x30 && b <= 0x37) { return false }
            }
            return true
        }
        var i = 0
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n else { return false }
        while i < n {
            if !isDigit(s[i]) { return false }
            i += 1
        }
        return true
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
    static func isFloat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        var i = 0
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n else { return false }
        if s[i] == UInt8(ascii: ".") {
            let rest = UnsafeBufferPointer(rebasing: s[(i + 1)...])
            if equals(rest, "inf") || equals(rest, "Inf") || equals(rest, "INF") { return true }
            if i == 0 && (equals(rest, "nan") || equals(rest, "NaN") || equals(rest, "NAN")) { return true }
        }
        var intDigits = 0
        while i < n && isDigit(s[i]) { i += 1; intDigits += 1 }
        var fracDigits = 0
        if i < n && s[i] == UInt8(ascii: ".") {
            i += 1
            while i < n && isDigit(s[i]) { i += 1; fracDigits += 1 }
        }
        // `.5` needs fraction digits; `5.` is allowed.
        if intDigits == 0 && fracDigits == 0 { return false }
        if i < n && (s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i += 1 }
            var expDigits = 0
            while i < n && isDigit(s[i]) { i += 1; expDigits += 1 }
            if expDigits == 0 { return false }
        }
        return i == n
    }
}
