import XCTest
import TestVectors

final class DebugIgnoreTests: XCTestCase {
    func testPrintsOneLinePerPath() throws {
        let result = try KilnProcess.run([
            "debug", "ignore", "--pattern", "**", "--pattern", "!util/docker/web", "--",
            "util/docker/web/foo", "util/other", "util",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "util/docker/web/foo false\nutil/other true\nutil true\n")
    }

    func testWalkModeSemantics() throws {
        // `**/dir` excludes what is below `dir` in walk mode (unlike the deprecated Matches).
        let result = try KilnProcess.run(["debug", "ignore", "--pattern", "**/dir", "--", "dir/file", "x/dir", "dirx"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "dir/file true\nx/dir true\ndirx false\n")
    }

    func testNoPatternsExcludeNothing() throws {
        let result = try KilnProcess.run(["debug", "ignore", "--", "a", "-b"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "a false\n-b false\n")
    }

    func testInvalidPatternAtNewExitsWith2() throws {
        for bad in ["!", "a[", "[]a]", "\\"] {
            let result = try KilnProcess.run(["debug", "ignore", "--pattern", bad, "--", "a"])
            XCTAssertEqual(result.status, 2, "pattern \(bad)")
            XCTAssertEqual(result.stdout, "", "pattern \(bad)")
            XCTAssertTrue(result.stderr.contains("error:"), result.stderr)
        }
        let bang = try KilnProcess.run(["debug", "ignore", "--pattern", "!", "--", "a"])
        XCTAssertTrue(bang.stderr.contains("illegal exclusion pattern: \"!\""), bang.stderr)
    }

    func testInvalidPatternAtMatchExitsWith2() throws {
        let result = try KilnProcess.run(["debug", "ignore", "--pattern", "[Local-Only]/", "--", "ok", "x"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("syntax error in pattern"), result.stderr)
        XCTAssertTrue(result.stderr.contains("[Local-Only]"), result.stderr)
    }
}
