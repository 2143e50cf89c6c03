import Foundation
import XCTest
@testable import ShellWords

/// No input may crash or hang the lexer.
final class RobustnessTests: XCTestCase {
    let env = ShellEnvironment(["a": "xay*b", "b": "", "c": "\n\\*"])

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "${a:-", count: 100_000) + "x" + String(repeating: "}", count: 100_000)
        XCTAssertThrowsError(try ShellLexer().processWord(deep, env: env))
        let unterminated = String(repeating: "${a:-\"", count: 50_000)
        XCTAssertThrowsError(try ShellLexer().processWord(unterminated, env: env))
    }

    func testNestingUpToTheLimitWorks() throws {
        let depth = ShellLexer.maxNestingDepth
        let word = String(repeating: "${z:-", count: depth) + "x" + String(repeating: "}", count: depth)
        XCTAssertEqual(try ShellLexer().processWord(word, env: env), "x")
        let tooDeep = "${z:-" + word + "}"
        XCTAssertThrowsError(try ShellLexer().processWord(tooDeep, env: env))
    }

    /// The maximum nesting must fit in a 1 MiB thread stack (debug build; release frames are smaller).
    func testMaximumNestingFitsASmallStack() {
        let depth = ShellLexer.maxNestingDepth
        let word = String(repeating: "\"${z/${z#", count: depth)
        let done = expectation(description: "expanded on a 1 MiB stack")
        let thread = Thread {
            _ = try? ShellLexer().processWords(word, env: ShellEnvironment())
            done.fulfill()
        }
        thread.stackSize = 1024 * 1024
        thread.start()
        wait(for: [done], timeout: 30)
    }

    func testLargeInputsStayFast() throws {
        let lexer = ShellLexer()
        let long = String(repeating: "ab$a\"c\"${b:-d} ", count: 20_000)
        XCTAssertEqual(try lexer.processWords(long, env: env).count, 20_000)
        let value = ShellEnvironment(["v": String(repeating: "ab", count: 20_000) + "c"])
        XCTAssertEqual(try lexer.processWord("${v//a*b/x}", env: value), "xc")
        XCTAssertEqual(try lexer.processWord("${v##*a}", env: value).count, 2)
        XCTAssertEqual(try lexer.processWord("${v%a*}", env: value).count, 39_998)
        XCTAssertEqual(try lexer.processWord("${v//?/}", env: value), "")
    }

    func testRandomInputs() {
        let alphabet: [String] = ["$", "{", "}", ":", "-", "+", "?", "#", "%", "/", "\\", "'", "\"", "a", "b", "c",
                                  "*", " ", "\n", "é", "`", "0", "@", "="]
        var generator = SplitMix64(seed: 0x5EED)
        let lexers = [
            ShellLexer(), ShellLexer(escapeToken: "`"),
            ShellLexer(rawQuotes: true, rawEscapes: true, skipUnsetEnv: true),
            ShellLexer(skipProcessQuotes: true),
        ]
        for round in 0..<20_000 {
            let length = Int(generator.next() % 24)
            let word = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
            let lexer = lexers[round % lexers.count]
            let single = try? lexer.processWord(word, env: env)
            let words = try? lexer.processWords(word, env: env)
            XCTAssertEqual(single == nil, words == nil, "\(word): processWord and processWords disagree on failure")
        }
    }
}

/// A tiny deterministic random number generator for the random-input test.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
