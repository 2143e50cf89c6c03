/// A JSON string exactly as Go's `encoding/json` writes it (HTML-safe: `<`, `>`, `&`, U+2028 and
/// U+2029 as `\uXXXX`; other control characters as `\u00XX`), for the Docker documents whose bytes
/// must match what Docker computes (`docker inspect`, legacy v1 layer JSON and IDs).
public enum GoJSONString {
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": out += "\\u" + hex4(scalar.value)
            default:
                if scalar.value < 0x20 { out += "\\u" + hex4(scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
