import Foundation
import TestVectors
import XCTest

/// Issue 14: a SIGKILLed foreground `kiln run` left its container running while `kiln ps` said it had
/// exited (and `rm` then failed on the still-mounted root filesystem). A container now lives no longer
/// than the foreground `kiln run` that runs it: its death guard kills and deletes the container and unmounts
/// its root filesystem and network namespace file, so what `ps` says is true. The same holds for the
/// monitor of a detached container (`kiln __monitor`, Docker's shim): its death takes the container with it.
final class KilledRunTests: RunTestCase {
    func testSIGKILLedForegroundRunTakesItsContainerWithIt() throws {
        let marker = "kiln-fg-\(UUID().uuidString.prefix(8))"
        let pid = spawn("exec env \(kiln) run --name fg -e MARK=\(marker) \(Self.busybox) sleep 300 >/dev/null 2>&1 </dev/null")
        started.append("fg")
        XCTAssertTrue(waitFor("fg", in: "\(kiln) ps --format '{{.Names}}'").contains("fg"), "the container never ran")
        XCTAssertFalse(HostState.processes(withEnvironment: marker).isEmpty, "the container's process is not visible")
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        assertContainerGone("fg", marker: marker, exitCode: 137)
    }

    func testSIGKILLedMonitorOfADetachedContainerTakesItsContainerWithIt() throws {
        let marker = "kiln-bg-\(UUID().uuidString.prefix(8))"
        check("\(kiln) run -d --name bg -e MARK=\(marker) \(Self.busybox) sleep 300")
        started.append("bg")
        XCTAssertFalse(HostState.processes(withEnvironment: marker).isEmpty, "the container's process is not visible")
        let id = check("\(kiln) inspect --format '{{.Id}}' bg").trimmingCharacters(in: .whitespacesAndNewlines)
        // `kiln __monitor --root STORE ID` (not its guard, a shell whose script names the same).
        let monitors = HostState.processes { pid in
            let argv = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")?.split(separator: 0).map { String(decoding: $0, as: UTF8.self) } ?? []
            return argv.count > 1 && argv[1] == "__monitor" && argv.last == id
        }
        XCTAssertEqual(monitors.count, 1, "no single monitor process for container \(id)")
        for monitor in monitors { kill(monitor, SIGKILL) }
        assertContainerGone("bg", marker: marker, exitCode: 137)
    }

    /// The second layer: should the guards themselves be gone too (killed with the monitor), `ps` reports the
    /// container exited and `rm` reaps what was left (the container, its network helper, its mount).
    func testRmReapsAContainerWhoseMonitorAndGuardsWereKilled() throws {
        let marker = "kiln-orphan-\(UUID().uuidString.prefix(8))"
        check("\(kiln) run -d --name orphan -e MARK=\(marker) \(Self.busybox) sleep 300")
        started.append("orphan")
        let id = check("\(kiln) inspect --format '{{.Id}}' orphan").trimmingCharacters(in: .whitespacesAndNewlines)
        let supervisors = HostState.processes { pid in
            let argv = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")?.split(separator: 0).map { String(decoding: $0, as: UTF8.self) } ?? []
            return argv.contains(id) && (argv.contains("kiln-guard") || (argv.count > 1 && argv[1] == "__monitor"))
        }
        XCTAssertEqual(supervisors.count, 3, "expected the monitor and its two guards")
        // Stopped first, all of them, so no guard can see the monitor's death (and do its job) before
        // it is killed too; then killed.
        for pid in supervisors { kill(pid, SIGSTOP) }
        for pid in supervisors { kill(pid, SIGKILL) }
        XCTAssertFalse(HostState.processes(withEnvironment: marker).isEmpty, "the container died with its supervisors: nothing to reap")
        XCTAssertTrue(waitFor("orphan Exited", in: "\(kiln) ps -a --format '{{.Names}} {{.Status}}'").contains("orphan Exited"))
        check("\(kiln) rm orphan")
        XCTAssertEqual(HostState.processes(withEnvironment: marker), [], "rm left the orphaned container running")
        XCTAssertEqual(HostState.mounts(under: storeRoot.path), 0, "rm left the container's root filesystem mounted")
        XCTAssertEqual(HostState.processes(withCommandLine: storeRoot.path), [], "rm left a runtime or network process of the store")
    }

    /// The container's process is gone, `ps` lists it as exited only, nothing stays mounted, and a plain
    /// `rm` (no -f) removes it.
    private func assertContainerGone(_ name: String, marker: String, exitCode: Int? = nil,
                                     file: StaticString = #filePath, line: UInt = #line) {
        // The guard acts as soon as kiln is gone; give it a moment (polled, not a timed assertion).
        var left: [Int32] = []
        for _ in 0..<200 {
            left = HostState.processes(withEnvironment: marker)
            if left.isEmpty && HostState.mounts(under: storeRoot.path) == 0 { break }
            usleep(100_000)
        }
        XCTAssertEqual(left, [], "the killed kiln's container still runs", file: file, line: line)
        XCTAssertEqual(HostState.mounts(under: storeRoot.path), 0, "the container's root filesystem is still mounted", file: file, line: line)
        XCTAssertEqual(check("\(kiln) ps -q", file: file, line: line), "", "ps lists the container as running", file: file, line: line)
        XCTAssertTrue(check("\(kiln) ps -a --format '{{.Names}} {{.Status}}'", file: file, line: line).contains("\(name) Exited"),
                      "ps -a does not show the container as exited", file: file, line: line)
        if let exitCode {
            // The guard recorded the end: killed with SIGKILL, and why.
            let state = check("\(kiln) inspect --format '{{.State.ExitCode}} {{.State.Error}}' \(name)", file: file, line: line)
            XCTAssertTrue(state.hasPrefix("\(exitCode) "), "recorded end: \(state)", file: file, line: line)
            XCTAssertTrue(state.contains("was killed"), "no State.Error saying why: \(state)", file: file, line: line)
        }
        check("\(kiln) rm \(name)", file: file, line: line)
        XCTAssertEqual(check("\(kiln) ps -a -q", file: file, line: line), "", file: file, line: line)
        // Nothing of the store's runtime state runs on (runc and its container).
        XCTAssertEqual(HostState.processes(withCommandLine: storeRoot.path), [], "a runtime process of the store still runs", file: file, line: line)
    }
}
