import Foundation

/// A semantic version (`1.2.3`, `1.2.3-beta.1`, build metadata ignored), ordered by SemVer 2.0 precedence.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// The pre-release identifiers (`["beta", "1"]`); empty for a release.
    public var prerelease: [String]

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses `1.2.3`, `v1.2.3`, `=1.2.3-rc.1+build`; nil for anything else.
    public init?(_ text: String) {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("=") { s = s.dropFirst() }
        if s.hasPrefix("v") { s = s.dropFirst() }
        if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
        var pre: [String] = []
        if let dash = s.firstIndex(of: "-") {
            pre = s[s.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !pre.isEmpty, pre.allSatisfy({ !$0.isEmpty }) else { return nil }
            s = s[..<dash]
        }
        let numbers = s.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, let a = Int(numbers[0]), let b = Int(numbers[1]), let c = Int(numbers[2]),
              a >= 0, b >= 0, c >= 0 else { return nil }
        self.init(a, b, c, prerelease: pre)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (l: SemanticVersion, r: SemanticVersion) -> Bool {
        if (l.major, l.minor, l.patch) != (r.major, r.minor, r.patch) {
            return (l.major, l.minor, l.patch) < (r.major, r.minor, r.patch)
        }
        switch (l.prerelease.isEmpty, r.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(l.prerelease, r.prerelease) where a != b {
            switch (Int(a), Int(b)) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }
        return l.prerelease.count < r.prerelease.count
    }
}

/// An npm version range: `1.2.3`, `^1.2`, `~1.2.3`, `>=1 <2`, `1.x`, `*`, `1.0.0 - 2.0.0`, joined by `||`.
///
/// A pre-release version satisfies a range only when a comparator of the matching set names a pre-release of
/// the same `major.minor.patch` (npm's rule).
public struct VersionRange: Sendable, CustomStringConvertible {
    struct Comparator: Sendable {
        enum Op: Sendable { case lt, le, gt, ge, eq }
        var op: Op
        var version: SemanticVersion
        func test(_ v: SemanticVersion) -> Bool {
            switch op {
            case .lt: v < version
            case .le: v <= version
            case .gt: v > version
            case .ge: v >= version
            case .eq: v == version
            }
        }
    }

    let sets: [[Comparator]]
    public let description: String

    /// Parses `text`; nil when it is not a range.
    public init?(_ text: String) {
        var sets: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            guard let set = Self.parseSet(alternative.trimmingCharacters(in: .whitespaces)) else { return nil }
            sets.append(set)
        }
        self.sets = sets
        description = text
    }

    /// Whether `version` is in the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        sets.contains { set in
            guard set.allSatisfy({ $0.test(version) }) else { return false }
            if version.prerelease.isEmpty { return true }
            return set.contains {
                !$0.version.prerelease.isEmpty && ($0.version.major, $0.version.minor, $0.version.patch)
                    == (version.major, version.minor, version.patch)
            }
        }
    }

    /// Whether some version is in both ranges: one alternative (`||`) of each whose comparators, taken
    /// together, leave a non-empty interval. Pre-release rules aside (an interval holding only pre-releases
    /// counts as overlapping), so `^1.2.0` and `>=1.5 <3` intersect, `^1.0.0` and `^2.0.0` do not.
    public func intersects(_ other: VersionRange) -> Bool {
        sets.contains { a in other.sets.contains { b in Self.isSatisfiable(a + b) } }
    }

    /// Whether the comparators of one set leave a non-empty interval.
    static func isSatisfiable(_ set: [Comparator]) -> Bool {
        // The lowest version there is, inclusive; no upper bound.
        var low = (version: SemanticVersion(0, 0, 0, prerelease: ["0"]), inclusive: true)
        var high: (version: SemanticVersion, inclusive: Bool)? = nil
        func raise(_ v: SemanticVersion, _ inclusive: Bool) {
            if v > low.version || (v == low.version && !inclusive) { low = (v, inclusive) }
        }
        func lower(_ v: SemanticVersion, _ inclusive: Bool) {
            guard let h = high else { high = (v, inclusive); return }
            if v < h.version || (v == h.version && !inclusive) { high = (v, inclusive) }
        }
        for c in set {
            switch c.op {
            case .ge: raise(c.version, true)
            case .gt: raise(c.version, false)
            case .le: lower(c.version, true)
            case .lt: lower(c.version, false)
            case .eq: raise(c.version, true); lower(c.version, true)
            }
        }
        guard let high else { return true }
        if low.version < high.version { return true }
        return low.version == high.version && low.inclusive && high.inclusive
    }

    /// The highest of `versions` in the range.
    public func best(of versions: some Sequence<SemanticVersion>) -> SemanticVersion? {
        versions.filter(contains).max()
    }

    /// A partial version: missing or wildcard parts are nil.
    private struct Partial {
        var parts: [Int?]
        var prerelease: [String]
        var major: Int? { parts[0] }
        var minor: Int? { parts[1] }
        var patch: Int? { parts[2] }
        var floor: SemanticVersion { SemanticVersion(major ?? 0, minor ?? 0, patch ?? 0, prerelease: prerelease) }

        init?(_ text: Substring) {
            var s = text
            if s.hasPrefix("v") { s = s.dropFirst() }
            if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
            prerelease = []
            if let dash = s.firstIndex(of: "-") {
                prerelease = s[s.index(after: dash)...].split(separator: ".").map(String.init)
                s = s[..<dash]
            }
            let raw = s.isEmpty ? [] : s.split(separator: ".", omittingEmptySubsequences: false)
            guard raw.count <= 3 else { return nil }
            var parts: [Int?] = []
            for p in raw {
                if p == "x" || p == "X" || p == "*" { parts.append(nil); continue }
                guard let n = Int(p), n >= 0 else { return nil }
                guard parts.allSatisfy({ $0 != nil }) else { return nil }  // `1.x.3` is not a version.
                parts.append(n)
            }
            while parts.count < 3 { parts.append(nil) }
            self.parts = parts
        }
    }

    private static func parseSet(_ text: String) -> [Comparator]? {
        if text.isEmpty || text == "*" || text == "x" || text == "X" { return [] }
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        // `a - b`
        if tokens.count == 3, tokens[1] == "-" {
            guard let low = Partial(tokens[0]), let high = Partial(tokens[2]) else { return nil }
            var out = [Comparator(op: .ge, version: low.floor)]
            if let upper = upperExclusive(high) { out.append(upper) }
            else if high.major != nil { out.append(Comparator(op: .le, version: high.floor)) }
            return out
        }
        var out: [Comparator] = []
        var pending: Substring? = nil  // An operator written apart from its version (`>= 1.2`).
        for token in tokens {
            var t = token
            if let op = pending { t = op + t; pending = nil }
            if ["<", "<=", ">", ">=", "=", "~", "^", "~>"].contains(t) { pending = t; continue }
            guard let comparators = parseComparator(t) else { return nil }
            out += comparators
        }
        guard pending == nil else { return nil }
        return out
    }

    /// `<` the next version above what a partial's wildcard covers (`1.2.x` → `<1.3.0-0`); nil for `*`.
    private static func upperExclusive(_ p: Partial) -> Comparator? {
        guard let major = p.major else { return nil }
        guard let minor = p.minor else { return Comparator(op: .lt, version: SemanticVersion(major + 1, 0, 0, prerelease: ["0"])) }
        guard p.patch != nil else { return Comparator(op: .lt, version: SemanticVersion(major, minor + 1, 0, prerelease: ["0"])) }
        return nil
    }

    private static func parseComparator(_ token: Substring) -> [Comparator]? {
        var t = token
        var op = ""
        while let c = t.first, "<>=~^".contains(c) { op.append(c); t = t.dropFirst() }
        guard let p = Partial(t) else { return nil }
        let floor = p.floor
        switch op {
        case "", "=":
            guard p.major != nil else { return [] }
            if let upper = upperExclusive(p) { return [Comparator(op: .ge, version: floor), upper] }
            return [Comparator(op: .eq, version: floor)]
        case ">=": return p.major == nil ? [] : [Comparator(op: .ge, version: floor)]
        case "<=":
            guard p.major != nil else { return [] }
            if let upper = upperExclusive(p) { return [upper] }
            return [Comparator(op: .le, version: floor)]
        case ">":
            guard let major = p.major else { return [Comparator(op: .lt, version: SemanticVersion(0, 0, 0, prerelease: ["0"]))] }
            guard let minor = p.minor else { return [Comparator(op: .ge, version: SemanticVersion(major + 1, 0, 0))] }
            guard p.patch != nil else { return [Comparator(op: .ge, version: SemanticVersion(major, minor + 1, 0))] }
            return [Comparator(op: .gt, version: floor)]
        case "<":
            guard p.major != nil else { return [Comparator(op: .lt, version: SemanticVersion(0, 0, 0, prerelease: ["0"]))] }
            return [Comparator(op: .lt, version: p.patch == nil ? SemanticVersion(floor.major, floor.minor, floor.patch, prerelease: ["0"]) : floor)]
        case "~", "~>":
            guard let major = p.major else { return [] }
            let upper = p.minor.map { SemanticVersion(major, $0 + 1, 0, prerelease: ["0"]) }
                ?? SemanticVersion(major + 1, 0, 0, prerelease: ["0"])
            return [Comparator(op: .ge, version: floor), Comparator(op: .lt, version: upper)]
        case "^":
            guard let major = p.major else { return [] }
            let upper: SemanticVersion
            if major > 0 || p.minor == nil {
                upper = SemanticVersion(major + 1, 0, 0, prerelease: ["0"])
            } else if let minor = p.minor, minor > 0 || p.patch == nil {
                upper = SemanticVersion(0, minor + 1, 0, prerelease: ["0"])
            } else {
                upper = SemanticVersion(0, 0, (p.patch ?? 0) + 1, prerelease: ["0"])
            }
            return [Comparator(op: .ge, version: floor), Comparator(op: .lt, version: upper)]
        default:
            return nil
        }
    }
}
