import XCTest
@testable import ShellWords

/// The non-default modes (raw quotes, raw escapes, skip-unset, skip-quotes, backtick escape)
/// and `processWords` buffer behaviour.
final class LexerOptionTests: XCTestCase {
    let env = ShellEnvironment(["PWD": "/home", "EMPTY": ""])

    func testRawQuotes() throws {
        let lexer = ShellLexer(rawQuotes: true)
        XCTAssertEqual(try lexer.processWord("\"a $PWD\"'$b'c", env: env), "\"a /home\"'$b'c")
        XCTAssertEqual(try lexer.processWords("\"a b\" c", env: env), ["\"a b\"", "c"])
    }

    func testRawEscapes() throws {
        let lexer = ShellLexer(rawEscapes: true)
        XCTAssertEqual(try lexer.processWord("a\\$b\\", env: env), "a\\$b\\")
        XCTAssertEqual(try lexer.processWord("\"a\\\"b\\c\"", env: env), "a\\\"b\\\\c")
    }

    func testSkipUnsetEnv() throws {
        let lexer = ShellLexer(skipUnsetEnv: true)
        let word = "$X ${X} ${X:-d$PWD} ${X?} ${X##a*} ${X//a/b} $PWD ${EMPTY:-e}"
        XCTAssertEqual(try lexer.processWord(word, env: env), "$X ${X} ${X:-d/home} ${X?} ${X##a*} ${X/a/b} /home e")
    }

    func testSkipProcessQuotes() throws {
        let lexer = ShellLexer(skipProcessQuotes: true)
        XCTAssertEqual(try lexer.processWord("'a $PWD' \"b\"", env: env), "'a /home' \"b\"")
        XCTAssertEqual(try lexer.processWords("'a b'", env: env), ["'a", "b'"])
    }

    func testHeredocDetectionMode() throws {
        let lexer = ShellLexer(rawQuotes: true, skipUnsetEnv: true)
        XCTAssertEqual(try lexer.processWords("<<\"EOF\" $X", env: env), ["<<\"EOF\"", "$X"])
    }

    func testBacktickEscapeToken() throws {
        let lexer = ShellLexer(escapeToken: "`")
        XCTAssertEqual(try lexer.processWord("a`$b\\c", env: env), "a$b\\c")
        XCTAssertEqual(try lexer.processWord("\"a`\"b``c`d\"", env: env), "a\"b`c`d")
        XCTAssertEqual(try lexer.processWords("a` b c", env: env), ["a b", "c"])
        // Patterns always use `\` as their escape.
        XCTAssertEqual(try lexer.processWord("${PWD#\\/}", env: env), "home")
    }

    /// BuildKit's nested processing of a modifier word clears the shared word buffer, so text
    /// before `${X:-…}` in the same word is lost from the word list (not from processWord).
    func testModifierWordClearsCurrentWord() throws {
        let lexer = ShellLexer()
        XCTAssertEqual(try lexer.processWords("abc${X:-y}def gh", env: env), ["ydef", "gh"])
        XCTAssertEqual(try lexer.processWords("abc ${X:-y}def", env: env), ["abc", "ydef"])
        XCTAssertEqual(try lexer.processWords("abc${PWD}def", env: env), ["abc/homedef"])
        XCTAssertEqual(try lexer.processWord("abc${X:-y}def", env: env), "abcydef")
    }

    func testWordSplitting() throws {
        let lexer = ShellLexer()
        let env = ShellEnvironment(["S": " a \u{3000}b\n"])
        XCTAssertEqual(try lexer.processWords("x${S}y", env: env), ["x", "a", "b", "y"])
        XCTAssertEqual(try lexer.processWords("\"\" '' x\\ y", env: env), ["x y"])
        XCTAssertEqual(try lexer.processWords("", env: env), [])
    }
}
