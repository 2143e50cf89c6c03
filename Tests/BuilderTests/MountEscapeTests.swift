@testable import Builder
import Foundation
import XCTest

/// Mount ids, sources and targets can never reach outside the build's own directories (the issue:
/// "Attempts to escape through mount ids, sources and targets are refused with clear errors and
/// touch nothing outside the build's own directories").
final class MountEscapeTests: BuilderTestCase {
    private var hostProbe: String!

    override func setUp() async throws {
        try await super.setUp()
        hostProbe = "/tmp/kiln-escape-\(UUID().uuidString)"
    }

    override func tearDown() async throws {
        if let hostProbe { try? FileManager.default.removeItem(atPath: hostProbe) }
        try await super.tearDown()
    }

    func testCacheIDWithDotDotIsRefusedAtItsLine() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let error = try await buildError("FROM \(base)\nRUN --mount=type=cache,id=../../x,target=/c touch /c/f\n")
        XCTAssertEqual(error.range?.start.line, 2)
        XCTAssertTrue(error.message.contains("cache mount id \"../../x\""), error.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: service.store.location.stateDirectory.appendingPathComponent("x").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: CacheMounts.directory(stateDirectory: service.store.location.stateDirectory).path))
    }

    func testSourcesLeavingTheirRootAreRefused() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        for (line, mount) in [
            "type=bind,source=../..,target=/m",
            "type=bind,source=sub/../../etc,target=/m",
            "type=bind,from=stage,source=../../../etc,target=/m",
            "type=cache,from=stage,source=/../..,target=/m",
        ].enumerated().map({ ($0.offset, $0.element) }) {
            _ = line
            let error = try await buildError("FROM \(base) AS stage\nFROM \(base)\nRUN --mount=\(mount) ls /m\n")
            XCTAssertEqual(error.range?.start.line, 3, mount)
            XCTAssertTrue(error.message.contains("points outside its root"), "\(mount): \(error.message)")
        }
    }

    // A symlink in the context is resolved inside the context (as BuildKit resolves paths in a
    // snapshot), so it cannot show a host file.
    func testContextSymlinkCannotReachHostFiles() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try Data("host-only".utf8).write(to: URL(fileURLWithPath: hostProbe))
        try FileManager.default.createSymbolicLink(atPath: context.appendingPathComponent("escape").path, withDestinationPath: "/")
        let error = try await buildError("FROM \(base)\nRUN --mount=type=bind,source=escape\(hostProbe!),target=/m cat /m\n")
        XCTAssertEqual(error.range?.start.line, 2)
        XCTAssertTrue(error.message.contains("not found in the build context"), error.message)
    }

    // A target reached through a symlink an earlier RUN created stays inside the container's root:
    // the runtime resolves mount destinations within the rootfs (runc's securejoin), so nothing
    // is written to the host's /tmp.
    func testTargetThroughSymlinkStaysInsideTheRootfs() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base)
        RUN ln -s / /escape
        RUN --mount=type=cache,target=/escape\(hostProbe!) sh -c 'echo pwned > /escape\(hostProbe!)/f; cat /escape\(hostProbe!)/f'
        RUN --mount=type=tmpfs,target=/escape\(hostProbe!)-t touch /escape\(hostProbe!)-t/f
        RUN --mount=type=secret,id=s,target=/escape\(hostProbe!)-s cat /escape\(hostProbe!)-s
        RUN --mount=type=bind,target=/escape\(hostProbe!)-b,rw touch /escape\(hostProbe!)-b/f
        """
        let (_, lines) = try await build(dockerfile) { $0.secrets["s"] = Array("value".utf8) }
        XCTAssertTrue(outputLines(lines).contains("pwned"), lines.joined(separator: "\n"))
        for suffix in ["", "-t", "-s", "-b"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: hostProbe + suffix), hostProbe + suffix)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: context.appendingPathComponent("f").path))
    }
}
