import ContainerRuntime
import Foundation
import XCTest

final class UserResolverTests: XCTestCase {
    private var rootfs: String!

    override func setUpWithError() throws {
        rootfs = try Fixture.scratch("users")
        try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n# comment\nweb:x:33:33::/:/bin/sh\n"
            .write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\napp:x:1000:\nstaff:x:50:app,web\naudio:x:29:app\nweb:x:33:\n"
            .write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        if let rootfs { try? FileManager.default.removeItem(atPath: rootfs) }
    }

    private func resolve(_ user: String) throws -> UserSpec { try UserResolver.resolve(user, rootfs: rootfs) }

    func testDockerSemantics() throws {
        XCTAssertEqual(try resolve(""), UserSpec(uid: 0, gid: 0, additionalGids: []))
        XCTAssertEqual(try resolve("app"), UserSpec(uid: 1000, gid: 1000, additionalGids: [50, 29]))
        XCTAssertEqual(try resolve("1000"), UserSpec(uid: 1000, gid: 1000, additionalGids: [50, 29]))
        XCTAssertEqual(try resolve("4242"), UserSpec(uid: 4242, gid: 0, additionalGids: []))
        XCTAssertEqual(try resolve("app:staff"), UserSpec(uid: 1000, gid: 50, additionalGids: []))
        XCTAssertEqual(try resolve("app:77"), UserSpec(uid: 1000, gid: 77, additionalGids: []))
        XCTAssertEqual(try resolve("1000:33"), UserSpec(uid: 1000, gid: 33, additionalGids: []))
        XCTAssertEqual(try resolve("5:web"), UserSpec(uid: 5, gid: 33, additionalGids: []))
    }

    // CVE-2023-25173 (containerd/moby fix, followed by BuildKit: frontend/dockerfile
    // testUserAdditionalGids): with no USER the process is root with root's supplementary
    // groups from /etc/group, exactly as `USER root` or `USER 0`.
    func testNoUserGetsRootsSupplementaryGroups() throws {
        try "root:x:0:\nwheel:x:10:root\nstaff:x:50:app,web\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        XCTAssertEqual(try resolve(""), UserSpec(uid: 0, gid: 0, additionalGids: [10]))
        XCTAssertEqual(try resolve("root"), UserSpec(uid: 0, gid: 0, additionalGids: [10]))
        XCTAssertEqual(try resolve("0"), UserSpec(uid: 0, gid: 0, additionalGids: [10]))
        XCTAssertEqual(try resolve("0:0"), UserSpec(uid: 0, gid: 0, additionalGids: []))
        // No passwd file (scratch): plain root.
        try FileManager.default.removeItem(atPath: rootfs + "/etc/passwd")
        XCTAssertEqual(try resolve(""), UserSpec(uid: 0, gid: 0, additionalGids: []))
    }

    func testUnknownNamesUseDockersMessages() {
        XCTAssertThrowsError(try resolve("nobody")) { error in
            XCTAssertEqual("\(error)", "unable to find user nobody: no matching entries in passwd file")
        }
        XCTAssertThrowsError(try resolve("app:wheel")) { error in
            XCTAssertEqual("\(error)", "unable to find group wheel: no matching entries in group file")
        }
    }

    func testSymlinkedPasswdStaysInsideRootfs() throws {
        // /etc/passwd -> /../../../../etc/passwd must resolve inside rootfs, not to the host's file.
        let other = try Fixture.scratch("users-other")
        defer { try? FileManager.default.removeItem(atPath: other) }
        try FileManager.default.createDirectory(atPath: other + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: other + "/etc/passwd", withDestinationPath: "/../../../../../etc/passwd")
        XCTAssertThrowsError(try UserResolver.resolve("root", rootfs: other))
        try FileManager.default.createDirectory(atPath: other + "/data", withIntermediateDirectories: true)
        try "root:x:0:7::/:/bin/sh\n".write(toFile: other + "/data/pw", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: other + "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: other + "/etc/passwd", withDestinationPath: "../../../data/pw")
        XCTAssertEqual(try UserResolver.resolve("root", rootfs: other), UserSpec(uid: 0, gid: 7, additionalGids: []))
    }
}
