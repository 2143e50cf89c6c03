import XCTest
import TestVectors

/// `kiln debug expand`.
final class DebugExpandTests: XCTestCase {
    func testExpandsWithEnvironment() throws {
        let result = try KilnProcess.run(["debug", "expand", "--env", "A=x y", "--env", "E=", "--", "${A}-${E:-empty}-${E-unset}-$B"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "x y-empty--\n")
    }

    func testWordsOnePerLine() throws {
        let result = try KilnProcess.run(["debug", "expand", "--words", "--env", "A=b  c", "--", "a\\ 1 $A \"d e\""])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "a 1\nb\nc\nd e\n")
    }

    func testErrorGoesToStderrWithStatus1() throws {
        let result = try KilnProcess.run(["debug", "expand", "--", "${FOO:?must be set}"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("FOO: must be set"), result.stderr)
    }

    func testBacktickEscape() throws {
        let result = try KilnProcess.run(["debug", "expand", "--escape", "`", "--", "`$HOME\\x"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "$HOME\\x\n")
    }
}
