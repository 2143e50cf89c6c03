import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ContainerIsolationTests: RuntimeTestCase {
    func testUserFromPasswdInAnUpperLayer() async throws {
        let extra = try Fixture.scratch("passwd-layer")
        defer { try? FileManager.default.removeItem(atPath: extra) }
        let base = try Fixture.layers()
        try FileManager.default.createDirectory(atPath: extra + "/etc", withIntermediateDirectories: true)
        let passwd = try String(contentsOfFile: base[0] + "/etc/passwd", encoding: .utf8) + "app:x:1000:1000::/home/app:/bin/sh\n"
        try passwd.write(toFile: extra + "/etc/passwd", atomically: true, encoding: .utf8)
        let root = try TestRoot(lowerDirs: base + [extra])
        defer { root.tearDown() }
        let user = try UserResolver.resolve("app", rootfs: root.rootfs)
        XCTAssertEqual(user.uid, 1000)
        let result = try await runner.run(["id"], in: root.rootfs) { $0.user = user }
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.output.hasPrefix("uid=1000(app) gid=1000"), result.output)
    }

    func testWritesLandInUpperOnlyAndMountpointsAreCleaned() async throws {
        let layers = try Fixture.layers()
        let root = try TestRoot(lowerDirs: layers)
        defer { root.tearDown() }
        let spec = ContainerSpec(rootfs: root.rootfs, args: ["sh", "-c", "echo data > /new.txt && cat /etc/hosts"])
        let created = ContainerRunner.missingMountpoints(spec)
        let collector = OutputCollector()
        let status = try await runner.run(spec, id: "kiln-test-upper", stdin: nil) { collector.append($0) }
        XCTAssertEqual(status, 0)
        XCTAssertTrue(collector.text.contains("127.0.0.1\tlocalhost buildkitsandbox"), collector.text)
        XCTAssertEqual(try String(contentsOfFile: root.upper + "/new.txt", encoding: .utf8), "data\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layers.last! + "/new.txt"))
        try root.mount.unmount()
        ContainerRunner.cleanMountpoints(upperDir: root.upper, lowerDirs: layers, created: created)
        let left = try FileManager.default.contentsOfDirectory(atPath: root.upper).sorted()
        XCTAssertEqual(left, ["new.txt"], "created mountpoints were \(created)")
        // The copied-up /etc (only its mtime changed) went too, so the lower /etc shows through.
        XCTAssertTrue(created.contains("/etc/hosts"))
    }

    func testRunStepLeavesOnlyTheStepsChanges() async throws {
        let layers = try Fixture.layers()
        let base = try Fixture.scratch("step")
        defer { try? FileManager.default.removeItem(atPath: base) }
        for name in ["upper", "work", "merged"] {
            try FileManager.default.createDirectory(atPath: base + "/" + name, withIntermediateDirectories: true)
        }
        let status = try await runner.runStep(lowerDirs: layers, upperDir: base + "/upper", workDir: base + "/work",
                                              mountTarget: base + "/merged", id: "kiln-test-step", makeSpec: { rootfs in
            ContainerSpec(rootfs: rootfs, args: ["sh", "-c", "mkdir -p /app && echo x > /app/file && rm /bin/ls"])
        }, output: { _ in })
        XCTAssertEqual(status, 0)
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: base + "/upper").sorted(),
                       ["app", "app/file", "bin", "bin/ls"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/merged"), [], "unmounted")
    }

    func testNetworkNoneHasOnlyLoopback() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let script = "ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
        let isolated = try await runner.run(["sh", "-c", script], in: root.rootfs) { $0.network = .none }
        XCTAssertEqual(isolated.status, 0)
        XCTAssertEqual(isolated.output, "lo\nlo\n")
        let shared = try await runner.run(["sh", "-c", script], in: root.rootfs) { $0.network = .host }
        XCTAssertNotEqual(shared.output, "lo\nlo\n", "host networking should show the host's interfaces")
    }

    func testCancellationKillsTheContainer() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let runner = self.runner
        let rootfs = root.rootfs
        let started = Date()
        let task = Task { try await runner.run(["sleep", "60"], in: rootfs) }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("expected CancellationError")
        } catch is CancellationError {}
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: state).filter { !$0.hasPrefix(".") }, [])
    }

    func testKilledByASignalReports128PlusSignal() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let runner = self.runner
        let spec = ContainerSpec(rootfs: root.rootfs, args: ["sleep", "60"])
        let task = Task { try await runner.run(spec, id: "kiln-test-signal", stdin: nil) { _ in } }
        var status: Int32 = -1
        for _ in 0..<50 where status != 0 {
            try await Task.sleep(nanoseconds: 100_000_000)
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: runtime.path)
            kill.arguments = ["--root", state, "kill", "kiln-test-signal", "KILL"]
            kill.standardError = FileHandle.nullDevice
            try kill.run()
            kill.waitUntilExit()
            status = kill.terminationStatus
        }
        let exit = try await task.value
        XCTAssertEqual(exit, 137)
    }

    func testSixtyLayersWithLongPaths() async throws {
        let base = try Fixture.layers()
        let parent = try Fixture.scratch("many-layers")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var layers = base
        for number in 0..<60 {
            let directory = parent + "/" + String(repeating: "long-layer-directory-name-", count: 3) + "\(number)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "\(number)\n".write(toFile: directory + "/layer-\(number)", atomically: true, encoding: .utf8)
            try "\(number)\n".write(toFile: directory + "/top", atomically: true, encoding: .utf8)
            layers.append(directory)
        }
        let root = try TestRoot(lowerDirs: layers)
        defer { root.tearDown() }
        let result = try await runner.run(["sh", "-c", "cat /top /layer-0 /layer-59"], in: root.rootfs)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "59\n0\n59\n")
    }
}
