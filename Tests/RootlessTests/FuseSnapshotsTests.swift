import Foundation
import TestVectors
import XCTest

/// The fuse-overlayfs snapshot tier (scripts/fuse-snapshots-check.sh): with KILN_SNAPSHOTS=fuse, as
/// root and as a new rootless user, RUN steps with deletions, removed-and-remade (opaque) directories
/// and hard links give the same image ID as with the kernel's overlayfs, `kiln run` works, a SIGKILLed
/// build leaves no daemon or mount, and a store on an overlay mount falls back to fuse-overlayfs with one
/// note. Needs root (it creates the user), fuse-overlayfs and /dev/fuse.
final class FuseSnapshotsTests: XCTestCase {
    func testFuseOverlayfsGivesTheSameImageIDs() throws {
        try XCTSkipUnless(geteuid() == 0, "the check creates a user and builds as root")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/fuse-overlayfs"),
                          "fuse-overlayfs is not installed (apt-get install fuse-overlayfs; scripts/install-deps.sh)")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/fuse"), "/dev/fuse is missing (no FUSE in this kernel or container)")
        let kiln = KilnProcess.executable.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: kiln), "build kiln first")
        let (status, text) = RepositoryScript.run("fuse-snapshots-check.sh", [kiln])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("fuse-snapshots-check: passed"), text)
    }
}
