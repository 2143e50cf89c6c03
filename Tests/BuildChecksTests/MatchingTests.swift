import XCTest
@testable import BuildChecks

final class MatchingTests: XCTestCase {
    func testGlobMatchFollowsGoFilepathMatch() {
        XCTAssertTrue(GlobMatch.matches("*.pem", "deploy.pem"))
        XCTAssertFalse(GlobMatch.matches("*.pem", "certs/deploy.pem"))
        XCTAssertTrue(GlobMatch.matches("certs/*.pem", "certs/deploy.pem"))
        XCTAssertTrue(GlobMatch.matches("file?.txt", "file1.txt"))
        XCTAssertFalse(GlobMatch.matches("file?.txt", "file10.txt"))
        XCTAssertTrue(GlobMatch.matches("[a-c]x", "bx"))
        XCTAssertTrue(GlobMatch.matches("[^a-c]x", "dx"))
        XCTAssertFalse(GlobMatch.matches("[^a-c]x", "ax"))
        XCTAssertTrue(GlobMatch.matches("\\*x", "*x"))
        XCTAssertFalse(GlobMatch.matches("[a-", "a"), "malformed")
    }

    func testSourceCoversFile() {
        XCTAssertTrue(ContextPath.source(".", covers: "a/b"))
        XCTAssertTrue(ContextPath.source("./a", covers: "a/b"))
        XCTAssertTrue(ContextPath.source("/a/", covers: "a/b"))
        XCTAssertFalse(ContextPath.source("a", covers: "ab"))
        XCTAssertTrue(ContextPath.source("a*", covers: "ab/c"))
        XCTAssertFalse(ContextPath.source("$X", covers: "a"))
    }

    func testImageReference() {
        XCTAssertEqual(ImageReference("alpine")?.tag, nil)
        XCTAssertEqual(ImageReference("alpine:3.20")?.tag, "3.20")
        XCTAssertEqual(ImageReference("localhost:5000/a/b:1")?.name, "localhost:5000/a/b")
        XCTAssertNotNil(ImageReference("alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")?.digest)
        XCTAssertNil(ImageReference(""))
        XCTAssertNil(ImageReference("Alpine"))
        XCTAssertNil(ImageReference("alpine:"))
        XCTAssertNil(ImageReference("a//b"))
    }
}
