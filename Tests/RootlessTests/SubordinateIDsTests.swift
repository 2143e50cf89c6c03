import ContainerRuntime
import XCTest

/// Parsing /etc/subuid-style files and planning the rootless user namespace's maps.
final class SubordinateIDsTests: XCTestCase {
    let file = """
    # comment
    alice:100000:65536
    1001:165536:65536
    broken line
    bob:x:5
    carol:300000:0
    """

    func testRangeByNameOrNumericID() {
        XCTAssertEqual(SubordinateIDs.range(in: file, name: "alice", id: 1000), .init(start: 100000, count: 65536))
        XCTAssertEqual(SubordinateIDs.range(in: file, name: "dave", id: 1001), .init(start: 165536, count: 65536))
    }

    func testNoRangeForUnknownMalformedOrEmpty() {
        XCTAssertNil(SubordinateIDs.range(in: file, name: "bob", id: 1002))
        XCTAssertNil(SubordinateIDs.range(in: file, name: "carol", id: 1003))
        XCTAssertNil(SubordinateIDs.range(in: file, name: nil, id: 4242))
        XCTAssertNil(SubordinateIDs.range(in: "", name: "alice", id: 1000))
    }

    func testMappingsPutTheUserAtZeroAndTheRangeAfter() {
        let ranged = SubordinateIDs.mappings(id: 1000, range: .init(start: 100000, count: 65536))
        XCTAssertEqual(SubordinateIDs.helperArguments(ranged), ["0", "1000", "1", "1", "100000", "65536"])
        XCTAssertEqual(SubordinateIDs.helperArguments(SubordinateIDs.mappings(id: 1000, range: nil)), ["0", "1000", "1"])
    }

    func testNamespaceMapCoverage() {
        let host = UserNamespaceMap(uids: UserNamespaceMap.parse("         0          0 4294967295\n"), gids: [])
        XCTAssertTrue(host.isInitial)
        let single = UserNamespaceMap(uids: UserNamespaceMap.parse("0 1000 1\n"), gids: UserNamespaceMap.parse("0 1000 1\n"))
        XCTAssertFalse(single.isInitial)
        XCTAssertTrue(single.mapsGroup(0))
        XCTAssertFalse(single.mapsGroup(5))
        let ranged = UserNamespaceMap(uids: UserNamespaceMap.parse("0 1000 1\n1 100000 65536\n"),
                                      gids: UserNamespaceMap.parse("0 1000 1\n1 100000 65536\n"))
        XCTAssertTrue(ranged.mapsGroup(5))
        XCTAssertTrue(ranged.mapsUser(65536))
        XCTAssertFalse(ranged.mapsUser(65537))
    }

    func testStateFromTheEnvironment() {
        XCTAssertEqual(UserNamespaceEntry.state(environment: ["_KILN_USERNS": "range"]), .inside(ranged: true))
        XCTAssertEqual(UserNamespaceEntry.state(environment: ["_KILN_USERNS": "single"]), .inside(ranged: false))
        XCTAssertEqual(UserNamespaceEntry.state(environment: ["_KILN_USERNS": "unavailable:EPERM"]), .unavailable("EPERM"))
    }
}

/// `kiln build --isolation`: auto picks what works, an unavailable one is refused, never degraded.
final class IsolationTests: XCTestCase {
    func testAutoPicksTheStrongestAvailable() {
        XCTAssertEqual(try Isolation.resolve("auto", state: .hostRoot).get(), .oci)
        XCTAssertEqual(try Isolation.resolve("auto", state: .inside(ranged: true)).get(), .rootless)
        // Neither oci nor rootless works (an unprivileged container): auto falls back to chroot and says why.
        XCTAssertEqual(try Isolation.resolve("auto", state: .unavailable("EPERM")).get(), .chroot)
        XCTAssertTrue(Isolation.autoChrootLine(state: .unavailable("EPERM")).contains("neither oci nor rootless works here"))
        XCTAssertTrue(Isolation.autoChrootLine(state: .unavailable("EPERM")).contains("EPERM"))
    }

    func testUnavailableIsRefused() {
        XCTAssertThrowsError(try Isolation.resolve("oci", state: .inside(ranged: false)).get()) { error in
            XCTAssertTrue("\(error)".contains("needs root"), "\(error)")
        }
        XCTAssertThrowsError(try Isolation.resolve("rootless", state: .unavailable("EPERM")).get())
        // chroot is there whenever asked for, root included.
        XCTAssertEqual(try Isolation.resolve("chroot", state: .hostRoot).get(), .chroot)
        XCTAssertEqual(try Isolation.resolve("chroot", state: .inside(ranged: false)).get(), .chroot)
        XCTAssertThrowsError(try Isolation.resolve("vm", state: .hostRoot).get())
        XCTAssertEqual(try Isolation.resolve("rootless", state: .inside(ranged: true)).get(), .rootless)
    }
}
