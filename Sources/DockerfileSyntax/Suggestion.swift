/// "Did you mean …?" suggestions, used for unknown instructions, flags, stage names and variables.
public enum Suggestion {
    /// The candidate closest to `word` by edit distance (case-insensitive), if it is close enough
    /// to be a plausible typo: at most a third of the word's length, and at least 1 edit allowed.
    public static func closest(to word: String, in candidates: some Sequence<String>, caseSensitive: Bool = false) -> String? {
        let needle = caseSensitive ? Array(word.unicodeScalars) : Array(word.lowercased().unicodeScalars)
        let limit = max(1, needle.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let hay = caseSensitive ? Array(candidate.unicodeScalars) : Array(candidate.lowercased().unicodeScalars)
            if hay == needle { continue }
            let d = distance(needle, hay)
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    /// Levenshtein distance between two scalar arrays.
    public static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// BuildKit's rule (util/suggest `Search`): the first candidate at the smallest Levenshtein
    /// distance below 3, whatever the word's length; an exact match means no suggestion (the
    /// error is about something else). Case-insensitive matching keeps the candidate's spelling.
    public static func buildKit(_ word: String, in candidates: some Sequence<String>, caseSensitive: Bool) -> String? {
        let needle = caseSensitive ? Array(word.unicodeScalars) : Array(word.lowercased().unicodeScalars)
        var best: String?
        var bestDistance = 3
        for candidate in candidates {
            let hay = caseSensitive ? Array(candidate.unicodeScalars) : Array(candidate.lowercased().unicodeScalars)
            if hay == needle { return nil }
            let d = distance(needle, hay)
            if d < bestDistance { best = candidate; bestDistance = d }
        }
        return best
    }
}
