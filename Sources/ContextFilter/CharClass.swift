/// A set of Unicode scalars given as closed ranges of code points, optionally negated.
struct CharClass: Sendable {
    var ranges: [ClosedRange<UInt32>] = []
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        var found = false
        for range in ranges where range.contains(v) {
            found = true
            break
        }
        return found != negated
    }

    /// Adds every scalar of `other` (its negation, if any, applied first).
    mutating func add(_ other: CharClass) {
        ranges += other.negated ? other.inverted().ranges : other.ranges
    }

    /// The complement over all code points, as explicit ranges (`negated` is false).
    func inverted() -> CharClass {
        if negated { return CharClass(ranges: ranges) }
        var result = CharClass()
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > next { result.ranges.append(next...(range.lowerBound - 1)) }
            if range.upperBound >= next { next = range.upperBound &+ 1 }
            if next == 0 { return result }  // covered up to UInt32.max
        }
        if next <= 0x10FFFF { result.ranges.append(next...0x10FFFF) }
        return result
    }

    private static func of(_ pairs: [(Unicode.Scalar, Unicode.Scalar)]) -> CharClass {
        CharClass(ranges: pairs.map { $0.0.value...$0.1.value })
    }

    /// Perl classes `\d \s \w` (ASCII, as in Go) and their negations `\D \S \W`.
    static func perl(_ letter: Unicode.Scalar) -> CharClass? {
        let base: CharClass
        switch letter {
        case "d", "D": base = of([("0", "9")])
        case "s", "S": base = of([("\t", "\n"), ("\u{0C}", "\r"), (" ", " ")])
        case "w", "W": base = of([("0", "9"), ("A", "Z"), ("_", "_"), ("a", "z")])
        default: return nil
        }
        return letter.properties.isUppercase ? base.inverted() : base
    }

    /// POSIX classes `[:name:]` (ASCII, as in Go).
    static func posix(_ name: String) -> CharClass? {
        switch name {
        case "alnum": return of([("0", "9"), ("A", "Z"), ("a", "z")])
        case "alpha": return of([("A", "Z"), ("a", "z")])
        case "ascii": return of([("\u{00}", "\u{7F}")])
        case "blank": return of([("\t", "\t"), (" ", " ")])
        case "cntrl": return of([("\u{00}", "\u{1F}"), ("\u{7F}", "\u{7F}")])
        case "digit": return of([("0", "9")])
        case "graph": return of([("!", "~")])
        case "lower": return of([("a", "z")])
        case "print": return of([(" ", "~")])
        case "punct": return of([("!", "/"), (":", "@"), ("[", "`"), ("{", "~")])
        case "space": return of([("\t", "\r"), (" ", " ")])
        case "upper": return of([("A", "Z")])
        case "word": return of([("0", "9"), ("A", "Z"), ("_", "_"), ("a", "z")])
        case "xdigit": return of([("0", "9"), ("A", "F"), ("a", "f")])
        default: return nil
        }
    }
}
