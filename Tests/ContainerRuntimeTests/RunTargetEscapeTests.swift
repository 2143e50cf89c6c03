import ContainerRuntime
import Foundation
import XCTest

/// `kiln run -w DIR` and `-v SRC:DST` (the spec's cwd and bind mounts) through symlinks planted in
/// the image (to `/..`, `../../../../..`, a host canary directory, /proc/self/root): the working
/// directory and mount targets are made inside the rootfs, never on the host.
final class RunTargetEscapeTests: RuntimeTestCase {
    func testWorkdirAndVolumeTargetsStayInsideTheRootfs() async throws {
        let id = UUID().uuidString
        let canary = "/tmp/kiln-run-canary-\(id)"
        let volume = try Fixture.scratch("volume")
        try FileManager.default.createDirectory(atPath: canary, withIntermediateDirectories: true)
        try Data("v\n".utf8).write(to: URL(fileURLWithPath: volume + "/file"))
        defer {
            try? FileManager.default.removeItem(atPath: canary)
            try? FileManager.default.removeItem(atPath: volume)
            try? FileManager.default.removeItem(atPath: "/kiln-run-\(id)")
        }
        for user in [UserSpec.root, UserSpec(uid: 1234, gid: 1234, additionalGids: [])] {
            let root = try TestRoot(lowerDirs: try Fixture.layers())
            defer { root.tearDown() }
            let links = ["l-up": "/..", "l-dots": "../../../../..", "l-host": canary, "l-self": "/proc/self/root"]
            for (name, target) in links {
                try FileManager.default.createSymbolicLink(atPath: root.rootfs + "/" + name, withDestinationPath: target)
            }
            let result = try await runner.run(["sh", "-c", "pwd; cat /kiln-run-\(id)/v/file \(canary)/v/file"], in: root.rootfs) { spec in
                spec.cwd = "/l-dots/kiln-run-\(id)/wd"
                spec.user = user
                spec.mounts = [
                    BindMount(source: volume, target: "/l-up/kiln-run-\(id)/v", readOnly: true),
                    BindMount(source: volume, target: "/l-host/v", readOnly: true),
                ]
            }
            XCTAssertEqual(result.status, 0, result.output)
            XCTAssertEqual(result.output, "/kiln-run-\(id)/wd\nv\nv\n")
            var info = stat()
            XCTAssertEqual(lstat(root.upper + "/kiln-run-\(id)/wd", &info), 0, "the working directory is made in the image")
            XCTAssertEqual(lstat(root.upper + canary + "/v", &info), 0, "the canary path is a path inside the image")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/kiln-run-\(id)"), "created on the host")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: canary), [], "the host canary changed")
        }
    }
}
