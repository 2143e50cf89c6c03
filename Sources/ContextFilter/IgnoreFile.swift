import Foundation

/// Reading `.dockerignore` files (moby/patternmatcher `ignorefile.ReadAll`) and finding the one a
/// build uses.
public enum IgnoreFile {
    /// The longest line accepted, in bytes (excluding the `\n`): Go's `bufio.Scanner` limit of
    /// 64 KiB, which must also hold the newline.
    public static let maxLineLength = 64 * 1024 - 1

    /// A `.dockerignore` that cannot be read.
    public struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based number of the offending line.
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Turns the bytes of a `.dockerignore` file into the pattern list for ``PatternMatcher``.
    ///
    /// Lines are split on `\n` (a trailing `\r` is dropped). For each line: a UTF-8 BOM is removed
    /// from the first; a line starting with `#` *before trimming* is a comment; the line is trimmed
    /// and skipped if empty; a leading `!` is removed and the rest trimmed again; a non-empty rest is
    /// `filepath.Clean`ed and loses one leading `/` if longer than one byte; the `!` is put back
    /// (so `!` alone stays `!`, which ``PatternMatcher/init(_:)`` rejects). There is no escaping
    /// and no trailing comment. Invalid UTF-8 is replaced by U+FFFD.
    ///
    /// - Throws: ``ReadError`` for a line longer than ``maxLineLength`` bytes.
    public static func read(_ bytes: [UInt8]) throws(ReadError) -> [String] {
        var patterns: [String] = []
        for (index, rawLine) in lines(bytes).enumerated() {
            if rawLine.count > maxLineLength {
                throw ReadError(line: index + 1, message: "line too long (more than \(maxLineLength) bytes)")
            }
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if index == 0 && line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
            if line.first == UInt8(ascii: "#") { continue }
            if let pattern = pattern(fromLine: String(decoding: line, as: UTF8.self)) {
                patterns.append(pattern)
            }
        }
        return patterns
    }

    /// One non-comment line to its pattern (nil for a blank line).
    static func pattern(fromLine line: String) -> String? {
        var text = GoPath.trimSpace(line)
        if text.isEmpty { return nil }
        let invert = text.utf8.first == UInt8(ascii: "!")
        if invert { text = GoPath.trimSpace(String(decoding: text.utf8.dropFirst(), as: UTF8.self)) }
        if !text.isEmpty {
            var bytes = GoPath.clean(Array(text.utf8))
            if bytes.count > 1 && bytes[0] == GoPath.slash { bytes.removeFirst() }
            text = String(decoding: bytes, as: UTF8.self)
        }
        return invert ? "!" + text : text
    }

    /// Splits like Go's `bufio.ScanLines` on `\n` (the caller drops one trailing `\r` per line);
    /// a final line without `\n` counts only if non-empty.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            result.append(bytes[start..<end])
            start = end + 1
        }
        return result
    }
}
