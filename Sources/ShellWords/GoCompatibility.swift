// Small pieces of Go standard-library behaviour that BuildKit's results depend on.

/// Appends `template` with Go's `Regexp.Expand` rules for a regular expression without capture
/// groups: `$$` is `$`; `$0` and `${0}` are the whole `match`; any other `$name`, `${name}` or
/// `$number` (a name being letters, digits and `_`, taken greedily) is empty; a `$` not followed
/// by a name is literal.
func expandTemplate(
    _ template: [Unicode.Scalar], match: ArraySlice<Unicode.Scalar>, into out: inout String.UnicodeScalarView
) {
    var index = 0
    while index < template.count {
        let ch = template[index]
        index += 1
        guard ch == "$" else {
            out.append(ch)
            continue
        }
        if index < template.count && template[index] == "$" {
            out.append("$")
            index += 1
            continue
        }
        guard let (name, end) = templateName(template, at: index) else {
            out.append("$")
            continue
        }
        index = end
        if name.count == 1 && name.first == "0" { out.append(contentsOf: match) }
    }
}

/// Reads `name` or `{name}` at `start`; returns the name and the index after it, or nil when
/// malformed (empty name, missing `}`).
private func templateName(_ template: [Unicode.Scalar], at start: Int) -> (ArraySlice<Unicode.Scalar>, Int)? {
    var index = start
    let braced = index < template.count && template[index] == "{"
    if braced { index += 1 }
    let nameStart = index
    while index < template.count,
          template[index].isShellLetter || template[index].isShellDigit || template[index] == "_" {
        index += 1
    }
    guard index > nameStart else { return nil }
    let name = template[nameStart..<index]
    if braced {
        guard index < template.count, template[index] == "}" else { return nil }
        index += 1
    }
    return (name, index)
}

/// Quotes a string the way Go's `%q` verb does: `"` and `\` escaped, printable characters kept,
/// others written as `\n`-style, `\xHH`, `\uHHHH` or `\UHHHHHHHH` escapes.
func goQuoted(_ text: String) -> String {
    var out = "\""
    for ch in text.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            if ch == " " || ch.isGoPrintable {
                out.unicodeScalars.append(ch)
            } else if ch.value < 0x80 {
                out += "\\x" + hex(ch.value, width: 2)
            } else if ch.value < 0x10000 {
                out += "\\u" + hex(ch.value, width: 4)
            } else {
                out += "\\U" + hex(ch.value, width: 8)
            }
        }
    }
    return out + "\""
}

private func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension Unicode.Scalar {
    /// Go's `unicode.IsPrint` without the ASCII space: letters, marks, numbers, punctuation, symbols.
    fileprivate var isGoPrintable: Bool {
        switch properties.generalCategory {
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
}
