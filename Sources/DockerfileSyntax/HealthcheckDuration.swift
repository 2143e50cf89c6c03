/// Go's `time.ParseDuration`: a signed sequence of decimal numbers with units
/// (`ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`), e.g. `300ms`, `-1.5h`, `1h45m`. `0` alone is
/// allowed without a unit. Result in nanoseconds; errors use Go's wording.
public enum GoDuration {
    public static func parse(_ text: String) throws(DockerfileError) -> Int64 {
        let invalid = DockerfileError("time: invalid duration \(GoQuote.quote(text))")
        var rest = Substring(text).unicodeScalars[...]
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest.elementsEqual("0".unicodeScalars) { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Double = 0
        while !rest.isEmpty {
            let whole = takeDigits(&rest)
            var fraction = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = takeDigits(&rest)
            }
            guard !(whole.isEmpty && fraction.isEmpty) else { throw invalid }
            let unitText = takeUnit(&rest)
            guard !unitText.isEmpty else {
                throw DockerfileError("time: missing unit in duration \(GoQuote.quote(text))")
            }
            guard let unit = nanoseconds(of: unitText) else {
                throw DockerfileError("time: unknown unit \(GoQuote.quote(unitText)) in duration \(GoQuote.quote(text))")
            }
            total += (Double((whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction)) ?? 0) * unit
            guard total < Double(Int64.max) else { throw invalid }
        }
        return negative ? -Int64(total) : Int64(total)
    }

    private static func takeDigits(_ rest: inout Substring.UnicodeScalarView.SubSequence) -> String {
        var out = ""
        while let s = rest.first, ("0"..."9").contains(s) {
            out.unicodeScalars.append(s)
            rest = rest.dropFirst()
        }
        return out
    }

    private static func takeUnit(_ rest: inout Substring.UnicodeScalarView.SubSequence) -> String {
        var out = ""
        while let s = rest.first, s != ".", !("0"..."9").contains(s) {
            out.unicodeScalars.append(s)
            rest = rest.dropFirst()
        }
        return out
    }

    private static func nanoseconds(of unit: String) -> Double? {
        switch unit {
        case "ns": return 1
        case "us", "\u{00B5}s", "\u{03BC}s": return 1_000
        case "ms": return 1_000_000
        case "s": return 1_000_000_000
        case "m": return 60_000_000_000
        case "h": return 3_600_000_000_000
        default: return nil
        }
    }
}
