import XCTest
@testable import LayerArchive

/// LayerPath.cleanComponents: archive names split at `/` bytes as the kernel reads them, with
/// empty and `.` components dropped, `..` taking the previous one away, and a climb above the
/// root refused.
final class LayerPathTests: XCTestCase {
    func testNamesAreCleanedLexically() throws {
        XCTAssertEqual(try LayerPath.cleanComponents("app/./node_modules//pkg/../lib/f.js"), ["app", "node_modules", "lib", "f.js"])
        XCTAssertEqual(try LayerPath.cleanComponents("/abs/dir/"), ["abs", "dir"])
        XCTAssertEqual(try LayerPath.cleanComponents("./"), [])
        XCTAssertEqual(try LayerPath.cleanComponents(""), [])
        XCTAssertEqual(try LayerPath.cleanComponents("a/.../..b/b.."), ["a", "...", "..b", "b.."])
        XCTAssertEqual(try LayerPath.cleanComponents("é/ü/../ß"), ["é", "ß"])
        // A combining mark after '/' does not hide the separator (the kernel splits at the byte).
        XCTAssertEqual(try LayerPath.cleanComponents("a/\u{301}b"), ["a", "\u{301}b"])
        XCTAssertEqual(try LayerPath.cleanComponents("a/.\u{301}"), ["a", ".\u{301}"])
    }

    func testClimbingAboveTheRootIsRefused() {
        for name in ["..", "../x", "a/../../x", "/a/b/../../.."] {
            XCTAssertThrowsError(try LayerPath.cleanComponents(name), name) { error in
                XCTAssertEqual((error as? LayerArchiveError)?.kind, .unsafeEntry, name)
            }
        }
    }
}
