import CopyPlanner
import Foundation
import LayerArchive
import XCTest

/// Runs `CopyPlanner` over the real conformance cases and compares the planned COPY/ADD
/// layers with the layers Docker 20.10 (BuildKit) produced for them. Expectations come from
/// shared/conformance/references/CASE/summary.json (file tree, per-layer entry counts,
/// history) and, for failing cases, from references/CASE/build.log.
class ConformanceCopyTestsBase: XCTestCase {
    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (owners, chroot for RUN steps)") }
        guard FileManager.default.fileExists(atPath: ConformanceCase.root.path) else { throw XCTSkip("no shared/conformance") }
    }

    /// Runs the case and checks every COPY/ADD layer of its last stage against the reference.
    func check(_ name: String, skipCopies: Set<Int> = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let testCase = try ConformanceCase(name)
        defer { testCase.cleanUp() }
        let driver = DockerfileDriver(testCase)
        try driver.run()
        let reference = try testCase.reference()
        let fromScratch = reference.history.first.map { !$0.createdBy.hasPrefix("root filesystem") } ?? true
        let hasRun = reference.history.contains { $0.createdBy.hasPrefix("RUN ") }
        let planned = driver.exportedCopies(target: testCase.target)
        let differences = try LayerComparison.differences(planned: planned, reference: reference,
                                                          exhaustive: fromScratch && !hasRun, skipCopies: skipCopies)
        XCTAssertEqual(differences, [], "\(name)", file: file, line: line)
        XCTAssertEqual(driver.failedRuns, [], "\(name): RUN steps that Docker ran successfully failed", file: file, line: line)
        XCTAssertGreaterThan(planned.count, 0, file: file, line: line)
    }

    /// Runs a case Docker rejected and checks the planner's message against build.log.
    func checkFails(_ name: String, message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let testCase = try ConformanceCase(name)
        defer { testCase.cleanUp() }
        XCTAssertThrowsError(try DockerfileDriver(testCase).run(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(error)", file: file, line: line)
        }
    }

}

/// COPY/ADD cases of the conformance suite.
final class ConformanceCopyTests: ConformanceCopyTestsBase {
    // Plain COPY from the context, FROM scratch.
    func testFromScratchSimpleFile() throws { try check("up-from-scratch-simple-file") }
    func testCopyFromSubdirToNewDirectory() throws { try check("up-copy-from-subdir-to-new-directory") }
    func testCopyIntegration2() throws { try check("up-copy-integration2") }
    func testCopyPermissions() throws { try check("up-copy-permissions") }
    func testCopyPermissionsImplicit() throws { try check("up-copy-permissions-implicit") }
    func testSetuidFileInContext() throws { try check("up-setuid-file-in-context") }

    // Wildcards.
    func testSomeMissingGlob() throws { try check("up-copy-multiple-some-missing-glob") }
    func testNoMatchOnGlobIsEmptyLayer() throws { try check("up-copy-multiple-missing-file-with-nomatch-on-glob-buildkit") }
    func testCopyGlob1() throws { try check("up-copyglob-1") }
    func testCopyGlob4() throws { try check("up-copyglob-4") }
    func testWildcard() throws { try check("up-wildcard") }

    // Onto busybox.
    func testDirectory() throws { try check("up-directory") }
    func testDirectoryWithSlash() throws { try check("up-directory-with-slash") }
    func testDirectoryWithoutSlash() throws { try check("up-directory-without-slash") }
    func testCopyForUser() throws { try check("up-copy-for-user") }
    func testCopyForUserWithChown() throws { try check("up-copy-for-user-with-chown") }
    func testCopyAbsoluteDirectory1() throws { try check("up-copy-absolute-directory-1") }
    func testCopyAbsoluteDirectory2() throws { try check("up-copy-absolute-directory-2") }

    // ADD of local archives.
    func testAddArchive1() throws { try check("up-add-archive-1") }
    func testAddArchive2() throws { try check("up-add-archive-2") }
    func testAddArchive3() throws { try check("up-add-archive-3") }
    func testAddArchive4() throws { try check("up-add-archive-4") }
    func testAddArchive7() throws { try check("up-add-archive-7") }
    func testAddParentSymlink() throws { try check("up-add-parent-symlink") }
    func testAddDirNotDir() throws { try check("up-add-dir-not-dir") }
    func testAddNotDirDir() throws { try check("up-add-not-dir-dir") }
    func testAddParentClean() throws { try check("up-add-parent-clean") }
    func testSetuidFileInArchive() throws { try check("up-setuid-file-in-archive") }
    func testXattrsFileInArchive() throws { try check("up-xattrs-file-in-archive") }
    func testTarG() throws { try check("up-tar-g") }

    // COPY --from another stage.
    func testCopyFileToSameFile() throws { try check("up-copy-file-to-same-file") }
    func testCopyFileToWorkdir() throws { try check("up-copy-file-to-workdir") }
    func testCopyFileToWorkdirRename() throws { try check("up-copy-file-to-workdir-rename") }
    func testCopyDirectoryToDeeperDirectory() throws { try check("up-copy-directory-to-deeper-directory-without-explicit-slash") }
    func testCopyDirectoryTrailingToRoot() throws { try check("up-copy-directory-trailing-to-root-without-explicit-slash") }
    func testCopyFileToDeeperDirectoryWithSlash() throws { try check("up-copy-file-to-deeper-directory-with-explicit-slash") }
    func testCopyFileToDeeperDirectoryWithoutSlash() throws { try check("up-copy-file-to-deeper-directory-without-explicit-slash") }
    func testCopyFolderContentsToHigherLevel() throws { try check("up-copy-folder-contents-to-higher-level") }
    func testCopyWildcardFolderContentsToHigherLevel() throws { try check("up-copy-wildcard-folder-contents-to-higher-level") }
    func testCopyNestedFileToDifferentRootName() throws { try check("up-copy-nested-file-to-different-root-name") }
    func testCopyFromOwner() throws { try check("up-copy-from-owner") }
    func testCopyFromOwnerWithChown() throws { try check("up-copy-from-owner-with-chown") }
    func testSetuidFileInOtherStage() throws { try check("up-setuid-file-in-other-stage") }

    // The tutorial's cases and BuildKit's edge cases file.
    func testSeedMultistage() throws { try check("seed-multistage") }
    func testSeedMultistageTarget() throws { try check("seed-multistage-target") }
    func testSeedNginx() throws { try check("seed-nginx") }
    func testSeedUser() throws { try check("seed-user") }
    func testEdgecases() throws { try check("up-edgecases") }

    // Missing sources: the message of references/CASE/build.log.
    func testMissingSource() throws {
        try checkFails("expect-fail-missing-source", message: "\"/does-not-exist.txt\" not found")
    }
    func testMissingFileWithGlob() throws {
        try checkFails("up-copy-multiple-missing-file-with-glob", message: "\"/file-z.txt\" not found")
    }
    func testSomeMissing() throws {
        // Docker named /subdir-z (its checksums run concurrently); the planner names the first missing operand.
        try checkFails("up-copy-multiple-some-missing", message: "\"/subdir-a\" not found")
    }
}
