#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Byte-level helpers shared by the frontmatter reader: UTF-8 validation with the position of the bad byte, and
/// line/column of a byte offset. They work on `[UInt8]` so a file is decoded to `String` once, at the end.
enum TextScan {
    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence in `bytes[range]`, or nil.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> Int? {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + length <= end else { return i }
            let second = bytes[i + 1]
            guard second >= lower && second <= upper else { return i }
            var k = 2
            while k < length {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += length
        }
        return nil
    }

    /// 1-based line and column (in Unicode scalars) of byte `offset`, counting from `start`, which is at
    /// `startLine` column 1. CRLF counts as one line break; a lone CR does not break lines (as in Markdown files
    /// written on any current system).
    static func position(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>, from start: Int, startLine: Int)
        -> (line: Int, column: Int)
    {
        var line = startLine
        var lineStart = start
        var i = start
        while i < offset {
            if bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        var column = 1
        i = lineStart
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (line, column)
    }

    /// The offset of the next `\n` at or after `from`, or `end`.
    @inline(__always)
    static func nextNewline(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        guard from < end, let base = bytes.baseAddress else { return end }
        guard let hit = memchr(base + from, 0x0A, end - from) else { return end }
        return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// True when `bytes[start..<end]` (a line without its `\n`) is `---` followed only by spaces, tabs or a CR.
    static func isFence(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Bool {
        guard end - start >= 3,
              bytes[start] == 0x2D, bytes[start + 1] == 0x2D, bytes[start + 2] == 0x2D else { return false }
        var i = start + 3
        while i < end {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            default: return false
            }
        }
        return true
    }
}
