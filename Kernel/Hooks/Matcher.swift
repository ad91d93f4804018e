import Foundation
import Glibc
import KernelCore

/// A compiled `matcher`: omitted or `*` matches everything; plain names (letters, digits, `_`, `-`) separated
/// by `|` match exactly; anything else is a regular expression searched in the value (unanchored, as Claude
/// Code's `new RegExp(m).test(v)`), compiled once by `MatcherRegex`.
public struct HookMatcher: Sendable {
    enum Form: Sendable {
        case all
        case exact([String])
        case regex(CompiledRegex)
        /// A regex that does not compile matches nothing (the parser reported it).
        case invalid
    }

    let form: Form
    public let text: String?

    public init(_ text: String?) {
        self.text = text
        guard let text, !text.isEmpty, text != "*" else { form = .all; return }
        if Self.isPlain(text) {
            form = .exact(text.split(separator: "|", omittingEmptySubsequences: false).map(String.init))
        } else if let r = CompiledRegex(text) {
            form = .regex(r)
        } else {
            form = .invalid
        }
    }

    public var matchesEverything: Bool {
        if case .all = form { return true }
        return false
    }

    /// Whether the matcher accepts `value` (nil: the input lacks the field; only a match-all matcher accepts).
    public func matches(_ value: String?) -> Bool {
        switch form {
        case .all: return true
        case .invalid: return false
        case .exact(let names):
            guard let value else { return false }
            for n in names where n == value { return true }
            return false
        case .regex(let r):
            guard let value else { return false }
            return r.search(value)
        }
    }

    static func isPlain(_ s: String) -> Bool {
        s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x7C || b == 0x2D
        }
    }
}

/// A matcher pattern compiled once with `MatcherRegex` (the engine the hooks parser validates with: linear
/// time, no backtracking); matching is thread-safe.
final class CompiledRegex: Sendable {
    let regex: MatcherRegex

    init?(_ pattern: String) {
        guard let r = try? MatcherRegex(pattern) else { return nil }
        regex = r
    }

    func search(_ value: String) -> Bool { regex.search(value) }
}

/// An entry's `if`: `ToolName` or `ToolName(glob)`. The tool-name part is a matcher; the glob (fnmatch, `*`
/// crossing `/`) is checked against the tool's primary argument.
public struct HookIfCondition: Sendable {
    public let tool: HookMatcher
    public let glob: String?

    public init(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix(")"), let open = t.firstIndex(of: "(") {
            tool = HookMatcher(String(t[..<open]))
            glob = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
        } else {
            tool = HookMatcher(t)
            glob = nil
        }
    }

    /// Whether the condition holds for `toolName` and its primary argument `argument`.
    public func matches(toolName: String?, argument: String?) -> Bool {
        guard tool.matches(toolName) else { return false }
        guard let glob else { return true }
        guard let argument else { return false }
        return Self.glob(glob, argument)
    }

    static func glob(_ pattern: String, _ value: String) -> Bool {
        fnmatch(pattern, value, 0) == 0
    }
}
