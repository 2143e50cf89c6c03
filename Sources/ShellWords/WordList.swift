/// The words finished so far at one nesting level of `ShellWordScanner.process`. The word being
/// built lives in the scanner's `wordBuffer`, which every level shares.
struct WordList {
    var words: [String] = []
    /// Whether a word has started (possibly still empty, e.g. after `""`).
    var inWord = false
}

extension ShellWordScanner {
    /// Adds text that may be split: whitespace ends the current word (if it has any text) and
    /// is otherwise dropped.
    mutating func addSplitting(_ ch: Unicode.Scalar, to list: inout WordList) {
        if !ch.properties.isWhitespace {
            addRaw(ch, to: &list)
        } else if list.inWord && !wordBuffer.isEmpty {
            list.words.append(String(wordBuffer))
            wordBuffer.removeAll(keepingCapacity: true)
            list.inWord = false
        }
    }

    mutating func addSplitting(_ text: String, to list: inout WordList) {
        for ch in text.unicodeScalars { addSplitting(ch, to: &list) }
    }

    /// Adds text that is never split (quoted or escaped); starts a word even when empty.
    mutating func addRaw(_ ch: Unicode.Scalar, to list: inout WordList) {
        wordBuffer.append(ch)
        list.inWord = true
    }

    mutating func addRaw(_ text: String, to list: inout WordList) {
        wordBuffer.append(contentsOf: text.unicodeScalars)
        list.inWord = true
    }

    /// Ends the current word if it has text and returns every word of this level.
    mutating func finishWords(_ list: inout WordList) -> [String] {
        if !wordBuffer.isEmpty {
            list.words.append(String(wordBuffer))
            wordBuffer.removeAll(keepingCapacity: true)
            list.inWord = false
        }
        return list.words
    }
}
