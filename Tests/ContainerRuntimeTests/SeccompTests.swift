import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Docker's default seccomp profile in every container: the syscalls a stranger's RUN step used
/// to escape with (a key planted in the host root's keyring, new namespaces) fail with EPERM, and
/// `seccomp=unconfined` / `security=insecure` lift the filter.
final class SeccompTests: RuntimeTestCase {
    private func probe(_ call: [String], in root: TestRoot, _ configure: (inout ContainerSpec) -> Void = { _ in })
        async throws -> String {
        let probe = try SyscallProbe.path()
        let result = try await runner.run(["/probe"] + call, in: root.rootfs) { spec in
            spec.mounts.append(BindMount(source: probe, target: "/probe", readOnly: true))
            configure(&spec)
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testStatusShowsAFilterByDefaultAndNoneWhenUnconfined() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let filtered = try await runner.run(["grep", "^Seccomp:", "/proc/self/status"], in: root.rootfs)
        XCTAssertEqual(filtered.output.split(separator: "\t").last, "2\n", filtered.output)
        let unconfined = try await runner.run(["grep", "^Seccomp:", "/proc/self/status"], in: root.rootfs) {
            $0.security.seccomp = .unconfined
        }
        XCTAssertEqual(unconfined.output.split(separator: "\t").last, "0\n", unconfined.output)
    }

    func testKeyringAndNamespaceSyscallsFailWithEPERM() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        for call in ["add_key", "keyctl", "unshare-user", "unshare-net", "mount"] {
            let answer = try await probe([call], in: root)
            XCTAssertEqual(answer, "EPERM", "\(call) under Docker's default profile")
        }
    }

