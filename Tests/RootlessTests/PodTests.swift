import Foundation
import TestVectors
import XCTest

/// The pod case (scripts/pod-check.sh): kiln copied into an image runs as uid 1000 in a container with
/// no added capabilities; with the default seccomp profile it refuses chroot and auto and names what the
/// pod needs, with seccomp=unconfined it builds examples/web and a Dockerfile with RUN steps (deletion,
/// opaque directory) with --isolation chroot, gets root's image IDs, and pushes to a local registry;
/// the host pulls the pushed image and serves its page. Needs root (kiln run, the host's builds).
final class PodTests: XCTestCase {
    func testKilnInAnUnprivilegedContainer() throws {
        try XCTSkipUnless(geteuid() == 0, "starting the pod needs root")
        let kiln = KilnProcess.executable.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: kiln), "build kiln first")
        let tools = Vectors.shared.appendingPathComponent("tools").path
        let (status, text) = RepositoryScript.run("pod-check.sh", [kiln, tools])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("pod-check: passed"), text)
    }
}
