import Foundation
import TestVectors
import XCTest

/// Issue 14: a `kiln build` SIGKILLed inside a RUN step used to leave the step's runc and process running
/// until the step ended, its overlay mounted, and /tmp/kiln-bundle-XXXX behind (config.json with the command
/// line and environment). Now the bundle lives in the store's scratch folder, and the step's death guard kills
/// and deletes the container, removes the bundle and unmounts the root filesystem as soon as kiln is gone.
final class KilledRunStepTests: XCTestCase {
    func testKillingKilnMidRunKillsTheStepAndLeavesNoBundleOrMount() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (overlay mounts, runc)") }
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-killed-step-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let context = scratch.appendingPathComponent("ctx"), store = scratch.appendingPathComponent("store")
        let tmpdir = scratch.appendingPathComponent("tmpdir")
        for directory in [context, tmpdir] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let marker = "kiln-step-\(UUID().uuidString.prefix(8))"
        try Data("FROM base\nRUN echo started; SECRET_ARG=\(marker) sleep 120\n".utf8)
            .write(to: context.appendingPathComponent("Dockerfile"))
        let base = "base=oci-layout://\(fixture):latest"
        let tmp = store.appendingPathComponent("kiln/tmp").path

        // Start the build with a private TMPDIR, wait until the step's `sleep` runs, then SIGKILL kiln alone.
        let kiln = KilnProcess.executable.path
        let script = """
            TMPDIR='\(tmpdir.path)' '\(kiln)' build --progress plain --root '\(store.path)' --build-context '\(base)' '\(context.path)' >/dev/null 2>&1 &
            pid=$!
            for i in $(seq 1 300); do
              for p in /proc/[0-9]*; do grep -qs '\(marker)' $p/environ && break 2; done
              sleep 0.1
            done
            kill -9 $pid; wait $pid; echo status=$?
            """
        let killed = try bash(script)
        XCTAssertTrue(killed.contains("status=137"), "the build was not killed mid-RUN: \(killed)")

        // The guard acts at once; give it a moment (polled, not a timed assertion).
        var left: (processes: [Int32], runtimes: [Int32], mounts: Int) = ([], [], 0)
        for _ in 0..<100 {
            left = (HostState.processes(withEnvironment: marker), HostState.processes(withCommandLine: store.path), HostState.mounts(under: tmp))
            if left.processes.isEmpty && left.runtimes.isEmpty && left.mounts == 0 { break }
            usleep(100_000)
        }
        XCTAssertEqual(left.processes, [], "the killed step's process still runs")
        XCTAssertEqual(left.runtimes, [], "a runtime or network process of the killed build still runs")
        XCTAssertEqual(left.mounts, 0, "the killed step's overlay is still mounted under \(tmp)")
        let bundles = (try FileManager.default.contentsOfDirectory(atPath: tmpdir.path)).filter { $0.hasPrefix("kiln-bundle") }
        XCTAssertEqual(bundles, [], "a bundle outside the store")
        // Nothing under the store holds the step's command line any more.
        let grep = try bash("grep -rl '\(marker)' '\(store.path)' 2>/dev/null; echo done")
        XCTAssertEqual(grep, "done\n", "the step's config.json is still in the store")

        try Data("FROM base\nRUN echo next\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let next = try KilnProcess.run(["build", "-q", "--root", store.path, "--build-context", base, context.path])
        XCTAssertEqual(next.status, 0, next.stderr)
        let check = try KilnProcess.run(["system", "check", "--root", store.path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    /// `bash -c script`, output to a file (a process the script leaves running cannot hold a pipe
    /// open), waited for with `waitpid` (``bashThroughFile``: Foundation's Process can miss the exit).
    private func bash(_ script: String) throws -> String {
        bashThroughFile(script).output
    }
}
