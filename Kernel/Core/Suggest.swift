/// "Did you mean …?" support: edit distance and the closest candidate to a misspelt word.

/// The Levenshtein distance between two strings (insertions, deletions, substitutions; Unicode scalars).
public func editDistance(_ a: String, _ b: String) -> Int {
    let s = Array(a.unicodeScalars)
    let t = Array(b.unicodeScalars)
    if s.isEmpty { return t.count }
    if t.isEmpty { return s.count }
    var previous = Array(0...t.count)
    var current = [Int](repeating: 0, count: t.count + 1)
    for i in 1...s.count {
        current[0] = i
        for j in 1...t.count {
            let cost = s[i - 1] == t[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[t.count]
}

/// The candidate closest to `word`, when it is close enough to be a likely typo: at most a third of the
/// word's length in edits (at least 1), case differences counting as nothing when that is the only difference.
/// Ties go to the earlier candidate. Nil when nothing is close, or when `word` is itself a candidate.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    guard !word.isEmpty, !candidates.contains(word) else { return nil }
    let lowered = word.lowercased()
    if let sameLetters = candidates.first(where: { $0.lowercased() == lowered }) { return sameLetters }
    let limit = max(1, word.unicodeScalars.count / 3)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let d = editDistance(lowered, candidate.lowercased())
        if d <= limit, d < (best?.distance ?? Int.max) { best = (candidate, d) }
    }
    return best?.candidate
}

/// `; did you mean 'x'?` or the empty string: for appending to a diagnostic.
public func didYouMean(_ word: String, in candidates: [String]) -> String {
    closestMatch(word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
}
