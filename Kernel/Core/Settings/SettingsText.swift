/// Surgical edits of JSON text: change one key path and keep every other byte. Pure (no I/O), so it can be
/// tested on strings; `SettingsFile` adds locking and atomic writes around it.
///
/// The layout of inserted text is inferred from the document: the line ending (CRLF when the first line
/// break is one), the indentation unit (the extra indentation of the first nested member found, else two
/// spaces), the separator between the last two members of the object edited, and the `"key": ` spacing of an
/// existing member. Values are written pretty (re-indented to their depth) where the members around them are
/// one per line, compact where the object is written on one line. Comments (`//`, `/* */`, which the Qoder CLI
/// keeps in its settings files) are read as whitespace and kept; none is ever copied into inserted text.
enum SettingsText {
    enum EditError: Error {
        /// The value at this key path (a prefix of the edited one, or the root for `[]`) is not an object.
        case notAnObject(keyPath: [String], node: Node)
        /// The text does not parse (for text from `SettingsFile`, only after a faulty edit).
        case syntax(JSONReader.SyntaxError)
        /// The edited text failed the check made before it is handed back (it does not parse, another member
        /// changed, or the key does not read back as set): a layout the editor got wrong. Nothing is written.
        case unverified(String)
    }

    /// Applies one edit, re-parsing as needed (duplicate keys are all removed on removal; on set the last one,
    /// which is the one readers use, is replaced).
    /// - Returns: the new text, or nil when the document already has no such key (removal) — setting always
    ///   returns text, possibly identical to the input.
    static func apply(_ bytes: [UInt8], keyPath: [String], value: JSONValue?) throws(EditError) -> [UInt8]? {
        var current = bytes
        var changed = false
        while true {
            let root: Node
            do { root = try JSONReader.parse(current, comments: true).root } catch { throw .syntax(error) }
            guard let next = try editOnce(current, root: root, keyPath: keyPath, value: value) else { break }
            current = next
            changed = true
            if value != nil { break }
        }
        guard changed else { return nil }
        let original: Node
        do { original = try JSONReader.parse(bytes, comments: true).root } catch { throw .syntax(error) }
        try verify(before: bytes, root: original, after: current, keyPath: keyPath, value: value)
        return current
    }

    /// Checks an edit before anything is written: the new text parses; the bytes around the top-level value
    /// and every member beside the key path (at each level of it, in order) are byte-identical; the key path
    /// reads back as `value` (absent for a removal).
    static func verify(before: [UInt8], root: Node, after: [UInt8], keyPath: [String], value: JSONValue?) throws(EditError) {
        let new: Node
        do { new = try JSONReader.parse(after, comments: true).root } catch {
            throw .unverified("the edited text does not parse (\(error))")
        }
        let oldRange = root.byteRange ?? 0..<before.count, newRange = new.byteRange ?? 0..<after.count
        guard before[..<oldRange.lowerBound] == after[..<newRange.lowerBound],
              before[oldRange.upperBound...] == after[newRange.upperBound...] else {
            throw .unverified("the text around the top-level object changed")
        }
        var old: Node? = root, cur: Node? = new
        for (i, key) in keyPath.enumerated() {
            guard let o = old, let oldMembers = o.members else { break }
            guard let newMembers = cur?.members else { throw .unverified("'\(keyPath[..<i].joined(separator: "."))' is no longer an object") }
            let others = { (b: [UInt8], ms: [Node.Member]) in
                ms.filter { $0.key != key }.map { Array(b[$0.keyByteOffset!..<$0.value.byteRange!.upperBound]) }
            }
            guard others(before, oldMembers) == others(after, newMembers) else {
                throw .unverified("a member beside '\(keyPath[...i].joined(separator: "."))' changed")
            }
            old = o[key]
            cur = cur?[key]
        }
        var node: Node? = new
        for key in keyPath { node = node?[key] }
        if let value {
            let expected: Node
            do { expected = try JSONReader.parse(value.serialized(pretty: false)).root } catch {
                throw .unverified("the value is not valid JSON (\(error))")
            }
            guard let node, sameValue(node, expected) else {
                throw .unverified("'\(keyPath.joined(separator: "."))' does not read back as the value set")
            }
        } else if node != nil {
            throw .unverified("'\(keyPath.joined(separator: "."))' is still present after its removal")
        }
    }

