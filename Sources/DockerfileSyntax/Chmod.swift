/// A `COPY/ADD --chmod` value after expansion: octal up to `07777`, or (Dockerfile 1.14+) symbolic
/// `chmod` syntax such as `+x`, `u=rwX,go=rX`, `g=u`.
public enum Chmod: Sendable, Hashable {
    case octal(UInt32)
    case symbolic(String)

    /// Parses a non-empty `--chmod` value; anything else is
    /// `invalid chmod parameter: '<v>'. it should be octal string and between 0 and 07777`.
    public static func parse(_ text: String) throws(DockerfileError) -> Chmod {
        let invalid = DockerfileError(
            "invalid chmod parameter: '\(text)'. it should be octal string and between 0 and 07777")
        if let mode = GoSyntax.parseUInt(text, radix: 8, bits: 32) {
            guard mode <= 0o7777 else { throw invalid }
            return .octal(UInt32(mode))
        }
        guard isSymbolic(text) else { throw invalid }
        return .symbolic(text)
    }

    /// Comma-separated clauses `[ugoa]*` followed by one or more actions `[-+=]` with either
    /// permission letters `[rwxXst]*` or one copy source `[ugo]`.
    static func isSymbolic(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for clause in text.split(separator: ",", omittingEmptySubsequences: false) {
            var rest = clause.unicodeScalars[...]
            while let s = rest.first, "ugoa".unicodeScalars.contains(s) { rest = rest.dropFirst() }
            guard !rest.isEmpty else { return false }
            while let op = rest.first {
                guard "+-=".unicodeScalars.contains(op) else { return false }
                rest = rest.dropFirst()
                if let s = rest.first, "ugo".unicodeScalars.contains(s) {
                    rest = rest.dropFirst()
                    continue
                }
                while let s = rest.first, "rwxXst".unicodeScalars.contains(s) { rest = rest.dropFirst() }
            }
        }
        return true
    }
}
