import Containers
import Foundation
import ImageStore
import XCTest

/// The container records of a store, through the Containers module (no kiln binary, no runtime).
final class ContainerStoreTests: XCTestCase {
    var root: URL!
    var location: StoreLocation { StoreLocation(root: root) }
    var containers: ContainerStore { ContainerStore(location: location) }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("containers-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    func record(_ name: String, id: String = newContainerID(), created: Date = Date(), autoRemove: Bool = false) -> ContainerRecord {
        ContainerRecord(id: id, name: name, image: "busybox", imageID: "sha256:" + String(repeating: "a", count: 64),
                        created: created, path: "sh", args: ["-c", "echo hi there"], workingDir: "", user: "",
                        tty: false, interactive: false, autoRemove: autoRemove, readOnly: false, network: "none",
                        ports: [], binds: [], stopSignal: "SIGTERM", healthcheck: nil, lowerDirs: [])
    }

    func testCreateWritesRecordAndCreatedState() throws {
        let stored = try containers.create(record("web"))
        XCTAssertEqual(try containers.record(stored.id).name, "web")
        XCTAssertEqual(containers.state(stored.id).status, "created")
        for sub in ["upper", "work", "rootfs"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: containers.folder(stored.id).appendingPathComponent(sub).path), sub)
        }
        XCTAssertEqual(stored.listCommand, "sh -c 'echo hi there'")
    }

    func testFindByIDNameSlashNameAndUniquePrefix() throws {
        let stored = try containers.create(record("web", id: "abc123" + String(repeating: "0", count: 58)))
        try containers.create(record("db", id: "abd456" + String(repeating: "0", count: 58)))
        XCTAssertEqual(try containers.find(stored.id).name, "web")
        XCTAssertEqual(try containers.find("web").id, stored.id)
        XCTAssertEqual(try containers.find("/web").id, stored.id)
        XCTAssertEqual(try containers.find("abc").id, stored.id)
        XCTAssertNil(containers.lookup("ab"))
    }

    func testFindFailsWithDockersMessages() throws {
        try containers.create(record("one", id: "ff01" + String(repeating: "0", count: 60)))
        try containers.create(record("two", id: "ff02" + String(repeating: "0", count: 60)))
        XCTAssertThrowsError(try containers.find("ff0")) { error in
            XCTAssertEqual(error as? ContainerError, ContainerError("multiple IDs found with provided prefix: ff0", status: 1))
        }
        XCTAssertThrowsError(try containers.find("nothere")) { error in
            XCTAssertEqual(error as? ContainerError, ContainerError("No such container: nothere", status: 1))
        }
    }

    func testNameConflictIsStatus125AndKeepsTheFirst() throws {
        let first = try containers.create(record("web"))
        XCTAssertThrowsError(try containers.create(record("web"))) { error in
            let error = error as? ContainerError
            XCTAssertEqual(error?.status, 125)
            XCTAssertTrue(error?.message.hasPrefix("Conflict. The container name \"/web\" is already in use by container \"\(first.id)\"") ?? false)
        }
        XCTAssertEqual(containers.all().map(\.id), [first.id])
    }

    func testGeneratedNameIsChosenAgainWhenTaken() throws {
        let first = try containers.create(record("brave_curie"))
        let second = try containers.create(record("brave_curie"), nameGenerated: true)
        XCTAssertNotEqual(second.name, first.name)
        XCTAssertEqual(try containers.record(second.id).name, second.name)
    }

    func testAllIsNewestFirst() throws {
        let old = try containers.create(record("old", created: Date(timeIntervalSince1970: 1_000)))
        let new = try containers.create(record("new", created: Date(timeIntervalSince1970: 2_000)))
        XCTAssertEqual(containers.all().map(\.id), [new.id, old.id])
    }

    func testRunningStateWithAGoneMonitorShowsExited() throws {
        let stored = try containers.create(record("web"))
        // A child that has ended and been reaped: its pid names no process.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        containers.update(stored.id) { state in
            state.status = "running"
            state.monitorPID = child.processIdentifier
        }
        let state = containers.state(stored.id)
        XCTAssertEqual(state.status, "exited")
        XCTAssertEqual(state.exitCode, 255)
    }

    func testRemoveDeletesTheFolder() throws {
        let stored = try containers.create(record("web"))
        try ContainerControl(location: location).remove(stored, force: false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: containers.folder(stored.id).path))
        XCTAssertNil(containers.lookup("web"))
    }

    func testRunningContainerIsRemovedOnlyWithForce() throws {
        let stored = try containers.create(record("web"))
        containers.update(stored.id) { state in
            state.status = "running"
            state.monitorPID = getpid()  // alive: this test process
        }
        XCTAssertThrowsError(try ContainerControl(location: location).remove(stored, force: false)) { error in
            XCTAssertEqual((error as? ContainerError)?.message,
                           "cannot remove container \"/web\": container is running: stop the container before removing or force remove")
        }
        XCTAssertNotNil(containers.lookup("web"))
    }

    func testStopRefusesAnInvalidSignalAndAnExitedRmContainerCannotStart() throws {
        let stored = try containers.create(record("web", autoRemove: true))
        let control = ContainerControl(location: location)
        XCTAssertThrowsError(try control.stop(stored, signal: "SIGNOPE", timeout: 1)) { error in
            XCTAssertEqual(error as? ContainerError, ContainerError("invalid signal: SIGNOPE", status: 1))
        }
        containers.update(stored.id) { $0.status = "exited" }
        XCTAssertThrowsError(try control.start(stored)) { error in
            XCTAssertEqual((error as? ContainerError)?.message, "container \(stored.shortID) was started with --rm and cannot be restarted")
        }
    }

    func testNetworkHookWithoutAPidFails() throws {
        XCTAssertThrowsError(try NetworkHook.attach(location: location, id: "x", runtimeState: Data("{}".utf8))) { error in
            XCTAssertEqual(error as? ContainerError, ContainerError("kiln __network-hook: no container pid in the runtime state", status: 1))
        }
    }
}
