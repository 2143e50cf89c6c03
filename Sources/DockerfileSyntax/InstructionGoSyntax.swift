/// Small re-implementations of Go standard-library parsers whose exact acceptance rules (and error
/// wording) show up in BuildKit's instruction errors: `strconv.ParseBool`, `strconv.ParseUint`,
/// and `strconv.ParseInt` (`%q` quoting is `GoQuote.quote`).
enum GoSyntax {
    /// `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`; anything else is nil.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// `strconv.ParseUint(text, radix, bits)` without prefixes or underscores (an explicit radix
    /// allows neither). Nil on an empty string, a bad digit or overflow.
    static func parseUInt(_ text: String, radix: Int, bits: Int) -> UInt64? {
        guard !text.isEmpty else { return nil }
        let limit: UInt64 = bits >= 64 ? .max : (UInt64(1) << UInt64(bits)) - 1
        var value: UInt64 = 0
        for scalar in text.unicodeScalars {
            guard let digit = digitValue(scalar), digit < radix else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, o2) = times.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2, sum <= limit else { return nil }
            value = sum
        }
        return value
    }

    /// Why `strconv.ParseInt(text, 10, bits)` fails, or the value. Mirrors Go's messages:
    /// `strconv.ParseInt: parsing "x": invalid syntax` / `value out of range`.
    static func parseInt(_ text: String, bits: Int) -> Result<Int64, DockerfileError> {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "+" || first == "-" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        let prefix = "strconv.ParseInt: parsing \(GoQuote.quote(text)): "
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
            return .failure(DockerfileError(prefix + "invalid syntax"))
        }
        let magnitudeLimit = UInt64(1) << UInt64(bits - 1)
        guard let magnitude = parseUInt(String(digits), radix: 10, bits: 64),
              magnitude <= (negative ? magnitudeLimit : magnitudeLimit - 1) else {
            return .failure(DockerfileError(prefix + "value out of range"))
        }
        if negative { return .success(magnitude == magnitudeLimit && bits == 64 ? .min : -Int64(magnitude)) }
        return .success(Int64(magnitude))
    }

    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar {
        case "0"..."9": return Int(scalar.value - 48)
        case "a"..."z": return Int(scalar.value - 97 + 10)
        case "A"..."Z": return Int(scalar.value - 65 + 10)
        default: return nil
        }
    }
}
