/// Reads the parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of a file.
///
/// The directive section starts open and closes for good at the first physical line that is not
/// a valid directive. A line is a directive when it matches
/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go `\s` = `[\t\n\f\r ]`) and its lower-cased
/// name is a known directive.
struct DirectiveParser: Sendable {
    static let known: Set<String> = ["syntax", "escape", "check"]

    private(set) var isOpen = true
    private(set) var directives = ParserDirectives()
    /// The escape token as a byte (`\` or `` ` ``).
    private(set) var escape: UInt8 = 0x5C

    /// Offers a line (trailing line ending removed; leading whitespace removed for first lines).
    /// Returns true when the line was a directive. Throws for a repeated directive or a bad
    /// escape value.
    mutating func offer(_ bytes: [UInt8], _ range: Range<Int>, line: Int, column: Int) throws(DockerfileError) -> Bool {
        guard isOpen else { return false }
        guard let (name, value) = Self.match(bytes, range) else {
            isOpen = false
            return false
        }
        let key = GoText.string(name).lowercased()
        guard Self.known.contains(key) else {
            isOpen = false
            return false
        }
        let location = SourceRange(
            start: SourceLocation(line: line, column: column),
            end: SourceLocation(line: line, column: column + max(0, GoText.runeCount(bytes, range) - 1)))
        if directives.locations[key] != nil {
            throw DockerfileError("only one \(key) parser directive can be used", range: location)
        }
        let text = GoText.string(value)
        switch key {
        case "escape":
            guard value == [0x5C] || value == [0x60] else {
                throw DockerfileError("invalid escape token '\(text)' does not match ` or \\", range: location)
            }
            escape = value[0]
            directives.escape = Character(Unicode.Scalar(value[0]))
        case "syntax":
            directives.syntax = text
        default:
            directives.check = text
        }
        directives.locations[key] = location
        return true
    }

    /// The name and value of a line matching the directive pattern, or nil.
    static func match(_ bytes: [UInt8], _ range: Range<Int>) -> ([UInt8], [UInt8])? {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end, bytes[i] == UInt8(ascii: "#") else { return nil }
        i += 1
        while i < end, GoText.isRegexSpace(bytes[i]) { i += 1 }
        let nameStart = i
        guard i < end, isLetter(bytes[i]) else { return nil }
        while i < end, isLetter(bytes[i]) || (bytes[i] >= 0x30 && bytes[i] <= 0x39) { i += 1 }
        let name = Array(bytes[nameStart..<i])
        while i < end, GoText.isRegexSpace(bytes[i]) { i += 1 }
        guard i < end, bytes[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        let afterEquals = i
        while i < end, GoText.isRegexSpace(bytes[i]) { i += 1 }
        var valueEnd = end
        while valueEnd > i, GoText.isRegexSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
        if valueEnd > i { return (name, Array(bytes[i..<valueEnd])) }
        // Only blanks after `=`: the lazy `(.+?)` backtracks into them and takes the last one.
        guard end > afterEquals else { return nil }
        return (name, [bytes[end - 1]])
    }

    private static func isLetter(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
