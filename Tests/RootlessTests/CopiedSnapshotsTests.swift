import Foundation
import TestVectors
import XCTest

/// The copying fallback for where overlayfs cannot be mounted, forced with KILN_SNAPSHOTS=copy
/// (scripts/copy-snapshots-check.sh): RUN steps with deletions, removed-and-remade (opaque)
/// directories, metadata-only changes, hard links, symlinks and fifos give the same image ID as
/// with overlayfs, and a container runs from a copied root filesystem. The natural fallback (a
/// store on a container's overlay root) is checked by PodTests. Needs root (kiln's builds as root).
final class CopiedSnapshotsTests: XCTestCase {
    func testCopiedRootFilesystemsGiveTheSameImageIDs() throws {
        try XCTSkipUnless(geteuid() == 0, "the builds run as root")
        let kiln = KilnProcess.executable.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: kiln), "build kiln first")
        let (status, text) = RepositoryScript.run("copy-snapshots-check.sh", [kiln])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("copy-snapshots-check: passed"), text)
    }
}
