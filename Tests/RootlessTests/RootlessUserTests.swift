import Foundation
import TestVectors
import XCTest

/// kiln as a brand-new unprivileged user, end to end (scripts/rootless-check.sh: creates the user with
/// useradd, builds and runs the tutorial's web example with a published port, compares image IDs
/// with root's builds, checks a deletion and an opaque directory, removes the user). Needs root to
/// create the user; skipped otherwise or without runuser/newuidmap.
final class RootlessUserTests: XCTestCase {
    func testWithASubordinateRange() throws {
        try runCheck("range")
    }

    func testWithoutASubordinateRange() throws {
        try runCheck("single")
    }

    private func runCheck(_ mode: String) throws {
        try XCTSkipUnless(geteuid() == 0, "creating the test user needs root")
        for tool in ["/usr/sbin/useradd", "/usr/sbin/runuser", "/usr/bin/newuidmap"] {
            try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing (scripts/install-deps.sh)")
        }
        let kiln = KilnProcess.executable.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: kiln), "build kiln first")
        let (status, text) = RepositoryScript.run("rootless-check.sh", [kiln, mode])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("rootless-check (\(mode)): passed"), text)
    }
}
