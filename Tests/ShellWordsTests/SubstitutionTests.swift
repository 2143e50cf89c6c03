import XCTest
@testable import ShellWords

/// Behaviour beyond the vectors: pattern operators, Go regexp quirks BuildKit inherits, and
/// BuildKit's error wording.
final class SubstitutionTests: XCTestCase {
    let lexer = ShellLexer()

    private func expand(_ word: String, _ env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            return try lexer.processWord(word, env: ShellEnvironment(env))
        } catch {
            XCTFail("\(word): unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    private func failure(_ word: String, _ env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> ExpansionError? {
        do {
            let result = try lexer.processWord(word, env: ShellEnvironment(env))
            XCTFail("\(word): expected an error, got '\(result)'", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testPrefixAndSuffixRemoval() {
        let env = ["FOO": "axbxc"]
        XCTAssertEqual(expand("${FOO#*x}", env), "bxc")
        XCTAssertEqual(expand("${FOO##*x}", env), "c")
        XCTAssertEqual(expand("${FOO%x*}", env), "axb")
        XCTAssertEqual(expand("${FOO%%x*}", env), "a")
        XCTAssertEqual(expand("${FOO#?}", env), "xbxc")
        XCTAssertEqual(expand("${FOO%?}", env), "axbx")
        XCTAssertEqual(expand("${FOO#zz}", env), "axbxc")
        XCTAssertEqual(expand("${FOO#\\}}", ["FOO": "}a"]), "a")
        XCTAssertEqual(expand("${FOO#\"*\"}", env), "axbxc", "quotes are removed, the * stays a glob")
    }

    func testReplacement() {
        let env = ["FOO": "axbxc"]
        XCTAssertEqual(expand("${FOO/x/-}", env), "a-bxc")
        XCTAssertEqual(expand("${FOO//x/-}", env), "a-b-c")
        XCTAssertEqual(expand("${FOO/x*/-}", env), "a-")
        XCTAssertEqual(expand("${FOO//b?/}", env), "axc")
        XCTAssertEqual(expand("${FOO//$BAR/ww}", ["FOO": "xxyy", "BAR": ""]), "wwxwwxwwywwyww")
        XCTAssertEqual(expand("${FOO//*/x}", ["FOO": "abc"]), "x")
        XCTAssertEqual(expand("${FOO/\\//:}", ["FOO": "a/b/c"]), "a:b/c")
    }

    /// BuildKit uses Go's ReplaceAllString for `//`, which expands `$0` and `$$` in the replacement;
    /// the single replacement `/` inserts it literally.
    func testReplaceAllUsesGoTemplates() {
        let env = ["FOO": "ab", "REPL": "[$0]", "OTHER": "<$1|${0}|$$|$0x|$>"]
        XCTAssertEqual(expand("${FOO//?/$REPL}", env), "[a][b]")
        XCTAssertEqual(expand("${FOO/?/$REPL}", env), "[$0]b")
        XCTAssertEqual(expand("${FOO//a/$OTHER}", env), "<|a|$||$>b")
        XCTAssertEqual(expand("${FOO//?/\\$0}", env), "\\a\\b")
    }

    /// Go's `.` does not match a newline, so neither do `*` and `?`.
    func testWildcardsDoNotMatchNewline() {
        let env = ["FOO": "a\nb"]
        XCTAssertEqual(expand("${FOO##*}", env), "\nb")
        XCTAssertEqual(expand("${FOO%%*}", env), "a\n")
        XCTAssertEqual(expand("${FOO//?/-}", env), "-\n-")
    }

    func testSpecialAndPositionalNamesAreLookedUp() throws {
        let expansion = try lexer.processWordWithMatches("$1 ${#} $@x $KOREAN", env: ShellEnvironment(["KOREAN": "k"]))
        XCTAssertEqual(expansion.result, "  x k")
        XCTAssertEqual(expansion.unmatched, ["1", "#", "@"])
        XCTAssertEqual(expansion.matched, ["KOREAN"])
    }

    func testUnicodeNamesAndLeadingByteOrderMark() {
        XCTAssertEqual(expand("$été.", ["été": "summer"]), "summer.")
        XCTAssertEqual(expand("$\u{0663}x", ["\u{0663}": "arabic three"]), "arabic threex")
        XCTAssertEqual(expand("\u{FEFF}a\u{FEFF}"), "a\u{FEFF}")
    }

    func testErrorWording() {
        let cases: [(String, [String: String], String)] = [
            ("${", [:], "syntax error: missing '}'"),
            ("${FOO", [:], "syntax error: missing '}'"),
            ("${FOO:-x", [:], "syntax error: missing '}'"),
            ("${}", [:], "syntax error: bad substitution"),
            ("${:-x}", [:], "syntax error: bad substitution"),
            ("${a=b}", [:], "unsupported modifier (=) in substitution"),
            ("${a:=b}", [:], "unsupported modifier (:=) in substitution"),
            ("${a:#b}", [:], "unsupported modifier (:#) in substitution"),
            ("${a//x}", [:], "syntax error: missing '/' in ${}"),
            ("${a#\\x}", ["a": ""], "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
            ("${a%ab\\x}", ["a": ""], "invalid pattern (\\xba) in substitution: invalid escape '\\x'"),
            ("${a?}", [:], "a: is not allowed to be unset"),
            ("${a:?}", ["a": ""], "a: is not allowed to be empty"),
            ("${a:?oops $b}", ["b": "!"], "a: oops !"),
            ("'abc", [:], "unexpected end of statement while looking for matching single-quote"),
            ("\"abc", [:], "unexpected end of statement while looking for matching double-quote"),
        ]
        for (word, env, message) in cases {
            XCTAssertEqual(failure(word, env)?.message, message, word)
        }
        XCTAssertEqual(failure("a\t\"${")?.description, "failed to process \"a\\t\\\"${\": syntax error: missing '}'")
    }

    /// A nested modifier word that fails at the end of input reports the missing `}` instead.
    func testNestedErrorsAtEndBecomeMissingBrace() {
        XCTAssertEqual(failure("${a:-${b?}")?.message, "syntax error: missing '}'")
        XCTAssertEqual(failure("${a:-${b?}}")?.message, "b: is not allowed to be unset")
    }
}
