/// Go's view of text, which the parser must reproduce byte for byte: a "string" is any byte
/// sequence, decoded rune by rune where each invalid byte is one U+FFFD of width 1
/// (`utf8.DecodeRune`). All helpers work on `[UInt8]` plus an index range and never trap.
enum GoText {
    static let runeError: UInt32 = 0xFFFD

    /// One rune of `bytes[index..<end]` like Go's `utf8.DecodeRune`: invalid or truncated
    /// sequences give `(0xFFFD, 1, valid: false)`. Requires `index < end <= bytes.count`.
    static func decode(_ bytes: [UInt8], at index: Int, end: Int) -> (rune: UInt32, width: Int, valid: Bool) {
        let b0 = bytes[index]
        if b0 < 0x80 { return (UInt32(b0), 1, true) }
        let count: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: return (runeError, 1, false)
        }
        guard end - index >= count else { return (runeError, 1, false) }
        let b1 = bytes[index + 1]
        guard b1 >= low, b1 <= high else { return (runeError, 1, false) }
        var rune = UInt32(b0) & (count == 2 ? 0x1F : count == 3 ? 0x0F : 0x07)
        rune = rune << 6 | UInt32(b1 & 0x3F)
        var k = 2
        while k < count {
            let b = bytes[index + k]
            guard b & 0xC0 == 0x80 else { return (runeError, 1, false) }
            rune = rune << 6 | UInt32(b & 0x3F)
            k += 1
        }
        return (rune, count, true)
    }

    /// The rune that ends at `end` (Go's `utf8.DecodeLastRune`), not looking before `start`.
    static func decodeLast(_ bytes: [UInt8], start: Int, end: Int) -> (rune: UInt32, width: Int, valid: Bool) {
        let last = bytes[end - 1]
        if last < 0x80 { return (UInt32(last), 1, true) }
        var s = end - 1
        let limit = max(start, end - 4)
        while s > limit, bytes[s] & 0xC0 == 0x80 { s -= 1 }
        let decoded = decode(bytes, at: s, end: end)
        if decoded.valid, s + decoded.width == end { return decoded }
        return (runeError, 1, false)
    }

    /// Appends the UTF-8 encoding of `rune` (assumed a valid scalar value).
    static func encode(_ rune: UInt32, into out: inout [UInt8]) {
        switch rune {
        case 0..<0x80:
            out.append(UInt8(rune))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | rune >> 6))
            out.append(UInt8(0x80 | rune & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | rune >> 12))
            out.append(UInt8(0x80 | rune >> 6 & 0x3F))
            out.append(UInt8(0x80 | rune & 0x3F))
        default:
            out.append(UInt8(0xF0 | rune >> 18))
            out.append(UInt8(0x80 | rune >> 12 & 0x3F))
            out.append(UInt8(0x80 | rune >> 6 & 0x3F))
            out.append(UInt8(0x80 | rune & 0x3F))
        }
    }

    /// Go's `unicode.IsSpace`.
    static func isSpace(_ rune: UInt32) -> Bool {
        switch rune {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `unicode.IsSpace(rune(b))` for a single byte: the byte-wise test of the flag and
    /// HEALTHCHECK loops, where the UTF-8 continuation bytes 0x85 and 0xA0 count as space.
    static func isByteSpace(_ b: UInt8) -> Bool {
        isSpace(UInt32(b))
    }

    /// The class `[\t\v\f\r ]` that separates a keyword from its arguments and splits word lists.
    static func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0B || b == 0x0C || b == 0x0D
    }

    /// Go regexp's `\s`: `[\t\n\f\r ]`.
    static func isRegexSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D
    }

    /// `range` without leading Unicode whitespace (`strings.TrimLeftFunc(s, unicode.IsSpace)`).
    static func trimLeft(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound
        while lo < range.upperBound {
            let d = decode(bytes, at: lo, end: range.upperBound)
            guard d.valid, isSpace(d.rune) else { break }
            lo += d.width
        }
        return lo..<range.upperBound
    }

    /// `range` without leading and trailing Unicode whitespace (`strings.TrimSpace`).
    static func trim(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        let left = trimLeft(bytes, range)
        var hi = left.upperBound
        while hi > left.lowerBound {
            let d = decodeLast(bytes, start: left.lowerBound, end: hi)
            guard d.valid, isSpace(d.rune) else { break }
            hi -= d.width
        }
        return left.lowerBound..<hi
    }

    /// Whether every rune in `range` is Unicode whitespace (true for an empty range).
    static func isAllSpace(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        trimLeft(bytes, range).isEmpty
    }

    /// The number of runes (Go's `utf8.RuneCount`), used for 1-based columns.
    static func runeCount(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        var i = range.lowerBound, n = 0
        while i < range.upperBound {
            i += decode(bytes, at: i, end: range.upperBound).width
            n += 1
        }
        return n
    }

    /// Go's `strings.ToLower`: simple per-rune lower-casing; invalid bytes become U+FFFD.
    static func lower(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        if bytes[range].allSatisfy({ $0 < 0x80 }) {
            for b in bytes[range] { out.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b) }
            return out
        }
        var i = range.lowerBound
        while i < range.upperBound {
            let d = decode(bytes, at: i, end: range.upperBound)
            i += d.width
            var rune = d.rune
            if d.valid, let scalar = Unicode.Scalar(rune),
               let mapped = scalar.properties.lowercaseMapping.unicodeScalars.first {
                rune = mapped.value
            }
            encode(rune, into: &out)
        }
        return out
    }

    /// Appends `bytes[range]` rune by rune, writing each invalid byte as U+FFFD (Go's
    /// `word += string(ch)` over a decoded rune).
    static func appendRune(_ d: (rune: UInt32, width: Int, valid: Bool), from bytes: [UInt8], at index: Int, into out: inout [UInt8]) {
        if d.valid {
            out.append(contentsOf: bytes[index..<(index + d.width)])
        } else {
            encode(runeError, into: &out)
        }
    }

    /// Appends `b` as if it were a Latin-1 character (Go's `string(rune(b))` on a byte).
    static func appendLatin1(_ b: UInt8, into out: inout [UInt8]) {
        encode(UInt32(b), into: &out)
    }

    /// A `String` from bytes that may be invalid UTF-8 (invalid parts become U+FFFD).
    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
