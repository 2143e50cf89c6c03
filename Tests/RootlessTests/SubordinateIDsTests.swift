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

    /// The pod case: no OCI runtime in the image, and (default seccomp profile) no user namespace.
    func testAutoInAContainer() {
        let noRuntime = IsolationSupport(runtime: false, chrootProblem: nil)
        // Root or kiln's own namespace without runc: auto takes chroot and says why.
        XCTAssertEqual(try Isolation.resolve("auto", state: .inside(ranged: false), support: noRuntime).get(), .chroot)
        XCTAssertEqual(try Isolation.resolve("auto", state: .hostRoot, support: noRuntime).get(), .chroot)
        XCTAssertTrue(Isolation.autoChrootLine(state: .inside(ranged: false), support: noRuntime).contains("no OCI runtime"))
        XCTAssertThrowsError(try Isolation.resolve("rootless", state: .inside(ranged: true), support: noRuntime).get()) { error in
            XCTAssertTrue("\(error)".contains("no OCI runtime is installed"), "\(error)")
        }
        // No namespace and no capabilities: nothing works, and every choice is refused with what the pod needs.
        let problem = IsolationSupport.chrootProblem(forState: .unavailable("EPERM"), status: "CapEff:\t0000000000000000\n")
        XCTAssertNotNil(problem)
        let nothing = IsolationSupport(runtime: false, chrootProblem: problem)
        for requested in ["auto", "chroot"] {
            XCTAssertThrowsError(try Isolation.resolve(requested, state: .unavailable("EPERM"), support: nothing).get()) { error in
                XCTAssertTrue("\(error)".contains("seccomp=unconfined"), "\(error)")
                XCTAssertTrue("\(error)".contains("EPERM"), "\(error)")
            }
        }
    }

    func testChrootNeedsSysChrootAndSysAdmin() {
        // Docker's default set as root (no CAP_SYS_ADMIN): a00425fb.
        let problem = IsolationSupport.chrootProblem(forState: .hostRoot, status: "Name:\tkiln\nCapEff:\t00000000a80425fb\n")
        XCTAssertEqual(problem, "kiln lacks CAP_SYS_ADMIN (chroot and mount need them)")
        XCTAssertNil(IsolationSupport.chrootProblem(forState: .inside(ranged: false), status: "CapEff:\t000001ffffffffff\n"))
        XCTAssertEqual(IsolationSupport.effectiveCapabilities(status: "CapPrm:\t1\nCapEff:\t0000000000240000\n"), 0x240000)
    }
}
