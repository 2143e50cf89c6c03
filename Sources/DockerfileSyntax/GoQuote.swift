/// Go's `strconv.Quote`, byte-exact (see shared/vectors/parser/FORMAT.md, "Quoting").
public enum GoQuote {
    /// `bytes` in double quotes with Go's escapes; invalid UTF-8 bytes become `\xNN`.
    static func quote(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        out.reserveCapacity(bytes.count + 2)
        var i = 0
        while i < bytes.count {
            let d = GoText.decode(bytes, at: i, end: bytes.count)
            if !d.valid {
                appendHex(UInt32(bytes[i]), prefix: "x", digits: 2, into: &out)
            } else {
                appendRune(d.rune, original: bytes[i..<(i + d.width)], into: &out)
            }
            i += d.width
        }
        out.append(0x22)
        return out
    }

    public static func quote(_ text: String) -> String {
        GoText.string(quote(Array(text.utf8)))
    }

    private static func appendRune(_ rune: UInt32, original: ArraySlice<UInt8>, into out: inout [UInt8]) {
        switch rune {
        case 0x22: out += [0x5C, 0x22]
        case 0x5C: out += [0x5C, 0x5C]
        case 0x07: out += [0x5C, UInt8(ascii: "a")]
        case 0x08: out += [0x5C, UInt8(ascii: "b")]
        case 0x0C: out += [0x5C, UInt8(ascii: "f")]
        case 0x0A: out += [0x5C, UInt8(ascii: "n")]
        case 0x0D: out += [0x5C, UInt8(ascii: "r")]
        case 0x09: out += [0x5C, UInt8(ascii: "t")]
        case 0x0B: out += [0x5C, UInt8(ascii: "v")]
        default:
            if isPrint(rune) {
                out.append(contentsOf: original)
            } else if rune < 0x20 || rune == 0x7F {
                appendHex(rune, prefix: "x", digits: 2, into: &out)
            } else if rune < 0x10000 {
                appendHex(rune, prefix: "u", digits: 4, into: &out)
            } else {
                appendHex(rune, prefix: "U", digits: 8, into: &out)
            }
        }
    }

    /// Go's `unicode.IsPrint`: categories L, M, N, P, S, plus the ASCII space.
    static func isPrint(_ rune: UInt32) -> Bool {
        if rune < 0x80 { return rune >= 0x20 && rune < 0x7F }
        guard let scalar = Unicode.Scalar(rune) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func appendHex(_ value: UInt32, prefix: Character, digits: Int, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(0x5C)
        out.append(prefix.asciiValue ?? 0x78)
        var shift = (digits - 1) * 4
        while shift >= 0 {
            out.append(hex[Int(value >> UInt32(shift) & 0xF)])
            shift -= 4
        }
    }
}
