@testable import ContainerRuntime
import Foundation
import XCTest

/// Docker's resource flags (`ResourceFlags`): its units, defaults and error texts; their OCI `linux.resources`
/// and `cgroupsPath` (`RuntimeConfig`); and where a rootless container's cgroup may go (`CgroupDelegation`,
/// on fake /proc/self/cgroup, mountinfo and cgroup directories: this machine runs cgroup v1).
final class ResourceLimitsTests: XCTestCase {
    private func limits(_ flags: ResourceFlags) throws -> ResourceLimits {
        try flags.limits(cpuCount: 2, onlineCPUs: "0-1", swapLimit: true)
    }

    private func error(_ flags: ResourceFlags, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let result = try limits(flags)
            XCTFail("accepted: \(result)", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testGoUnitsSizes() {
        let cases: [(String, Int64?)] = [
            ("32m", 32 << 20), ("32M", 32 << 20), ("32mb", 32 << 20), ("32MiB", 32 << 20), ("32 m", 32 << 20),
            ("1g", 1 << 30), ("1.5g", 3 << 29), ("7000000", 7_000_000), ("64k", 65536), ("64kb", 65536), ("10b", 10),
            ("abc", nil), ("-1", nil), ("", nil), ("1x", nil), ("m", nil),
        ]
        for (text, bytes) in cases { XCTAssertEqual(ResourceFlags.ramInBytes(text), bytes, text) }
    }

    func testMemoryDefaultsSwapToTwiceTheLimitAsDocker() throws {
        XCTAssertEqual(try limits(ResourceFlags(memory: "32m")), ResourceLimits(memory: 32 << 20, memorySwap: 64 << 20))
        XCTAssertEqual(try limits(ResourceFlags(memory: "32m", memorySwap: "-1")), ResourceLimits(memory: 32 << 20, memorySwap: -1))
        XCTAssertEqual(try limits(ResourceFlags(memory: "32m", memorySwap: "48m")), ResourceLimits(memory: 32 << 20, memorySwap: 48 << 20))
        XCTAssertEqual(try limits(ResourceFlags(memoryReservation: "16m")), ResourceLimits(memoryReservation: 16 << 20))
    }

    func testWithoutSwapAccountingMemoryGoesWithoutASwapLimit() throws {
        var warnings: [String] = []
        let limits = try ResourceFlags(memory: "32m").limits(cpuCount: 2, onlineCPUs: "0-1", swapLimit: false, warn: { warnings.append($0) })
        XCTAssertEqual(limits, ResourceLimits(memory: 32 << 20, memorySwap: -1))
        XCTAssertEqual(warnings, ["WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. "
            + "Memory limited without swap."])
        // -1 is left out of the OCI memory object (a fresh cgroup's default), so no swap file is written.
        XCTAssertEqual(limits.ociResources["memory"] as? [String: Int64], ["limit": 32 << 20])
        XCTAssertEqual(try ResourceFlags(memory: "32m").limits(cpuCount: 2, onlineCPUs: "0-1", swapLimit: true).memorySwap, 64 << 20)
    }

    func testCPUsSharesCpusetAndPids() throws {
        XCTAssertEqual(try limits(ResourceFlags(cpus: "0.5")).nanoCPUs, 500_000_000)
        XCTAssertEqual(try limits(ResourceFlags(cpus: "1.25")).nanoCPUs, 1_250_000_000)
        XCTAssertEqual(try limits(ResourceFlags(cpus: ".5")).nanoCPUs, 500_000_000)
        XCTAssertEqual(try limits(ResourceFlags(cpus: "2")).nanoCPUs, 2_000_000_000)
        XCTAssertEqual(try limits(ResourceFlags(cpuShares: "512")).cpuShares, 512)
        XCTAssertEqual(try limits(ResourceFlags(cpusetCpus: "0-1")).cpusetCpus, "0-1")
        XCTAssertEqual(try limits(ResourceFlags(cpusetCpus: "0,1")).cpusetCpus, "0,1")
        XCTAssertEqual(try limits(ResourceFlags(pidsLimit: "10")).pidsLimit, 10)
        // 0 and -1 are unlimited: Docker keeps no PidsLimit.
        XCTAssertEqual(try limits(ResourceFlags(pidsLimit: "-1")), .none)
        XCTAssertEqual(try limits(ResourceFlags(pidsLimit: "0")), .none)
    }

    func testDockerErrorTexts() {
        XCTAssertEqual(error(ResourceFlags(memory: "4m")), "Minimum memory limit allowed is 6MB")
        XCTAssertEqual(error(ResourceFlags(memory: "abc")), "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'")
        XCTAssertEqual(error(ResourceFlags(memorySwap: "10m")),
                       "You should always set the Memory limit when using Memoryswap limit, see usage")
        XCTAssertEqual(error(ResourceFlags(memory: "32m", memorySwap: "16m")),
                       "Minimum memoryswap limit should be larger than memory limit, see usage")
        XCTAssertEqual(error(ResourceFlags(memoryReservation: "1m")), "Minimum memory reservation allowed is 6MB")
        XCTAssertEqual(error(ResourceFlags(memory: "8m", memoryReservation: "16m")),
                       "Minimum memory limit can not be less than memory reservation limit, see usage")
        XCTAssertEqual(error(ResourceFlags(cpus: "3")), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available")
        XCTAssertEqual(error(ResourceFlags(cpus: "-1")), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available")
        XCTAssertEqual(error(ResourceFlags(cpus: "x")), "invalid argument \"x\" for \"--cpus\" flag: failed to parse x as a rational number")
        XCTAssertEqual(error(ResourceFlags(cpus: "0.0000000001")), "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise")
        XCTAssertEqual(error(ResourceFlags(cpusetCpus: "5")), "Requested CPUs are not available - requested 5, available: 0-1")
        XCTAssertEqual(error(ResourceFlags(cpusetCpus: "1-0")), "Invalid value 1-0 for cpuset cpus")
        XCTAssertEqual(error(ResourceFlags(cpuShares: "many")),
                       "invalid argument \"many\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"many\": invalid syntax")
        XCTAssertEqual(error(ResourceFlags(pidsLimit: "x")),
                       "invalid argument \"x\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"x\": invalid syntax")
    }

    func testOCIResourcesBesideTheDevicesRule() throws {
        var spec = ContainerSpec(rootfs: "/r", args: ["true"], etcFiles: EtcFiles.none)
        spec.resources = ResourceLimits(memory: 32 << 20, memorySwap: 64 << 20, memoryReservation: 16 << 20, nanoCPUs: 500_000_000,
                                        cpuShares: 512, cpusetCpus: "0", pidsLimit: 10)
        spec.cgroupsPath = "/kiln/abc"
        let linux = try XCTUnwrap(RuntimeConfig.document(spec, etcDirectory: "/etc-dir")["linux"] as? [String: Any])
        XCTAssertEqual(linux["cgroupsPath"] as? String, "/kiln/abc")
        let resources = try XCTUnwrap(linux["resources"] as? [String: Any])
        let json = String(decoding: try JSONSerialization.data(withJSONObject: resources, options: [.sortedKeys]), as: UTF8.self)
        XCTAssertEqual(json, #"{"cpu":{"cpus":"0","period":100000,"quota":50000,"shares":512},"devices":[{"access":"rwm","allow":false}],"#
            + #""memory":{"limit":33554432,"reservation":16777216,"swap":67108864},"pids":{"limit":10}}"#)
        // Without limits: only the devices rule and no cgroup path, as before.
        let plain = try XCTUnwrap(RuntimeConfig.document(ContainerSpec(rootfs: "/r", args: ["true"], etcFiles: EtcFiles.none),
                                                         etcDirectory: "/e")["linux"] as? [String: Any])
        XCTAssertNil(plain["cgroupsPath"])
        XCTAssertEqual((plain["resources"] as? [String: Any])?.keys.sorted(), ["devices"])
    }

    func testRootPutsTheContainerUnderKiln() throws {
        XCTAssertNil(try CgroupPlacement.path(for: "abc", limits: .none, rootless: false))
        XCTAssertEqual(try CgroupPlacement.path(for: "abc", limits: ResourceLimits(pidsLimit: 5), rootless: false), "/kiln/abc")
        // Rootless without limits: nothing changes, no cgroup is looked for.
        XCTAssertNil(try CgroupPlacement.path(for: "abc", limits: .none, rootless: true, delegation: { XCTFail("asked"); return .unavailable("") }))
    }

    // MARK: - Delegation (fake files)

    private final class FakeCgroups: @unchecked Sendable {
        var files: [String: String] = [:]
        var writable: Set<String> = []
        var directories: Set<String> = []
        var writes: [(String, String)] = []
        var host: CgroupDelegation.Host {
            CgroupDelegation.Host(read: { self.files[$0] }, writable: { self.writable.contains($0) },
                                  write: { path, text in self.writes.append((path, text)); self.files[path] = text; return true },
                                  makeDirectory: { self.directories.insert($0); return true })
        }
    }

    private let hybridCgroup = "4:memory:/user.slice\n1:cpu:/user.slice\n0::/user.slice/user-1000.slice/session-1.scope\n"
    private let hybridMounts = """
        30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        31 25 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
    private let scope = "/user.slice/user-1000.slice/user@1000.service/app.slice/kiln.scope"
    private var v2Mounts: String { "28 22 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n" }

    private func fake(cgroup: String, mounts: String) -> FakeCgroups {
        let fake = FakeCgroups()
        fake.files["/proc/self/cgroup"] = cgroup
        fake.files["/proc/self/mountinfo"] = mounts
        return fake
    }

    func testCgroupV1IsRefusedWithTheReason() {
        let fake = fake(cgroup: hybridCgroup, mounts: hybridMounts)
        XCTAssertEqual(CgroupDelegation.detect(host: fake.host), .unavailable("this machine has cgroup v1"))
        XCTAssertEqual(CgroupDelegation.detect(host: self.fake(cgroup: "2:cpu:/\n1:memory:/\n", mounts: "").host),
                       .unavailable("this machine has cgroup v1"))
        XCTAssertThrowsError(try CgroupPlacement.path(for: "abc", limits: ResourceLimits(memory: 32 << 20), rootless: true,
                                                      delegation: { CgroupDelegation.detect(host: fake.host) })) { error in
            XCTAssertEqual("\(error)", "resource limits need cgroup v2 with a delegated subtree; this machine has cgroup v1")
        }
    }

    func testAnUndelegatedCgroupIsRefused() {
        let fake = fake(cgroup: "0::/user.slice/user-1000.slice/session-3.scope\n", mounts: v2Mounts)
        guard case .unavailable(let reason) = CgroupDelegation.detect(host: fake.host) else { return XCTFail("delegated") }
        XCTAssertTrue(reason.hasPrefix("your cgroup /user.slice/user-1000.slice/session-3.scope is not writable by you"), reason)
    }

    func testMissingControllersAreNamed() {
        let fake = fake(cgroup: "0::\(scope)\n", mounts: v2Mounts)
        let dir = "/sys/fs/cgroup" + scope
        fake.writable = [dir, dir + "/cgroup.procs"]
        fake.files[dir + "/cgroup.controllers"] = "cpu io\n"
        XCTAssertEqual(CgroupDelegation.detect(host: fake.host), .unavailable(
            "the memory, pids controllers are not delegated to your cgroup \(scope) (its cgroup.controllers: cpu io)"))
    }

    func testOnlyTheControllersTheLimitsNeedMustBeDelegated() {
        let fake = fake(cgroup: "0::\(scope)\n", mounts: v2Mounts)
        let dir = "/sys/fs/cgroup" + scope
        fake.writable = [dir, dir + "/cgroup.procs"]
        fake.files[dir + "/cgroup.controllers"] = "pids\n"
        XCTAssertEqual(ResourceLimits(pidsLimit: 5).controllers, ["pids"])
        guard case .delegated = CgroupDelegation.detect(needed: ResourceLimits(pidsLimit: 5).controllers, host: fake.host) else {
            return XCTFail("a pids limit needs only the pids controller")
        }
        XCTAssertEqual(CgroupDelegation.detect(needed: ResourceLimits(memory: 8 << 20).controllers, host: fake.host),
                       .unavailable("the memory controller is not delegated to your cgroup \(scope) (its cgroup.controllers: pids)"))
    }

    func testADelegatedScopeGetsTheContainerBelowIt() throws {
        let fake = fake(cgroup: "0::\(scope)\n", mounts: v2Mounts)
        let dir = "/sys/fs/cgroup" + scope
        fake.writable = [dir, dir + "/cgroup.procs"]
        fake.files[dir + "/cgroup.controllers"] = "cpuset cpu io memory pids\n"
        fake.files[dir + "/cgroup.procs"] = "4242\n4243\n"
        fake.files[dir + "/cgroup.subtree_control"] = ""
        guard case .delegated(let delegation) = CgroupDelegation.detect(host: fake.host) else { return XCTFail("not delegated") }
        XCTAssertEqual(delegation.directory, dir)
        let limits = ResourceLimits(memory: 32 << 20, memorySwap: 64 << 20, nanoCPUs: 500_000_000, pidsLimit: 10)
        let path = try CgroupPlacement.path(for: "abc", limits: limits, rootless: true, delegation: { .delegated(delegation) })
        XCTAssertEqual(path, scope + "/kiln-abc")
        // kiln's own processes move to a leaf first (no process may stay in a cgroup that enables controllers
        // for its children), then the controllers are enabled.
        XCTAssertEqual(fake.directories, [dir + "/kiln-init"])
        XCTAssertEqual(fake.writes.map { "\($0.0) \($0.1)" }, [
            "\(dir)/kiln-init/cgroup.procs 4242", "\(dir)/kiln-init/cgroup.procs 4243",
            "\(dir)/cgroup.subtree_control +cpu +memory +pids",
        ])
        // Enabled already: nothing is written again.
        fake.writes = []
        fake.files[dir + "/cgroup.subtree_control"] = "cpu memory pids"
        _ = try CgroupPlacement.path(for: "abd", limits: limits, rootless: true, delegation: { .delegated(delegation) })
        XCTAssertTrue(fake.writes.isEmpty)
    }

    func testANamespacedMountRootIsStripped() {
        let fake = fake(cgroup: "0::/user.slice/u/kiln.scope\n",
                        mounts: "28 22 0:25 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
        fake.writable = ["/sys/fs/cgroup/u/kiln.scope", "/sys/fs/cgroup/u/kiln.scope/cgroup.procs"]
        fake.files["/sys/fs/cgroup/u/kiln.scope/cgroup.controllers"] = "memory pids cpu"
        guard case .delegated(let delegation) = CgroupDelegation.detect(host: fake.host) else { return XCTFail("not delegated") }
        XCTAssertEqual(delegation.directory, "/sys/fs/cgroup/u/kiln.scope")
    }

    func testOOMCountsFromV1AndV2Files() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oom-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/memory/kiln/a", withIntermediateDirectories: true)
        try "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n".write(toFile: root + "/memory/kiln/a/memory.oom_control", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/kiln/b", withIntermediateDirectories: true)
        try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n".write(toFile: root + "/kiln/b/memory.events", atomically: true, encoding: .utf8)
        XCTAssertEqual(CgroupPlacement.oomKills(cgroupPath: "/kiln/a", cgroupRoot: root), 1)
        XCTAssertEqual(CgroupPlacement.oomKills(cgroupPath: "/kiln/b", cgroupRoot: root), 0)
        XCTAssertNil(CgroupPlacement.oomKills(cgroupPath: "/kiln/c", cgroupRoot: root))
    }
}
