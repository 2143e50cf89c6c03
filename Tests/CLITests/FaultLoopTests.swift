import Foundation
import TestVectors
import XCTest

/// Faults (issue 14), through the kiln binary on one store: SIGKILL at random moments of builds
/// (inside RUN, one with a secret mounted; during COPY; during commit), pulls and pushes, in a
/// bounded loop (`KILN_FAULT_ITERATIONS`, 20 by default; scripts/stress.sh runs 100). Afterwards
/// `kiln system check` is clean, nothing stays mounted under the store, no process of the killed
/// runs is left, the secret's value is in no file of the store, and the next build or pull
/// succeeds. Also: builds and pulls at once on one store, `rmi`/`prune -f` during a build, and a
/// store on a small tmpfs that fills up mid-build.
final class FaultLoopTests: XCTestCase {
    nonisolated(unsafe) static var registryPort: Int?
    var scratch: URL!
    var store: URL!
    var kiln: String { KilnProcess.executable.path }
    var fixture: String { Vectors.shared.appendingPathComponent("fixtures/busybox").path }
    var iterations: Int { Int(ProcessInfo.processInfo.environment["KILN_FAULT_ITERATIONS"] ?? "") ?? 20 }

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture") }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-faults-\(UUID().uuidString)")
        store = scratch.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = try? bash("umount -l '\(scratch.path)/small' 2>/dev/null; true")
        try? FileManager.default.removeItem(at: scratch)
    }

    override class func tearDown() {
        if let port = registryPort {
            _ = try? HostileInputTests.runProcess(Vectors.shared.appendingPathComponent("tools/local-registry").path, ["stop", "\(port)"])
        }
        super.tearDown()
    }

    // MARK: - SIGKILL loops

    func testSIGKILLedBuildsLeaveNothingBehindAndTheNextBuildSucceeds() throws {
        let secret = "kiln-secret-\(UUID().uuidString)"
        let ctx = try context("""
            FROM base
            COPY big /big
            RUN --mount=type=secret,id=tok cat /run/secrets/tok >/dev/null && sleep 0.3
            COPY small /small
            RUN echo "$RANDOM" > /random
            """, files: ["small": Data("small\n".utf8)], bigFile: 8 << 20)
        let secretFile = scratch.appendingPathComponent("secret")
        try Data(secret.utf8).write(to: secretFile)
        let build = "'\(kiln)' build -q --no-cache --root '\(store.path)' --build-context 'base=oci-layout://\(fixture):latest' --secret id=tok,src='\(secretFile.path)' '\(ctx.path)'"
        for i in 0..<iterations {
            // Random moments from the first COPY to the last commit.
            let delay = Double((i * 7919) % 1500) / 1000 + 0.05
            let out = try bash("\(build) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid; echo status=$?")
            XCTAssertTrue(out.contains("status="), out)
        }
        try waitForNoProcess(mentioning: store.path)
        let next = try bash("\(build) 2>&1; echo status=$?")
        XCTAssertTrue(next.contains("status=0"), "the next build fails: \(next)")
        try assertHealthy()
        let leaked = try bash("grep -rl --binary-files=text -e '\(secret)' '\(store.path)' 2>/dev/null | head; true")
        XCTAssertEqual(leaked.trimmingCharacters(in: .whitespacesAndNewlines), "", "the secret's value is in files of the store: \(leaked)")
    }

    func testSIGKILLedPullsLeaveNothingBehindAndTheNextPullSucceeds() throws {
        let port = try registry()
        let image = "127.0.0.1:\(port)/busybox:latest"
        for i in 0..<iterations {
            let delay = Double((i * 7919) % 400) / 1000
            _ = try bash("'\(kiln)' pull -q --root '\(store.path)' \(image) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid; "
                         + "'\(kiln)' rmi --root '\(store.path)' \(image) >/dev/null 2>&1; '\(kiln)' prune -f --root '\(store.path)' >/dev/null 2>&1; true")
        }
        let pull = try KilnProcess.run(["pull", "-q", "--root", store.path, image])
        XCTAssertEqual(pull.status, 0, pull.stderr)
        try assertHealthy()
    }

    func testSIGKILLedPushesLeaveTheStoreHealthyAndTheNextPushSucceeds() throws {
        let port = try registry()
        let source = "127.0.0.1:\(port)/busybox:latest"
        XCTAssertEqual(try KilnProcess.run(["pull", "-q", "--root", store.path, source]).status, 0)
        let ctx = try context("FROM \(source)\nCOPY big /big\n", files: [:], bigFile: 4 << 20)
        let built = try KilnProcess.run(["build", "-q", "--root", store.path, "-t", "127.0.0.1:\(port)/pushed:1", ctx.path])
        XCTAssertEqual(built.status, 0, built.stderr)
        for i in 0..<iterations {
            let delay = Double((i * 7919) % 500) / 1000
            _ = try bash("'\(kiln)' push --root '\(store.path)' 127.0.0.1:\(port)/pushed:1 >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid; true")
        }
        let push = try KilnProcess.run(["push", "--root", store.path, "127.0.0.1:\(port)/pushed:1"])
        XCTAssertEqual(push.status, 0, push.stderr)
        try assertHealthy()
    }

    // MARK: - Several processes on one store

    func testFourBuildsAndFourPullsAtOnceAllSucceed() throws {
        let port = try registry()
        let image = "127.0.0.1:\(port)/busybox:latest"
        var script = ""
        for i in 0..<4 {
            let ctx = try context("FROM base\nCOPY file\(i) /file\(i)\nRUN cat /file\(i) > /copy\(i)\n", files: ["file\(i)": Data("build \(i)\n".utf8)], name: "ctx\(i)")
            script += "'\(kiln)' build -q --root '\(store.path)' -t built:\(i) --build-context 'base=oci-layout://\(fixture):latest' '\(ctx.path)' >'\(scratch.path)/build\(i).log' 2>&1 & pids=\"$pids $!\"\n"
            script += "'\(kiln)' pull -q --root '\(store.path)' \(image) >'\(scratch.path)/pull\(i).log' 2>&1 & pids=\"$pids $!\"\n"
        }
        script += "failed=0; for p in $pids; do wait $p || failed=$((failed+1)); done; echo failed=$failed"
        let out = try bash(script)
        XCTAssertTrue(out.contains("failed=0"), "\(out)\n" + (0..<4).map { (try? String(contentsOfFile: "\(scratch.path)/build\($0).log", encoding: .utf8)) ?? "" }.joined())
        for i in 0..<4 {
            let saved = scratch.appendingPathComponent("built\(i).tar").path
            let save = try KilnProcess.run(["save", "--root", store.path, "-o", saved, "built:\(i)"])
            XCTAssertEqual(save.status, 0, save.stderr)
            let listing = try bash("mkdir -p '\(scratch.path)/x\(i)' && tar -xf '\(saved)' -C '\(scratch.path)/x\(i)' && for l in $(find '\(scratch.path)/x\(i)' -name layer.tar -o -path '*blobs/sha256/*' -type f); do tar -xOf \"$l\" copy\(i) 2>/dev/null; done; true")
            XCTAssertTrue(listing.contains("build \(i)"), "image built:\(i) holds what its build wrote: \(listing)")
        }
        try assertHealthy()
    }

    func testRmiAndPruneDuringABuildDoNotBreakIt() throws {
        let port = try registry()
        let image = "127.0.0.1:\(port)/busybox:latest"
        XCTAssertEqual(try KilnProcess.run(["pull", "-q", "--root", store.path, image]).status, 0)
        let ctx = try context("FROM \(image)\nRUN sleep 1 && echo one > /one\nCOPY small /small\nRUN sleep 1 && cat /one /small > /both\n",
                              files: ["small": Data("small\n".utf8)])
        let out = try bash("""
            '\(kiln)' build -q --root '\(store.path)' -t during:1 '\(ctx.path)' >'\(scratch.path)/build.log' 2>&1 & pid=$!
            for i in $(seq 1 12); do
              '\(kiln)' rmi --root '\(store.path)' \(image) >/dev/null 2>&1
              '\(kiln)' prune -f --root '\(store.path)' >/dev/null 2>&1
              sleep 0.25
            done
            wait $pid; echo status=$?
            """)
        XCTAssertTrue(out.contains("status=0"), "the build failed under rmi/prune: \(out) \((try? String(contentsOfFile: "\(scratch.path)/build.log", encoding: .utf8)) ?? "")")
        try assertHealthy()
    }

    // MARK: - A full disk

    func testStoreOnAFullTmpfsFailsClearlyAndWorksOnceSpaceIsFreed() throws {
        let small = scratch.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mounted = try bash("mount -t tmpfs -o size=24m tmpfs '\(small.path)' 2>&1; echo status=$?")
        guard mounted.contains("status=0") else { throw XCTSkip("cannot mount a tmpfs: \(mounted)") }
        let tiny = small.appendingPathComponent("store")
        let base = "base=oci-layout://\(fixture):latest"
        let ctx = try context("FROM base\nCOPY big /big\n", files: [:], bigFile: 40 << 20)
        let full = try KilnProcess.run(["build", "-q", "--root", tiny.path, "--build-context", base, ctx.path])
        XCTAssertNotEqual(full.status, 0, "a 40 MB layer cannot fit in 24 MB")
        XCTAssertTrue(full.stderr.contains("No space left on device") || full.stderr.contains("no space left"), "names the cause: \(full.stderr)")
        XCTAssertTrue(full.stderr.contains(tiny.path), "names the store: \(full.stderr)")
        let check = try KilnProcess.run(["system", "check", "--root", tiny.path])
        XCTAssertEqual(check.status, 0, "nothing half-written: \(check.stdout)")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: tiny.appendingPathComponent("kiln/tmp").path)) ?? [], [])
        // Space freed (a smaller context): the same store works again.
        try FileManager.default.removeItem(at: ctx.appendingPathComponent("big"))
        try Data("fits\n".utf8).write(to: ctx.appendingPathComponent("big"))
        let again = try KilnProcess.run(["build", "-q", "--root", tiny.path, "--build-context", base, ctx.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try KilnProcess.run(["system", "check", "--root", tiny.path]).status, 0)
    }

    // MARK: - Support

    /// `system check` clean, no stray temp file, nothing mounted under the store.
    private func assertHealthy(file: StaticString = #filePath, line: UInt = #line) throws {
        let check = try KilnProcess.run(["system", "check", "--root", store.path])
        XCTAssertEqual(check.status, 0, "system check: \(check.stdout)\(check.stderr)", file: file, line: line)
        let tmp = store.appendingPathComponent("kiln/tmp").path
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [], [], "leftovers in \(tmp)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let under = mounts.split(separator: "\n").filter { $0.contains(" \(store.path)/") }
        XCTAssertEqual(under, [], "mounts left under the store", file: file, line: line)
    }

    /// Waits until no process names `path` on its command line (a killed build's container),
    /// failing after 30 s.
    private func waitForNoProcess(mentioning path: String) throws {
        var left: [String] = []
        for _ in 0..<300 {
            left = []
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(name), pid != getpid(),
                      let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"), !data.isEmpty else { continue }
                let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                if command.contains(path) { left.append("\(pid): \(command)") }
            }
            if left.isEmpty { return }
            usleep(100_000)
        }
        XCTFail("processes of killed builds are still running: \(left)")
    }

    private func context(_ dockerfile: String, files: [String: Data], bigFile: Int = 0, name: String = "ctx") throws -> URL {
        let dir = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data((dockerfile + "\n").utf8).write(to: dir.appendingPathComponent("Dockerfile"))
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        if bigFile > 0 { _ = try bash("head -c \(bigFile) /dev/urandom > '\(dir.path)/big'") }
        return dir
    }

    /// A seeded local registry (shared/tools/local-registry) on a free port, once per run.
    private func registry() throws -> Int {
        if let port = Self.registryPort { return port }
        let port = Int(try bash("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let tool = Vectors.shared.appendingPathComponent("tools/local-registry").path
        let started = try HostileInputTests.runProcess(tool, ["start", "\(port)"])
        guard started.status == 0, try HostileInputTests.runProcess(tool, ["seed", "\(port)"]).status == 0 else {
            throw XCTSkip("local registry unavailable: \(started.stderr)")
        }
        Self.registryPort = port
        return port
    }

    private func bash(_ script: String) throws -> String {
        let result = try HostileInputTests.runProcess("/bin/bash", ["-c", script])
        return result.stdout + result.stderr
    }
}
