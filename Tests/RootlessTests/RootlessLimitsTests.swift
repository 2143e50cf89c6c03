import Foundation
import TestVectors
import XCTest

/// Resource limits as an unprivileged user on this machine (cgroup v1): `kiln run -m/--cpus/--pids-limit` is
/// refused with the reason, before any image is looked up, never run without its limits. (The delegated
/// cgroup v2 path cannot run here: `ResourceLimitsTests` checks its detection and configuration on fake files.)
final class RootlessLimitsTests: XCTestCase {
    func testLimitsAreRefusedWithoutADelegatedCgroupV2() throws {
        try XCTSkipUnless(geteuid() == 0, "creating the test user needs root")
        for tool in ["/usr/sbin/useradd", "/usr/sbin/runuser", "/usr/sbin/userdel"] {
            try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing (scripts/install-deps.sh)")
        }
        let cgroups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        try XCTSkipUnless(cgroups.split(separator: "\n").contains { !$0.hasPrefix("0::") }, "this machine runs cgroup v2 alone")
        let kiln = KilnProcess.executable.path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: kiln), "build kiln first")
        let user = "kilnlim\(getpid())"
        let home = "/tmp/kiln-limits-\(user)"  // the user's HOME: its store and runtime state
        let script = """
            set -u
            useradd -M -d '\(home)' -s /bin/bash \(user) || exit 3
            trap 'userdel \(user) >/dev/null 2>&1; rm -rf "\(home)"' EXIT
            mkdir -p '\(home)' && chown \(user): '\(home)'
            as_user() { runuser -u \(user) -- env -i HOME='\(home)' PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
            for flags in '-m 32m' '--cpus 0.5' '--pids-limit 10'; do
              as_user '\(kiln)' run --rm $flags kiln-test/not-pulled:1 true
              echo "[$flags] status=$?"
            done
            as_user '\(kiln)' ps -a -q | wc -l | sed 's/^/containers=/'
            """
        let (status, output) = bashThroughFile(script)
        XCTAssertEqual(status, 0, output)
        for flags in ["-m 32m", "--cpus 0.5", "--pids-limit 10"] {
            XCTAssertTrue(output.contains("[\(flags)] status=125"), output)
        }
        let message = "kiln: error: resource limits need cgroup v2 with a delegated subtree; this machine has cgroup v1"
        XCTAssertEqual(output.components(separatedBy: message).count - 1, 3, output)
        XCTAssertFalse(output.contains("Unable to find image"), "the image was looked up before the limits were refused:\n\(output)")
        XCTAssertTrue(output.contains("containers=0"), output)
    }
}
