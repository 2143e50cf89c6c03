extension Heredoc {
    /// BuildKit's `MustParseHeredoc`: whether `text` as a whole is one heredoc marker
    /// (`<<EOF`, `<<-"EOF"`, `3<<EOF`) and nothing else; lexing errors count as "no".
    public static func isSingleMarker(_ text: String) -> Bool {
        ((try? DockerfileParser.parseHeredocWord(Array(text.utf8))) ?? nil) != nil
    }
}
