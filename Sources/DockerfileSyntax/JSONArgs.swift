/// The exec-form reader: a strict RFC 8259 parser (Go `encoding/json` rules) that accepts exactly
/// one JSON array, optionally surrounded by whitespace, and reports whether all of its elements
/// are strings. Iterative, linear, and depth-limited like Go's decoder (10000 levels).
enum JSONArgs {
    enum Outcome: Equatable, Sendable {
        /// A valid array of strings, decoded (`\/` -> `/`, `\u0000` -> U+0000, …).
        case strings([[UInt8]])
        /// A valid JSON array with a non-string element: a hard parse error.
        case notStringArray
        /// Not JSON (or not starting with `[`): the caller falls back to the shell form.
        case invalid
    }

    static let maxDepth = 10000

    static func parse(_ text: String) -> Outcome {
        let bytes = Array(text.utf8)
        return parse(bytes, 0..<bytes.count)
    }

    /// Parses `bytes[range]` after removing leading Unicode whitespace.
    static func parse(_ bytes: [UInt8], _ range: Range<Int>) -> Outcome {
        var reader = JSONReader(bytes: bytes, position: GoText.trimLeft(bytes, range).lowerBound, end: range.upperBound)
        guard reader.position < reader.end, bytes[reader.position] == UInt8(ascii: "[") else { return .invalid }
        guard let (elements, allStrings) = reader.readTopArray() else { return .invalid }
        reader.skipWhitespace()
        guard reader.position == reader.end else { return .invalid }
        return allStrings ? .strings(elements) : .notStringArray
    }
}

/// The state machine behind `JSONArgs`. Every method returns nil (or false) on a syntax error.
private struct JSONReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    private enum State { case arrayStart, objectStart, value, key, afterValue }

    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Reads the array at `position`; returns its string elements and whether all were strings.
    mutating func readTopArray() -> ([[UInt8]], Bool)? {
        var stack: [UInt8] = [UInt8(ascii: "[")]
        position += 1
        var strings: [[UInt8]] = []
        var allStrings = true
        var state = State.arrayStart
        while !stack.isEmpty {
            skipWhitespace()
            guard position < end else { return nil }
            let c = bytes[position]
            switch state {
            case .arrayStart, .objectStart:
                let closer = UInt8(ascii: state == .arrayStart ? "]" : "}")
                if c == closer {
                    position += 1
                    stack.removeLast()
                    state = .afterValue
                } else {
                    state = state == .arrayStart ? .value : .key
                }
            case .key:
                guard c == UInt8(ascii: "\""), readString() != nil else { return nil }
                skipWhitespace()
                guard position < end, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                state = .value
            case .value:
                let topLevel = stack.count == 1
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    guard stack.count < JSONArgs.maxDepth else { return nil }
                    stack.append(c)
                    position += 1
                    state = c == UInt8(ascii: "[") ? .arrayStart : .objectStart
                    if topLevel { allStrings = false }
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    guard let s = readString() else { return nil }
                    if topLevel { strings.append(s) }
                } else {
                    guard readScalar() else { return nil }
                    if topLevel { allStrings = false }
                }
                state = .afterValue
            case .afterValue:
                let top = stack[stack.count - 1]
                let closer = UInt8(ascii: top == UInt8(ascii: "[") ? "]" : "}")
                if c == UInt8(ascii: ",") {
                    position += 1
                    state = top == UInt8(ascii: "[") ? .value : .key
                } else if c == closer {
                    position += 1
                    stack.removeLast()
                } else {
                    return nil
                }
            }
        }
        return (strings, allStrings)
    }

    /// `true`, `false`, `null` or a number (which must fit a float64, as Go decodes it).
    private mutating func readScalar() -> Bool {
        for literal in ["true", "false", "null"] {
            let word = Array(literal.utf8)
            if end - position >= word.count, Array(bytes[position..<(position + word.count)]) == word {
                position += word.count
                return true
            }
        }
        return readNumber()
    }

    private mutating func readNumber() -> Bool {
        let start = position
        if position < end, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < end, isDigit(bytes[position]) else { return false }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        if position < end, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < end, isDigit(bytes[position]) else { return false }
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        if position < end, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < end, isDigit(bytes[position]) else { return false }
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        // Go fails to decode a number that overflows float64 ("cannot unmarshal number").
        guard let value = Double(GoText.string(bytes[start..<position])) else { return false }
        return value.isFinite
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Reads a string at the opening quote and returns it decoded, like Go: invalid UTF-8 and
    /// unpaired surrogates become U+FFFD; raw control characters are a syntax error.
    private mutating func readString() -> [UInt8]? {
        position += 1
        var out: [UInt8] = []
        while position < end {
            let c = bytes[position]
            switch c {
            case UInt8(ascii: "\""):
                position += 1
                return out
            case UInt8(ascii: "\\"):
                guard readEscape(into: &out) else { return nil }
            case 0..<0x20:
                return nil
            case 0..<0x80:
                out.append(c)
                position += 1
            default:
                let d = GoText.decode(bytes, at: position, end: end)
                GoText.appendRune(d, from: bytes, at: position, into: &out)
                position += d.width
            }
        }
        return nil
    }

    private mutating func readEscape(into out: inout [UInt8]) -> Bool {
        guard position + 1 < end else { return false }
        let e = bytes[position + 1]
        position += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = readHex4() else { return false }
            var rune = unit
            if unit >= 0xD800, unit < 0xDC00 {
                // A high surrogate pairs only with an immediately following `\u` low surrogate.
                let save = position
                if position + 1 < end, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    if let low = readHex4(), low >= 0xDC00, low < 0xE000 {
                        rune = 0x10000 + (unit - 0xD800) << 10 + (low - 0xDC00)
                    } else {
                        position = save
                        rune = GoText.runeError
                    }
                } else {
                    rune = GoText.runeError
                }
            } else if unit >= 0xDC00, unit < 0xE000 {
                rune = GoText.runeError
            }
            GoText.encode(rune, into: &out)
        default:
            return false
        }
        return true
    }

    private mutating func readHex4() -> UInt32? {
        guard end - position >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
