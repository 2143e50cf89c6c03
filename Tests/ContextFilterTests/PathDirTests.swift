@testable import ContextFilter
import XCTest

/// `GoPath.dir` takes a shortcut for paths that are clean already; it must give what Go's
/// `filepath.Dir` (clean of everything up to the last `/`) gives for every path.
final class PathDirTests: XCTestCase {
    /// Go's definition, without the shortcut.
    private func reference(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard let last = bytes.lastIndex(of: GoPath.slash) else { return "." }
        return String(decoding: GoPath.clean(Array(bytes[...last])), as: UTF8.self)
    }

    func testDirMatchesGoDirForCleanAndUncleanPaths() {
        let paths = [
            "a", "a/b", "a/b/c.js", "node_modules/pkg3/lib4/f5.js", "/", "/a", "/a/b", "a/", "a//b", "a/./b", "a/../b",
            "./a/b", "../a/b", "a/b/..", "a/b/.", "..", ".", "...", "a/.../b", ".a/..b/c", "a/b/", "//a/b", "/a//b/c",
            "a/.b", "a/b.", "ä/ö/ü", "",
        ]
        for path in paths {
            XCTAssertEqual(String(decoding: GoPath.dir(Array(path.utf8)), as: UTF8.self), reference(path), "Dir(\(path))")
        }
    }

    /// A path `isClean` accepts is one `clean` leaves as it is (it may turn down a few that are, such
    /// as a leading `..`: those just take the slow way).
    func testIsCleanOnlyAcceptsCleanPaths() {
        let accepted = ["a", "a/b", "/a", "/", "...", ".a", "a/..b", "a/b.c/d"]
        let refused = ["a/", "a//b", "./a", "a/.", "a/..", "..", "../a", "//a", "", "/a/"]
        for path in accepted {
            XCTAssertTrue(GoPath.isClean(Array(path.utf8)[...]), "isClean(\(path))")
            XCTAssertEqual(GoPath.clean(Array(path.utf8)), Array(path.utf8), "clean(\(path))")
        }
        for path in refused { XCTAssertFalse(GoPath.isClean(Array(path.utf8)[...]), "isClean(\(path))") }
    }
}
