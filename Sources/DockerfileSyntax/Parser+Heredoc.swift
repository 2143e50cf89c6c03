/// A heredoc marker found on an instruction line, before its body is read.
struct HeredocMarker: Sendable, Equatable {
    var name: [UInt8]
    var expand: Bool
    var chomp: Bool
    var fileDescriptor: Int
}

extension Heredoc {
    /// The content with leading tabs removed from every line (what `<<-` means).
    public static func chomp(_ content: String) -> String {
        var out: [UInt8] = []
        var atLineStart = true
        for b in content.utf8 {
            if atLineStart, b == 0x09 { continue }
            atLineStart = b == 0x0A
            out.append(b)
        }
        return GoText.string(out)
    }
}

extension DockerfileParser {
    /// Keywords whose shell form may carry heredocs.
    static let heredocKeywords: Set<String> = ["run", "copy", "add"]

    /// Whether `node` (or the trigger of an ONBUILD node) may have heredocs.
    static func canContainHeredoc(_ node: Node) -> Bool {
        var target = node
        if target.keyword == "onbuild", let trigger = node.nested.first { target = trigger }
        return heredocKeywords.contains(target.keyword) && !target.isJSON
    }

    /// The heredoc markers of a whole logical line, in order. A line the raw splitter cannot
    /// split (unterminated quote) has none. Throws for a marker whose delimiter cannot be lexed.
    static func heredocMarkers(_ bytes: [UInt8], _ range: Range<Int>) throws(DockerfileError) -> [HeredocMarker] {
        guard let words = try? HeredocWordSplitter(mode: .raw).split(bytes, range) else { return [] }
        var markers: [HeredocMarker] = []
        for word in words {
            if let marker = try parseHeredocWord(word) { markers.append(marker) }
        }
        return markers
    }

    /// One word checked against `^(\d*)<<(-?)\s*([^<]*)$` (third group non-empty), then its
    /// delimiter lexed once with quotes removed (the name) and once raw: the body is expanded
    /// only if both have as many quote characters. Returns nil when the word is not a heredoc.
    static func parseHeredocWord(_ word: [UInt8]) throws(DockerfileError) -> HeredocMarker? {
        var i = 0
        while i < word.count, word[i] >= 0x30, word[i] <= 0x39 { i += 1 }
        let digits = word[0..<i]
        guard i + 1 < word.count, word[i] == 0x3C, word[i + 1] == 0x3C else { return nil }
        i += 2
        let chomp = i < word.count && word[i] == UInt8(ascii: "-")
        if chomp { i += 1 }
        while i < word.count, GoText.isRegexSpace(word[i]) { i += 1 }
        let rest = i..<word.count
        guard !rest.isEmpty, !word[rest].contains(0x3C) else { return nil }

        let cooked: [[UInt8]]
        let raw: [[UInt8]]
        do {
            cooked = try HeredocWordSplitter(mode: .cooked).split(word, rest)
            guard cooked.count == 1 else { return nil }
            raw = try HeredocWordSplitter(mode: .raw).split(word, rest)
        } catch {
            throw DockerfileError(error.message)
        }
        guard raw.count == 1 else {
            throw DockerfileError("internal lexing of heredoc produced inconsistent results: \(GoText.string(word[rest]))")
        }
        var fd = 0
        if !digits.isEmpty {
            guard let value = Int(GoText.string(digits)) else {
                throw DockerfileError("invalid heredoc file descriptor \(GoText.string(digits))")
            }
            fd = value
        }
        let expand = quoteCount(cooked[0]) == quoteCount(raw[0])
        return HeredocMarker(name: cooked[0], expand: expand, chomp: chomp, fileDescriptor: fd)
    }

    private static func quoteCount(_ word: [UInt8]) -> Int {
        word.reduce(0) { $0 + ($1 == 0x27 || $1 == 0x22 ? 1 : 0) }
    }

    /// Reads the body of `marker` from the following lines, up to and including its terminator.
    /// Returns the heredoc and the number of the terminator line.
    static func readHeredocBody(
        _ marker: HeredocMarker, lines: inout LineSplitter, errorRange: SourceRange
    ) throws(DockerfileError) -> (Heredoc, Int) {
        let bytes = lines.bytes
        var content: [UInt8] = []
        while let line = try lines.next() {
            var start = line.content.lowerBound
            if marker.chomp {
                while start < line.content.upperBound, bytes[start] == 0x09 { start += 1 }
            }
            if bytes[start..<line.content.upperBound].elementsEqual(marker.name) {
                let heredoc = Heredoc(
                    name: GoText.string(marker.name), content: GoText.string(content),
                    expand: marker.expand, chomp: marker.chomp, fileDescriptor: marker.fileDescriptor)
                return (heredoc, line.number)
            }
            content.append(contentsOf: bytes[line.raw])
        }
        throw DockerfileError("unterminated heredoc", range: errorRange)
    }
}
