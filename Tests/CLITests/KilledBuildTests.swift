import Foundation
import TestVectors
import XCTest

/// The brief: "a killed build — no crash, no partial state visible afterwards". A build SIGKILLed
/// during a RUN leaves its scratch folder (with the overlay mounted on it) in kiln/tmp; the next
/// build unmounts and removes it, because the folder's owner pid is gone, and `kiln system check`
/// finds nothing stray.
final class KilledBuildTests: XCTestCase {
    func testNextBuildCleansWhatAKilledBuildLeft() throws {
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-killed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let context = scratch.appendingPathComponent("ctx"), store = scratch.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data("FROM base\nRUN echo started; sleep 5\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let base = "base=oci-layout://\(fixture):latest"
        let tmp = store.appendingPathComponent("kiln/tmp").path

        // Start the build, wait for its RUN's overlay under kiln/tmp, then SIGKILL kiln alone.
        let kiln = KilnProcess.executable.path
        let log = scratch.appendingPathComponent("build.log").path
        let script = """
            '\(kiln)' build --progress plain --root '\(store.path)' --build-context '\(base)' '\(context.path)' >'\(log)' 2>&1 &
            pid=$!
            for i in $(seq 1 200); do grep -q ' \(tmp)/run-' /proc/self/mountinfo && break; sleep 0.1; done
            kill -9 $pid; wait $pid; echo status=$?
            """
        let killed = try bash(script)
        XCTAssertTrue(killed.contains("status=137"), "the build was not killed mid-RUN: \(killed)\n\(String(describing: try? String(contentsOfFile: log, encoding: .utf8)))")
        // The step's death guard kills the container and unmounts its overlay at once (KilledRunStepTests);
        // the scratch folder itself stays for the next build to remove.

        let next = try KilnProcess.run(["build", "-q", "--root", store.path, "--build-context", base, context.path])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(HostState.mounts(under: tmp), 0, "a mount of the killed build is left under \(tmp)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [])
        let check = try KilnProcess.run(["system", "check", "--root", store.path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    /// `bash -c script`, output to a file (a process the script leaves running cannot hold a pipe
    /// open), waited for with `waitpid` (``bashThroughFile``: Foundation's Process can miss the exit).
    private func bash(_ script: String) throws -> String {
        bashThroughFile(script).output
    }
}