    /// Structural equality of two parsed values (numbers by their text; the last of duplicate keys counts).
    static func sameValue(_ a: Node, _ b: Node) -> Bool {
        switch (a.value, b.value) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y || (Double(x) != nil && Double(x) == Double(y))
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.object(let x), .object(let y)):
            let keys = Set(x.map(\.key))
            return keys == Set(y.map(\.key)) && keys.allSatisfy { k in sameValue(a[k]!, b[k]!) }
        default: return false
        }
    }

    /// One splice: nil when there is nothing to remove.
    static func editOnce(_ b: [UInt8], root: Node, keyPath: [String], value: JSONValue?) throws(EditError) -> [UInt8]? {
        let layout = Layout(b, root: root)
        var object = root
        for (i, key) in keyPath.enumerated() {
            guard case .object(let members) = object.value else {
                throw .notAnObject(keyPath: Array(keyPath[..<i]), node: object)
            }
            let last = i == keyPath.count - 1
            guard let index = members.lastIndex(where: { $0.key == key }) else {
                guard let value else { return nil }
                let nested = keyPath[(i + 1)...].reversed().reduce(value) { inner, k in JSONValue.object([(k, inner)]) }
                return layout.insert(key: key, value: nested, into: object)
            }
            let member = members[index]
            if last {
                guard let value else { return layout.remove(at: index, in: object) }
                return layout.replace(member, with: value)
            }
            if case .object = member.value.value {
                object = member.value
                continue
            }
            if value == nil { return nil }
            throw .notAnObject(keyPath: Array(keyPath[...i]), node: member.value)
        }
        return nil
    }

    /// What the document's own formatting says about how to write into it.
    struct Layout {
        let b: [UInt8]
        let eol: [UInt8]
        let unit: [UInt8]
        let colon: [UInt8]?
        let rootIsMultiline: Bool
        let root: Node

        init(_ b: [UInt8], root: Node) {
            self.b = b
            self.root = root
            if let nl = b.firstIndex(of: 0x0A), nl > 0, b[nl - 1] == 0x0D { eol = [0x0D, 0x0A] } else { eol = [0x0A] }
            let r = root.byteRange ?? 0..<b.count
            rootIsMultiline = b[r].contains(0x0A)
            var unit: [UInt8]?
            var colon: [UInt8]?
            Self.survey(root, b, unit: &unit, colon: &colon)
            self.unit = unit ?? Array("  ".utf8)
            self.colon = colon
        }

        /// Finds the first indentation step (a member on its own line, indented deeper than its object's line)
        /// and the first `"key": ` spacing, depth first.
        private static func survey(_ node: Node, _ b: [UInt8], unit: inout [UInt8]?, colon: inout [UInt8]?) {
            guard unit == nil || colon == nil else { return }
            switch node.value {
            case .object(let members):
                for m in members {
                    guard let key = m.keyByteOffset, let vr = m.value.byteRange else { continue }
                    if colon == nil { colon = colonText(b, key: key, valueStart: vr.lowerBound) }
                    if unit == nil, isLineStart(b, key), let o = node.byteRange?.lowerBound {
                        let outer = lineIndent(b, o), inner = lineIndent(b, key)
                        if inner.count > outer.count, Array(inner.prefix(outer.count)) == outer {
                            unit = Array(inner.dropFirst(outer.count))
                        }
                    }
                    survey(m.value, b, unit: &unit, colon: &colon)
                }
            case .array(let items):
                for item in items { survey(item, b, unit: &unit, colon: &colon) }
            default:
                break
            }
        }

        // MARK: Edits

        func replace(_ member: Node.Member, with value: JSONValue) -> [UInt8] {
            let range = member.value.byteRange!
            let pretty = isLineStart(b, member.keyByteOffset!)
            let text = serialize(value, base: lineIndent(b, member.keyByteOffset!), pretty: pretty)
            return splice(range, text)
        }

        func insert(key: String, value: JSONValue, into object: Node) -> [UInt8] {
            let range = object.byteRange!
            let members = object.members ?? []
            if let lastMember = members.last {
                let lastKey = lastMember.keyByteOffset!
                let separator: [UInt8]
                // The gap between the last two members is copied as the separator unless it holds a comment
                // (`/` can only start one there: gaps hold no strings), which must not be duplicated.
                if members.count >= 2, case let gap = b[members[members.count - 2].value.byteRange!.upperBound..<lastKey],
                   !gap.contains(UInt8(ascii: "/")) {
                    separator = Array(gap)
                } else if isLineStart(b, lastKey) {
                    separator = [UInt8(ascii: ",")] + eol + lineIndent(b, lastKey)
                } else {
                    separator = Array(", ".utf8)
                }
                let pretty = separator.contains(0x0A)
                // The indentation of the separator's last line: only its leading spaces and tabs (in a
                // comma-first layout, `\n, "key"`, the `, ` is punctuation, not indentation).
                let base = pretty
                    ? Array(separator[(separator.lastIndex(of: 0x0A)! + 1)...].prefix { $0 == 0x20 || $0 == 0x09 }) : []
                let text = separator + memberText(key, value, base: base, pretty: pretty, compactColon: false)
                let at = lastMember.value.byteRange!.upperBound
                return splice(at..<at, text)
            }
            // An empty object, `{}` or `{ … whitespace … }`: rewrite it whole — unless it holds a comment, which
            // stays: the member goes on its own line right after the `{`.
            let pretty = rootIsMultiline || object.byteRange == root.byteRange
            let open = [UInt8(ascii: "{")], close = [UInt8(ascii: "}")]
            if b[range].contains(UInt8(ascii: "/")) {
                let inner = lineIndent(b, range.lowerBound) + unit
                let text = eol + inner + memberText(key, value, base: inner, pretty: true, compactColon: false)
                return splice(range.lowerBound + 1..<range.lowerBound + 1, text)
            }
            if pretty {
                let outer = lineIndent(b, range.lowerBound)
                let inner = outer + unit
                let text = open + eol + inner + memberText(key, value, base: inner, pretty: true, compactColon: false)
                    + eol + outer + close
                return splice(range, text)
            }
            return splice(range, open + memberText(key, value, base: [], pretty: false, compactColon: true) + close)
        }

        func remove(at index: Int, in object: Node) -> [UInt8] {
            let members = object.members!
            if members.count == 1 { return splice(object.byteRange!, Array("{}".utf8)) }
            if index > 0 {
                return splice(members[index - 1].value.byteRange!.upperBound..<members[index].value.byteRange!.upperBound, [])
            }
            return splice(members[0].keyByteOffset!..<members[1].keyByteOffset!, [])
        }

        // MARK: Text

        private func memberText(_ key: String, _ value: JSONValue, base: [UInt8], pretty: Bool, compactColon: Bool) -> [UInt8] {
            let colon = self.colon ?? Array((compactColon ? ":" : ": ").utf8)
            return Array(JSONValue.string(key).serialized().utf8) + colon + serialize(value, base: base, pretty: pretty)
        }

        /// The value as JSON text; pretty text is re-indented: each nesting level is one `unit`, every line
        /// after the first starts with `base`, lines end with the document's line ending.
        func serialize(_ value: JSONValue, base: [UInt8], pretty: Bool) -> [UInt8] {
            let text = value.serialized(pretty: pretty)
            guard pretty else { return Array(text.utf8) }
            var out: [UInt8] = []
            // Pretty output never holds a raw newline inside a string, so each line's leading spaces are
            // indentation only, two per level.
            for (i, line) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                if i > 0 {
                    out += eol
                    let spaces = line.prefix { $0 == 0x20 }.count
                    out += base
                    for _ in 0..<(spaces / 2) { out += unit }
                    out += line.dropFirst(spaces)
                } else {
                    out += line
                }
            }
            return out
        }

        private func splice(_ range: Range<Int>, _ text: [UInt8]) -> [UInt8] {
            var out = b
            out.replaceSubrange(range, with: text)
            return out
        }
    }

    // MARK: - Byte helpers

    /// The spaces and tabs that start the line holding byte `i`.
    static func lineIndent(_ b: [UInt8], _ i: Int) -> [UInt8] {
        var start = i
        while start > 0, b[start - 1] != 0x0A { start -= 1 }
        var end = start
        while end < b.count, b[end] == 0x20 || b[end] == 0x09 { end += 1 }
        return Array(b[start..<end])
    }

    /// True when only spaces and tabs precede byte `i` on its line.
    static func isLineStart(_ b: [UInt8], _ i: Int) -> Bool {
        var j = i
        while j > 0 {
            switch b[j - 1] {
            case 0x0A: return true
            case 0x20, 0x09: j -= 1
            default: return false
            }
        }
        return true
    }

    /// The text from just after a key's closing quote to its value (`: `, `:`, ` : `…).
    static func colonText(_ b: [UInt8], key: Int, valueStart: Int) -> [UInt8]? {
        var j = valueStart
        while j > key, b[j - 1] != UInt8(ascii: ":") { j -= 1 }
        guard j > key else { return nil }
        j -= 1
        while j > key, b[j - 1] == 0x20 || b[j - 1] == 0x09 || b[j - 1] == 0x0A || b[j - 1] == 0x0D { j -= 1 }
        let text = Array(b[j..<valueStart])
        return text.contains(0x0A) || text.contains(UInt8(ascii: "/")) ? nil : text
    }
}