    func testUnconfinedAllowsWhatCapabilitiesAllow() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        // The process keyring dies with the probe: nothing stays in the host's keyrings.
        let key = try await probe(["add_key"], in: root) { $0.security.seccomp = .unconfined }
        XCTAssertEqual(key, "ok")
        // Still no CAP_SYS_ADMIN: the kernel itself refuses a new network namespace.
        let net = try await probe(["unshare-net"], in: root) { $0.security.seccomp = .unconfined }
        XCTAssertEqual(net, "EPERM")
        let insecure = try await probe(["unshare-net"], in: root) { $0.security = .insecure }
        XCTAssertEqual(insecure, "ok", "security=insecure: all capabilities and no filter")
    }

    /// CAP_NET_RAW stays (Docker's set), but in a network namespace of its own an AF_PACKET socket sees only
    /// that namespace's traffic: not the host's loopback, where a datagram with a marker keeps passing.
    func testRawSocketInAPrivateNamespaceSeesNoHostLoopbackTraffic() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let marker = "kiln-sniff-\(UUID().uuidString.prefix(8))"
        let sender = LoopbackChatter(marker: marker)
        defer { sender.stop() }
        let isolated = try await probe(["sniff", marker], in: root) { $0.network = .none }
        XCTAssertEqual(isolated, "not-seen")
        let shared = try await probe(["sniff", marker], in: root) { $0.network = .host }
        XCTAssertEqual(shared, "seen", "the probe sees host loopback traffic when it shares the host's namespace")
    }

    func testNoNewPrivilegesSetsTheBit() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let plain = try await runner.run(["grep", "^NoNewPrivs:", "/proc/self/status"], in: root.rootfs)
        XCTAssertTrue(plain.output.hasSuffix("0\n"), plain.output)
        let set = try await runner.run(["grep", "^NoNewPrivs:", "/proc/self/status"], in: root.rootfs) {
            $0.security.noNewPrivileges = true
        }
        XCTAssertTrue(set.output.hasSuffix("1\n"), set.output)
    }

    func testAProfileFileInDockersFormat() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        // Docker's default with `mkdir`/`mkdirat` taken out: busybox mkdir fails, the rest works.
        var custom = SeccompProfile.dockerDefault
        custom.syscalls = custom.syscalls?.map { rule in
            var rule = rule
            rule.names = rule.names?.filter { $0 != "mkdir" && $0 != "mkdirat" }
            return rule
        }
        let directory = try Fixture.scratch("profile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/profile.json"
        try JSONEncoder().encode(custom).write(to: URL(fileURLWithPath: file))
        let loaded = try SeccompProfile.load(path: file)
        XCTAssertEqual(loaded, custom)
        let result = try await runner.run(["sh", "-c", "mkdir /made; echo status=$?"], in: root.rootfs) {
            $0.security.seccomp = .profile(loaded)
        }
        XCTAssertTrue(result.output.contains("Operation not permitted"), result.output)
        XCTAssertTrue(result.output.contains("status=1"), result.output)
    }

    func testAnUnreadableProfileIsAClearError() throws {
        let directory = try Fixture.scratch("bad-profile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "{\"syscalls\": 3}".write(toFile: directory + "/p.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SeccompProfile.load(path: directory + "/p.json")) { error in
            XCTAssertTrue("\(error)".contains("seccomp profile"), "\(error)")
        }
        XCTAssertThrowsError(try SeccompProfile.load(path: directory + "/missing.json"))
    }
}

/// The profile's rules resolved for one container, without running anything.
final class SeccompResolutionTests: XCTestCase {
    private func names(_ object: [String: Any], action: String = "SCMP_ACT_ALLOW") -> Set<String> {
        let rules = object["syscalls"] as? [[String: Any]] ?? []
        return Set(rules.filter { $0["action"] as? String == action && $0["args"] == nil }.flatMap { $0["names"] as? [String] ?? [] })
    }

    func testDefaultCapabilitiesGetNoNamespaceOrKeyringCalls() {
        let object = SeccompProfile.dockerDefault.resolved(capabilities: ["CAP_CHOWN", "CAP_SYS_CHROOT"], architecture: "amd64",
                                                            kernel: "6.1.0-18-amd64", kernelRunsX32: true)
        XCTAssertEqual(object["defaultAction"] as? String, "SCMP_ACT_ERRNO")
        XCTAssertEqual(object["defaultErrnoRet"] as? UInt32, 1)
        XCTAssertEqual(object["architectures"] as? [String], ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let allowed = names(object)
        for blocked in ["unshare", "mount", "setns", "add_key", "keyctl", "request_key", "bpf", "reboot", "init_module", "clone3"] {
            XCTAssertFalse(allowed.contains(blocked), blocked)
        }
        for needed in ["read", "execve", "chroot", "arch_prctl", "ptrace", "socketpair"] {
            XCTAssertTrue(allowed.contains(needed), needed)
        }
        XCTAssertFalse(allowed.contains("set_tls"), "arm only")
        XCTAssertTrue(names(object, action: "SCMP_ACT_ERRNO").contains("clone3"), "clone3 answers ENOSYS without CAP_SYS_ADMIN")
    }

    func testCapabilityAndKernelConditions() {
        let admin = SeccompProfile.dockerDefault.resolved(capabilities: ["CAP_SYS_ADMIN"], architecture: "arm64", kernel: "4.4.0")
        let allowed = names(admin)
        XCTAssertTrue(allowed.isSuperset(of: ["unshare", "mount", "setns", "clone", "clone3", "set_tls"]))
        XCTAssertFalse(allowed.contains("ptrace"), "before 4.8 ptrace needs CAP_SYS_PTRACE")
        XCTAssertFalse(allowed.contains("chroot"))
        XCTAssertEqual(admin["architectures"] as? [String], ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        XCTAssertTrue(SeccompProfile.kernelAtLeast("4.8", "4.8"))
        XCTAssertTrue(SeccompProfile.kernelAtLeast("5.1.0-rc1", "4.8"))
        XCTAssertFalse(SeccompProfile.kernelAtLeast("4.7.10", "4.8"))
    }
}

/// Sends a UDP datagram holding `marker` to the host's 127.0.0.1:9 (discard) every 50 ms until `stop()`.
final class LoopbackChatter: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true

    init(marker: String) {
        Thread { [self] in
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(9).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            while isRunning {
                _ = marker.withCString { text in
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(fd, text, strlen(text), 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
                usleep(50_000)
            }
        }.start()
    }

    private var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
    }
}
