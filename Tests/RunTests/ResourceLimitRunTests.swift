import Foundation
import XCTest

/// `kiln run -m/--memory-swap/--memory-reservation/--cpus/--cpu-shares/--cpuset-cpus/--pids-limit` in real runc on
/// this machine's cgroups (v1 hybrid): the limits reach the container's cgroup (read on the host, below
/// /sys/fs/cgroup/<controller>/kiln/<id>), a process over its memory limit is OOM-killed (137, State.OOMKilled),
/// a shell over its pids limit cannot fork, `inspect` shows Docker's HostConfig fields, bad values fail with
/// Docker's messages and status 125.
final class ResourceLimitRunTests: RunTestCase {
    private func cgroupFile(_ controller: String, _ id: String, _ file: String) -> String {
        ((try? String(contentsOfFile: "/sys/fs/cgroup/\(controller)/kiln/\(id)/\(file)", encoding: .utf8)) ?? "<missing>")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testLimitsReachTheContainersCgroupAndInspect() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                          "needs the cgroup v1 memory controller at /sys/fs/cgroup/memory")
        let id = check("\(kiln) run -d -m 32m --memory-reservation 16m --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 10 "
            + "\(Self.busybox) sleep 60").trimmingCharacters(in: .whitespacesAndNewlines)
        started.append(id)
        XCTAssertEqual(cgroupFile("memory", id, "memory.limit_in_bytes"), "33554432")
        XCTAssertEqual(cgroupFile("memory", id, "memory.soft_limit_in_bytes"), "16777216")
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") {
            XCTAssertEqual(cgroupFile("memory", id, "memory.memsw.limit_in_bytes"), "67108864")  // twice --memory, as Docker
        }
        XCTAssertEqual(cgroupFile("cpu", id, "cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(cgroupFile("cpu", id, "cpu.cfs_period_us"), "100000")
        XCTAssertEqual(cgroupFile("cpu", id, "cpu.shares"), "512")
        XCTAssertEqual(cgroupFile("cpuset", id, "cpuset.cpus"), "0")
        XCTAssertEqual(cgroupFile("pids", id, "pids.max"), "10")
        let hostConfig = check("\(kiln) inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} "
            + "{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}} {{.HostConfig.PidsLimit}}' \(id)")
        XCTAssertEqual(hostConfig, "33554432 67108864 16777216 500000000 512 0 10\n")
        check("\(kiln) rm -f \(id)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/kiln/\(id)"), "the container's cgroup is left behind")
    }

    func testWithoutLimitsHostConfigIsDockersZeroes() {
        let out = check("\(kiln) run --name plain \(Self.busybox) true; \(kiln) inspect -f '{{json .HostConfig.Memory}} "
            + "{{json .HostConfig.MemorySwap}} {{json .HostConfig.NanoCpus}} {{json .HostConfig.CpusetCpus}} {{json .HostConfig.PidsLimit}} "
            + "{{.State.OOMKilled}}' plain")
        started.append("plain")
        XCTAssertEqual(out, "0 0 0 \"\" null false\n")
    }

    func testOverTheMemoryLimitIsOOMKilled() {
        // 100 MB held in a shell variable, in a container limited to 32 MB of memory and 64 MB with swap.
        let result = sh("\(kiln) run --name oom -m 32m \(Self.busybox) sh -c 'x=$(head -c 100000000 /dev/zero | tr \"\\0\" a); echo survived'")
        started.append("oom")
        XCTAssertEqual(result.status, 137, result.output)
        XCTAssertFalse(result.output.contains("survived"), result.output)
        XCTAssertEqual(check("\(kiln) inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}' oom"), "true 137 exited\n")
        XCTAssertTrue(check("\(kiln) ps -a --format '{{.Names}} {{.Status}}'").contains("oom Exited (137)"))
        // Under the limit: not OOM-killed.
        XCTAssertEqual(check("\(kiln) run --name fits -m 32m \(Self.busybox) sh -c 'x=$(head -c 1000000 /dev/zero | tr \"\\0\" a); echo ok'"), "ok\n")
        started.append("fits")
        XCTAssertEqual(check("\(kiln) inspect -f '{{.State.OOMKilled}}' fits"), "false\n")
    }

    func testADetachedContainerOverItsLimitIsOOMKilledToo() {
        // The monitor (`kiln __monitor`) runs it: the same cgroup is read before the container is deleted.
        check("\(kiln) run -d --name doom -m 16m \(Self.busybox) sh -c 'x=$(head -c 100000000 /dev/zero | tr \"\\0\" a)'")
        started.append("doom")
        XCTAssertTrue(waitFor("doom Exited (137)", in: "\(kiln) ps -a --format '{{.Names}} {{.Status}}'").contains("doom Exited (137)"))
        XCTAssertEqual(check("\(kiln) inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' doom"), "true 137\n")
    }

    func testForkFailsOverThePidsLimit() {
        // busybox sh gives up (status 2) at the first fork the pids controller refuses.
        let limited = sh("\(kiln) run --rm --pids-limit 10 \(Self.busybox) sh -c 'for i in $(seq 20); do sleep 5 & done; echo forked'")
        XCTAssertTrue(limited.output.contains("can't fork"), limited.output)
        XCTAssertFalse(limited.output.contains("forked"), limited.output)
        XCTAssertNotEqual(limited.status, 0)
        // -1 and 0 are unlimited.
        let free = check("\(kiln) run --rm --pids-limit -1 \(Self.busybox) sh -c 'for i in $(seq 20); do sleep 1 & done; wait; echo all'")
        XCTAssertEqual(free, "all\n")
    }

    func testBadValuesFailWithDockersMessages() {
        let cases = [
            ("-m 4m", "kiln: error: Minimum memory limit allowed is 6MB"),
            ("--memory abc", "kiln: error: invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"),
            ("--memory-swap 64m", "kiln: error: You should always set the Memory limit when using Memoryswap limit, see usage"),
            ("--cpus 0.0000000001", "value is too precise"),
            ("--cpuset-cpus 4096", "Requested CPUs are not available - requested 4096, available: "),
        ]
        for (flags, message) in cases {
            let result = sh("\(kiln) run --rm \(flags) \(Self.busybox) true")
            XCTAssertEqual(result.status, 125, "\(flags): \(result.output)")
            XCTAssertTrue(result.output.contains(message), "\(flags): \(result.output)")
        }
        XCTAssertEqual(check("\(kiln) ps -a -q"), "", "a refused run left a container")
    }
}
