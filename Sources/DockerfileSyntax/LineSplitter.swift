/// One physical line of the input.
struct PhysicalLine: Sendable {
    /// 1-based line number.
    var number: Int
    /// The whole line including its `\n` (if any): what heredoc bodies copy verbatim.
    var raw: Range<Int>
    /// The line without its trailing `\r` and `\n` characters (all of them).
    var content: Range<Int>
}

/// Splits the input after each `\n` (a final line without `\n` counts too), strips a UTF-8 BOM
/// from the first line, and enforces BuildKit's line-length limit. Linear in the input.
struct LineSplitter: Sendable {
    /// Longest accepted line, line ending excluded (bufio's 64 KiB token limit minus one).
    static let maxLineLength = 65535

    let bytes: [UInt8]
    private var position = 0
    private(set) var lineNumber = 0
    /// The content range of the line returned last.
    private(set) var lastContent: Range<Int> = 0..<0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether another line is available.
    var isAtEnd: Bool { position >= bytes.count }

    /// The length in runes of the line returned last (the column of its last character).
    var lastLineLength: Int { GoText.runeCount(bytes, lastContent) }

    /// The next physical line, or nil at end of input. Throws for a line over the limit.
    mutating func next() throws(DockerfileError) -> PhysicalLine? {
        guard position < bytes.count else { return nil }
        var start = position
        var end = start
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        let contentEnd = end
        if end < bytes.count { end += 1 }
        position = end
        lineNumber += 1
        if contentEnd - start > Self.maxLineLength {
            throw DockerfileError(
                "dockerfile line greater than max allowed size of \(Self.maxLineLength)",
                range: SourceRange(line: lineNumber))
        }
        if lineNumber == 1, contentEnd - start >= 3,
           bytes[start] == 0xEF, bytes[start + 1] == 0xBB, bytes[start + 2] == 0xBF {
            start += 3
        }
        var trimmed = contentEnd
        while trimmed > start, bytes[trimmed - 1] == 0x0D || bytes[trimmed - 1] == 0x0A { trimmed -= 1 }
        lastContent = start..<trimmed
        return PhysicalLine(number: lineNumber, raw: start..<end, content: start..<trimmed)
    }
}
