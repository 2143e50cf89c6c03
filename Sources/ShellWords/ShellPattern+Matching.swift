/// Matching, trimming and replacing. Matching simulates the pattern as a small automaton, keeping
/// for each pattern position the earliest start that reaches it, so one search costs at most
/// (text length × pattern length) steps and never backtracks.
extension ShellPattern {
    /// The leftmost match starting at or after `from` (exactly at `from` when `anchored`); among
    /// matches with that start, the longest or the shortest. This equals what Go's leftmost-first
    /// regular expression finds when every `*` is greedy (`.*`) or every `*` is lazy (`.*?`).
    func firstMatch(
        in text: [Unicode.Scalar], from: Int, longest: Bool, anchored: Bool
    ) -> Range<Int>? {
        let count = tokens.count
        // starts[i]: earliest start of a partial match that has consumed tokens[..<i]; -1 = none.
        var starts = [Int](repeating: -1, count: count + 1)
        var nextStarts = starts
        var best: Range<Int>?
        var position = from
        while true {
            if best == nil && (!anchored || position == from) {
                Self.merge(position, into: &starts[0])
            }
            for i in 0..<count where starts[i] >= 0 && tokens[i] == .anyRun {
                Self.merge(starts[i], into: &starts[i + 1])
            }
            let accepted = starts[count]
            if accepted >= 0 {
                if let current = best {
                    let earlier = accepted < current.lowerBound
                    if earlier || (accepted == current.lowerBound && longest) { best = accepted..<position }
                } else {
                    best = accepted..<position
                }
                starts[count] = -1
            }
            if let best {
                for i in 0...count where starts[i] > best.lowerBound || (!longest && starts[i] == best.lowerBound) {
                    starts[i] = -1
                }
            }
            let alive = starts.contains { $0 >= 0 }
            if position >= text.count || (!alive && (best != nil || anchored)) { break }
            step(over: text[position], from: starts, into: &nextStarts)
            swap(&starts, &nextStarts)
            position += 1
        }
        return best
    }

    private func step(over ch: Unicode.Scalar, from starts: [Int], into next: inout [Int]) {
        for i in next.indices { next[i] = -1 }
        for (i, token) in tokens.enumerated() where starts[i] >= 0 {
            switch token {
            case .anyRun where ch != "\n": Self.merge(starts[i], into: &next[i])
            case .anyOne where ch != "\n": Self.merge(starts[i], into: &next[i + 1])
            case .literal(let expected) where ch == expected: Self.merge(starts[i], into: &next[i + 1])
            default: break
            }
        }
    }

    private static func merge(_ start: Int, into slot: inout Int) {
        if slot < 0 || start < slot { slot = start }
    }

    // MARK: Operations of ${v#p}, ${v%p}, ${v/p/r}

    static func parse(_ text: String) throws(ExpansionError) -> ShellPattern {
        do {
            return try ShellPattern(parsing: text)
        } catch {
            throw ExpansionError("invalid pattern (\(text)) in substitution: \(error.message)")
        }
    }

    /// `${value#pattern}` (shortest) or `${value##pattern}` (longest): removes the matching prefix.
    /// - Throws: `invalid pattern (P) in substitution: …` for an invalid escape.
    static func trimPrefix(_ pattern: String, from value: String, longest: Bool) throws(ExpansionError) -> String {
        let compiled = try parse(pattern)
        let text = Array(value.unicodeScalars)
        guard let match = compiled.firstMatch(in: text, from: 0, longest: longest, anchored: true) else {
            return value
        }
        return String(String.UnicodeScalarView(text[match.upperBound...]))
    }

    /// `${value%pattern}` or `${value%%pattern}`: removes the matching suffix, by trimming the
    /// reversed pattern from the reversed value (so errors name the reversed pattern, as BuildKit's do).
    static func trimSuffix(_ pattern: String, from value: String, longest: Bool) throws(ExpansionError) -> String {
        let trimmed = try trimPrefix(reversePattern(pattern), from: reverseString(value), longest: longest)
        return reverseString(trimmed)
    }

    /// `${value/pattern/replacement}` (first match) or `${value//pattern/replacement}` (every
    /// match, with Go's `ReplaceAllString` rules: an empty match right after a match is skipped,
    /// and `$0`/`${0}` in the replacement stand for the match, `$$` for `$`).
    /// - Throws: `invalid pattern (P) in substitution: …` for an invalid escape.
    static func replace(
        _ pattern: String, in value: String, with replacement: String, all: Bool
    ) throws(ExpansionError) -> String {
        let compiled = try parse(pattern)
        let text = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        guard all else {
            guard let match = compiled.firstMatch(in: text, from: 0, longest: true, anchored: false) else {
                return value
            }
            out.append(contentsOf: text[..<match.lowerBound])
            out.append(contentsOf: replacement.unicodeScalars)
            out.append(contentsOf: text[match.upperBound...])
            return String(out)
        }
        let template = Array(replacement.unicodeScalars)
        var lastEnd = 0
        var search = 0
        while search <= text.count,
              let match = compiled.firstMatch(in: text, from: search, longest: true, anchored: false) {
            out.append(contentsOf: text[lastEnd..<match.lowerBound])
            if match.upperBound > lastEnd || match.lowerBound == 0 {
                expandTemplate(template, match: text[match], into: &out)
            }
            lastEnd = match.upperBound
            search = match.upperBound > search ? match.upperBound : search + 1
        }
        out.append(contentsOf: text[lastEnd...])
        return String(out)
    }
}
