import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ContainerRunnerTests: RuntimeTestCase {
    func testEchoOutputIsCaptured() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["echo", "hi"], in: root.rootfs)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "hi\n")
    }

    func testExitStatusAndStderrMerged() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["sh", "-c", "echo out; echo err >&2; exit 3"], in: root.rootfs)
        XCTAssertEqual(result.status, 3)
        // runc copies the two streams through separate pipes, so their relative order may vary.
        XCTAssertEqual(result.output.split(separator: "\n").sorted(), ["err", "out"])
    }

    /// A stdout line written in pieces with stderr lines between them stays one line.
    func testLinesOfStdoutAndStderrStayWhole() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let script = "for i in 1 2 3 4 5; do printf 'out-'; echo err-$i >&2; sleep 0.01; echo line-$i; done"
        let result = try await runner.run(["sh", "-c", script], in: root.rootfs)
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("out-") }, (1...5).map { "out-line-\($0)" }, result.output)
        XCTAssertEqual(lines.filter { $0.hasPrefix("err-") }, (1...5).map { "err-\($0)" }, result.output)
        XCTAssertEqual(lines.count, 10, result.output)
    }

    func testMinimalDevAndEtcFiles() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let script = "ls /dev | tr '\\n' ' '; echo; ls -ld /dev/fd /dev/ptmx /dev/stdout | awk '{print $(NF-2), $(NF-1), $NF}'; cat /etc/hostname; hostname; "
            + "mount | grep -c ' /sys .*ro,'; echo hi > /dev/null && head -c 4 /dev/zero | wc -c"
        let result = try await runner.run(["sh", "-c", script], in: root.rootfs)
        XCTAssertEqual(result.status, 0, result.output)
        let lines = result.output.split(separator: "\n").map(String.init)
        let devices = Set(lines.first?.split(separator: " ").map(String.init) ?? [])
        for name in ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "ptmx", "fd", "stdin", "stdout", "stderr"] {
            XCTAssertTrue(devices.contains(name), "missing /dev/\(name) in \(devices.sorted())")
        }
        XCTAssertEqual(Array(lines.dropFirst()), ["/dev/fd -> /proc/self/fd", "/dev/ptmx -> pts/ptmx", "/dev/stdout -> /proc/self/fd/1", "buildkitsandbox", "buildkitsandbox", "1", "4"])
    }

    func testMissingExecutableReportsTheRuntimesError() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["no-such-command"], in: root.rootfs)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("executable file not found"), result.output)
    }

    func testTerminal() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["tty"], in: root.rootfs) { $0.terminal = true }
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.hasPrefix("/dev/pts/"), result.output)
    }

    func testDetectRefusesAMissingPreferredRuntime() {
        XCTAssertThrowsError(try OCIRuntime.detect(preferred: "/nonexistent/runc")) { error in
            XCTAssertEqual((error as? ContainerRuntimeError)?.kind, .noRuntime)
        }
    }

    func testDetectFindsRuncByName() throws {
        let found = try OCIRuntime.detect(preferred: "runc")
        XCTAssertEqual(found.name, "runc")
    }
}
