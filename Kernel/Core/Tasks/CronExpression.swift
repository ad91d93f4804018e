import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), as cron(5) reads it.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, month names `jan`…`dec` and
/// day names `sun`…`sat` (case-insensitive; `7` is Sunday too). When both day fields are restricted (neither
/// starts with `*`), a date matches if *either* matches (the OR rule); otherwise both must. The macros
/// `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` are accepted; `@reboot`,
/// other macros and six- or seven-field input (seconds, years) are refused rather than guessed at.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let source: String
    /// Allowed values per field: minutes 0–59, hours 0–23, days 1–31, months 1–12, weekdays 0–6 (0 Sunday).
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let days: Set<Int>
    public let months: Set<Int>
    public let weekdays: Set<Int>
    /// Whether the day-of-month / day-of-week field is restricted (does not start with `*`).
    public let daysRestricted: Bool
    public let weekdaysRestricted: Bool

    public var description: String { source }

    /// Why an expression was refused, with the 0-based offset in the expression of what is wrong.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        /// 0-based offset (in characters) into the expression.
        public var offset: Int
        public var description: String { "column \(offset + 1): \(message)" }

        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    static let fieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"]
    static let bounds = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                         "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]

    /// Parses an expression.
    /// - Throws: ``ParseError`` naming the field and the offset of the first problem.
    public init(_ text: String) throws(ParseError) {
        source = text
        let chars = Array(text)
        let lead = chars.firstIndex { !$0.isWhitespace } ?? 0
        var expanded = text
        var macroOffset: Int? = nil
        if chars.indices.contains(lead), chars[lead] == "@" {
            let word = String(chars[lead...]).trimmingCharacters(in: .whitespaces).lowercased()
            guard let e = Self.macros[word] else {
                let known = Self.macros.keys.sorted().joined(separator: ", ")
                throw ParseError(message: word == "@reboot"
                    ? "'@reboot' has no schedule to compute; use a one-off 'at' trigger or the scheduler's start"
                    : "unknown macro '\(word)' (known: \(known))", offset: lead)
            }
            expanded = e
            macroOffset = lead
        }
        // Split into fields, remembering where each starts.
        var fields: [(String, Int)] = []
        var current = ""
        var start = 0
        for (i, c) in Array(expanded).enumerated() {
            if c == " " || c == "\t" {
                if !current.isEmpty { fields.append((current, start)); current = "" }
            } else {
                if current.isEmpty { start = i }
                current.append(c)
            }
        }
        if !current.isEmpty { fields.append((current, start)) }
        if fields.count != 5 {
            let hint = fields.count == 6 || fields.count == 7
                ? " (a seconds or year field is not supported: use minute hour day-of-month month day-of-week)" : ""
            throw ParseError(message: "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)\(hint)",
                             offset: fields.count > 5 ? fields[5].1 : lead)
        }
        var sets: [Set<Int>] = []
        for (i, (field, offset)) in fields.enumerated() {
            do {
                sets.append(try Self.parseField(field, index: i))
            } catch {
                throw ParseError(message: "\(Self.fieldNames[i]) field: \(error.message)",
                                 offset: macroOffset ?? (offset + error.offset))
            }
        }
        minutes = sets[0]; hours = sets[1]; days = sets[2]; months = sets[3]
        weekdays = Set(sets[4].map { $0 == 7 ? 0 : $0 })
        daysRestricted = !fields[2].0.hasPrefix("*")
        weekdaysRestricted = !fields[4].0.hasPrefix("*")
        // A day-of-month that no listed month has (`30 2`, `31 4,6`) never fires unless the OR rule lets
        // weekdays match: refuse it.
        let maxDay = months.map { Self.daysIn(month: $0, year: 2024) }.max() ?? 31
        if daysRestricted, !weekdaysRestricted, let minDay = days.min(), minDay > maxDay {
            throw ParseError(message: "day-of-month field: day \(minDay) never occurs in the months listed",
                             offset: macroOffset ?? fields[2].1)
        }
    }

    static func parseField(_ field: String, index: Int) throws(ParseError) -> Set<Int> {
        let (lo, hi) = bounds[index]
        var result = Set<Int>()
        var offset = 0
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let p = String(part)
            if p.isEmpty { throw ParseError(message: "empty list item", offset: offset) }
            var rangePart = p
            var step = 1
            if let slash = p.firstIndex(of: "/") {
                rangePart = String(p[..<slash])
                let stepText = String(p[p.index(after: slash)...])
                guard let s = Int(stepText), s > 0 else {
                    throw ParseError(message: "step '\(stepText)' must be a positive number",
                                     offset: offset + p.distance(from: p.startIndex, to: slash) + 1)
                }
                step = s
            }
            var a: Int, b: Int
            if rangePart == "*" {
                (a, b) = (lo, index == 4 ? 6 : hi)
            } else if let dash = rangePart.firstIndex(of: "-"), dash != rangePart.startIndex {
                a = try value(String(rangePart[..<dash]), index: index, offset: offset)
                let dashOffset = rangePart.distance(from: rangePart.startIndex, to: dash) + 1
                b = try value(String(rangePart[rangePart.index(after: dash)...]), index: index, offset: offset + dashOffset)
                if b < a {
                    throw ParseError(message: "range \(rangePart) runs backwards", offset: offset)
                }
            } else {
                a = try value(rangePart, index: index, offset: offset)
                b = p.contains("/") ? (index == 4 ? 6 : hi) : a
            }
            var v = a
            while v <= b { result.insert(v); v += step }
            offset += p.count + 1
        }
        return result
    }

    static func value(_ text: String, index: Int, offset: Int) throws(ParseError) -> Int {
        let (lo, hi) = bounds[index]
        if let n = Int(text) {
            guard n >= lo, n <= hi else {
                throw ParseError(message: "\(n) is out of range \(lo)-\(hi)", offset: offset)
            }
            return n
        }
        let lower = text.lowercased()
        if index == 3, let i = monthNames.firstIndex(of: lower) { return i + 1 }
        if index == 4, let i = dayNames.firstIndex(of: lower) { return i }
        let names = index == 3 ? " (or jan-dec)" : index == 4 ? " (or sun-sat)" : ""
        throw ParseError(message: "'\(text)' is not a number \(lo)-\(hi)\(names)", offset: offset)
    }

    // MARK: - Matching

    /// Whether a wall-clock date matches the day fields (with the OR rule).
    func matchesDay(year: Int, month: Int, day: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dom = days.contains(day)
        let dow = weekdays.contains(Self.weekday(year: year, month: month, day: day))
        if daysRestricted && weekdaysRestricted { return dom || dow }
        return dom && dow
    }

    /// Whether every hour matches: such a schedule follows real time through a repeated hour (it fires in both
    /// occurrences, as cron(8) does for wildcard jobs); one with fixed hours fires once, in the first.
    var followsRealTime: Bool { hours.count == 24 }

    /// The first fire time strictly after `date`, in `zone`; nil when there is none within 10 years.
    ///
    /// DST: a time in a skipped hour fires once, at the transition (the first instant after the gap); a time in a
    /// repeated hour fires once, in its first occurrence (schedules whose hour field covers every hour fire in
    /// both, following real time).
    public func nextFire(after date: Date, in zone: TimeZone) -> Date? {
        let afterSeconds = Int64(floor(date.timeIntervalSince1970))
        // Start at the wall-clock minute after `date` (in the zone's offset at that instant). A schedule that
        // follows real time also searches from the wall time in the offset a few hours on, so a repeated hour
        // (the clock going back) is searched again.
        var offsets = [Int64(zone.secondsFromGMT(for: date))]
        if followsRealTime {
            let later = Int64(zone.secondsFromGMT(for: date.addingTimeInterval(3 * 3600)))
            if later != offsets[0] { offsets.append(later) }
        }
        let found = offsets.compactMap { search(from: WallTime(seconds: (afterSeconds + $0) / 60 * 60 + 60), after: afterSeconds, zone: zone) }
        return found.min().map { Date(timeIntervalSince1970: Double($0)) }
    }

    func search(from start: WallTime, after afterSeconds: Int64, zone: TimeZone) -> Int64? {
        var wall = start
        let limitYear = wall.year + 10
        while wall.year <= limitYear {
            if !matchesDay(year: wall.year, month: wall.month, day: wall.day) {
                wall = wall.nextDay()
                continue
            }
            guard hours.contains(wall.hour) else { wall = wall.nextHour(); continue }
            guard minutes.contains(wall.minute) else { wall = wall.nextMinute(); continue }
            for instant in Self.instants(of: wall, in: zone, all: followsRealTime) where instant > afterSeconds {
                return instant
            }
            wall = wall.nextMinute()
        }
        return nil
    }

    /// The UTC instants (seconds) a wall-clock time maps to in `zone`: one normally, two in a repeated hour
    /// (only the first unless `all`), and the transition instant for a time in a skipped hour.
    static func instants(of wall: WallTime, in zone: TimeZone, all: Bool) -> [Int64] {
        let w = wall.seconds
        var offsets: [Int64] = []
        for probe in [w - 86_400, w, w + 86_400] {
            let o = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe))))
            if !offsets.contains(o) { offsets.append(o) }
        }
        var found: [Int64] = []
        for o in offsets {
            let t = w - o
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) == o, !found.contains(t) { found.append(t) }
        }
        found.sort()
        if found.isEmpty {
            // A skipped hour: fire at the transition that skipped it.
            let before = offsets.max() ?? 0
            let probe = Date(timeIntervalSince1970: Double(w - before - 1))
            if let t = zone.nextDaylightSavingTimeTransition(after: probe) {
                return [Int64(t.timeIntervalSince1970.rounded())]
            }
            return [w - before]
        }
        return all ? found : [found[0]]
    }

    static func weekday(year: Int, month: Int, day: Int) -> Int {
        // Days since 1970-01-01 (a Thursday).
        let d = WallTime.daysFromCivil(year: year, month: month, day: day)
        return Int(((d % 7) + 11) % 7)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A wall-clock time to the minute, as seconds since 1970 read as if the zone were UTC.
struct WallTime: Sendable, Equatable {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int

    init(seconds: Int64) {
        let days = Int64(floor(Double(seconds) / 86_400))
        let rest = Int(seconds - days * 86_400)
        (year, month, day) = Self.civil(days: days)
        hour = rest / 3600
        minute = rest % 3600 / 60
    }

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
    }

    var seconds: Int64 {
        Self.daysFromCivil(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60)
    }

    func nextDay() -> WallTime {
        var w = self
        w.hour = 0; w.minute = 0
        w.day += 1
        if w.day > CronExpression.daysIn(month: w.month, year: w.year) {
            w.day = 1; w.month += 1
            if w.month > 12 { w.month = 1; w.year += 1 }
        }
        return w
    }

    func nextHour() -> WallTime {
        var w = self
        w.minute = 0
        w.hour += 1
        if w.hour > 23 { return nextDay() }
        return w
    }

    func nextMinute() -> WallTime {
        var w = self
        w.minute += 1
        if w.minute > 59 { return nextHour() }
        return w
    }

    // Howard Hinnant's civil-date algorithms.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }
}

/// Durations as blueprints write them: `90s`, `15m`, `2h`, `1d`, `1h30m`, or a number of seconds.
public enum TaskDuration {
    /// Seconds, or nil when the text is not a duration.
    public static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.isEmpty { return nil }
        if let n = Double(t), n >= 0 { return n }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for c in t {
            if c.isNumber || c == "." { number.append(c); continue }
            guard let n = Double(number) else { return nil }
            switch c {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            case "d": total += n * 86_400
            case "w": total += n * 604_800
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty { return nil }
        return sawUnit ? total : nil
    }

    /// `1h30m`, `45s`: the shortest spelling of whole seconds.
    public static func format(_ seconds: Double) -> String {
        var s = Int(seconds.rounded())
        if s == 0 { return "0s" }
        var out = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return out
    }
}
