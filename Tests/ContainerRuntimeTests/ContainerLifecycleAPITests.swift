import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `ContainerRunner.start` / `state` / `signal` / `exec` / createRuntime hooks: what `kiln run`'s
/// monitor builds on.
final class ContainerLifecycleAPITests: RuntimeTestCase {
    func testStartStateExecSignal() throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let bundles = try Fixture.scratch("bundles")
        defer { try? FileManager.default.removeItem(atPath: bundles) }
        let id = "kiln-test-\(UUID().uuidString.prefix(12))"
        let spec = ContainerSpec(rootfs: root.rootfs, args: ["sh", "-c", "trap 'exit 5' TERM; while true; do sleep 1; done"],
                                 env: ContainerSpec.defaultEnv + ["SECRET=kept-in-memory"], network: .none)
        let started = try runner.start(spec, id: id, bundleParent: bundles)
        let pid = started.waitUntilRunning()
        XCTAssertNotNil(pid)
        XCTAssertEqual(runner.state(id)?.status, "running")
        XCTAssertEqual(runner.state(id)?.pid, pid)
        // config.json was a pipe: no file in the bundle holds the environment.
        let grep = try ChildRun.run("/bin/grep", ["-r", "-l", "kept-in-memory", bundles])
        XCTAssertEqual(grep, 1)
        // exec: its own process document, same pipe mechanism; the exit status is the process's.
        let out = try DetachedProcess.pipe()
        let status = try runner.exec(id, ExecProcess(args: ["sh", "-c", "echo $SECRET; exit 4"], env: spec.env, cwd: "/tmp",
                                                     user: .root, terminal: false), stdout: out.write, stderr: out.write)
        close(out.write)
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(out.read, &buffer, buffer.count)
        close(out.read)
        XCTAssertEqual(status, 4)
        XCTAssertEqual(String(decoding: buffer[0..<max(0, count)], as: UTF8.self), "kept-in-memory\n")
        XCTAssertTrue(runner.signal(id, SIGTERM))
        XCTAssertEqual(started.wait(), 5)
        XCTAssertNil(runner.state(id))
        XCTAssertFalse(runner.signal(id, SIGTERM))
    }

    func testCreateRuntimeHookSeesThePidBeforeTheProcessStarts() throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let bundles = try Fixture.scratch("bundles")
        defer { try? FileManager.default.removeItem(atPath: bundles) }
        let marker = bundles + "/hook-ran"
        var spec = ContainerSpec(rootfs: root.rootfs, args: ["true"], network: .none)
        // The hook gets the runtime state (with "pid") on stdin.
        spec.createRuntimeHooks = [["/bin/sh", "-c", "cat > '\(marker)'"]]
        let started = try runner.start(spec, id: "kiln-test-\(UUID().uuidString.prefix(12))", bundleParent: bundles)
        XCTAssertEqual(started.wait(), 0)
        let state = try String(contentsOfFile: marker, encoding: .utf8)
        XCTAssertTrue(state.contains("\"pid\""), state)
    }
}

/// Runs a host program to completion; its exit status.
enum ChildRun {
    static func run(_ path: String, _ arguments: [String]) throws -> Int32 {
        var pid: pid_t = 0
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status >> 8) & 0xff
    }
}
