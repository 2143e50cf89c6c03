import Audit
import Foundation
import TestVectors
import XCTest

/// Images with known answers, built by kiln from Dockerfiles on the busybox fixture: the audit
/// reports exactly the planted problems, in the right layer, with the right instruction.
final class CraftedImageTests: AuditTestCase {
    /// A GitHub-token-shaped value that is nobody's token.
    static let token = "ghp_" + "kiLnAuD1tT3stT0k3nN0tR3aLxYz0123456789"

    func testBusyboxFixtureHasNoFindingsButRootAndHealthcheck() async throws {
        let base = try await loadBusybox()
        let report = try audit(base)
        XCTAssertEqual(interesting(report).count, 0, describe(interesting(report)))
        XCTAssertEqual(Set(report.findings.map(\.rule)), ["RootUser", "MissingHealthcheck"])
        XCTAssertEqual(report.waste.efficiency, 1.0)
        XCTAssertEqual(report.waste.wastedBytes, 0)
        XCTAssertEqual(report.largestFiles.first?.path, "/bin/busybox")
        // Same answer from the OCI layout directly, without the store.
        let direct = try audit("oci-layout:" + Vectors.shared.appendingPathComponent("fixtures/busybox").path)
        XCTAssertEqual(direct.findings, report.findings)
    }

    func testSecretWrittenThenDeletedIsStillReported() async throws {
        try requireRoot()
        let base = try await loadBusybox()
        try build("audit-test/deleted-secret", """
            FROM \(base)
            COPY app.conf /app/app.conf
            RUN rm /app/app.conf
            """, files: ["app.conf": "# settings\nGITHUB_TOKEN=\(Self.token)\n"])
        let report = try audit("audit-test/deleted-secret")
        XCTAssertEqual(report.baseLayers, 1)
        let secrets = report.findings.filter { $0.category == .secret }
        XCTAssertEqual(secrets.count, 1, describe(secrets))
        let secret = try XCTUnwrap(secrets.first)
        XCTAssertEqual(secret.rule, "SecretInLayerFile")
        XCTAssertEqual(secret.layer, 1)
        XCTAssertEqual(secret.path, "/app/app.conf")
        XCTAssertEqual(secret.hiddenInFinalImage, true)
        XCTAssertEqual(secret.hiddenByLayer, 2)
        XCTAssertTrue(secret.instruction?.contains("COPY app.conf /app/app.conf") == true, secret.instruction ?? "nil")
        XCTAssertTrue(secret.message.contains("still downloadable"), secret.message)
        // Masked: first and last characters only.
        XCTAssertEqual(secret.masked, "gh…89")
        let json = try kiln(["audit", "--format", "json", "audit-test/deleted-secret"]).stdout
        let sarif = try kiln(["audit", "--format", "sarif", "audit-test/deleted-secret"]).stdout
        let table = try kiln(["audit", "audit-test/deleted-secret"]).stdout
        for output in [json, sarif, table] { XCTAssertFalse(output.contains(Self.token), "the secret value is printed") }
        // The deleted file's bytes are wasted space in layer 1; nothing else is planted.
        XCTAssertEqual(interesting(report).filter { $0.category != .secret }.map(\.rule), ["WastedSpace"], describe(interesting(report)))
        XCTAssertEqual(report.findings.first { $0.rule == "WastedSpace" }?.layer, 1)
        try assertWasteMatchesBruteForce(report)
    }

    func testSecretInBuildArgUsedByRun() async throws {
        try requireRoot()
        let base = try await loadBusybox()
        try build("audit-test/arg-secret", """
            FROM \(base)
            ARG API_TOKEN
            RUN test -n "$API_TOKEN" && echo configured > /configured
            """, args: ["--build-arg", "API_TOKEN=\(Self.token)"])
        let report = try audit("audit-test/arg-secret")
        let found = interesting(report)
        // Current BuildKit (v0.14, 47a52a17) writes the ARG's value in effect into its history line
        // too (`ARG API_TOKEN=…`, no layer), so the value shows twice: the ARG line and the RUN line.
        XCTAssertEqual(found.count, 2, describe(found))
        XCTAssertTrue(found.allSatisfy { $0.rule == "SecretInHistory" && $0.masked == "gh…89" }, describe(found))
        XCTAssertTrue(found.contains { $0.layer == nil && $0.instruction?.hasPrefix("ARG API_TOKEN=") == true }, describe(found))
        let secret = try XCTUnwrap(found.first { $0.layer != nil })
        XCTAssertEqual(secret.rule, "SecretInHistory")
        XCTAssertEqual(secret.layer, 1)
        XCTAssertTrue(secret.instruction?.contains("RUN |1 API_TOKEN=") == true, secret.instruction ?? "nil")
        XCTAssertEqual(secret.masked, "gh…89")
        for format in ["table", "json", "sarif"] {
            XCTAssertFalse(try kiln(["audit", "--format", format, "audit-test/arg-secret"]).stdout.contains(Self.token), "\(format) prints the secret")
        }
        // --fail-on: high finding -> 1; nothing critical -> 0.
        XCTAssertEqual(try kiln(["audit", "--fail-on", "high", "audit-test/arg-secret"], expect: 1).status, 1)
        XCTAssertEqual(try kiln(["audit", "--fail-on", "critical", "audit-test/arg-secret"], expect: 0).status, 0)
    }

    func testAptLikeCacheLeftBehind() async throws {
        try requireRoot()
        let base = try await loadBusybox()
        try build("audit-test/apt-cache", """
            FROM \(base)
            RUN mkdir -p /var/lib/apt/lists/partial /var/cache/apt/archives/partial \\
             && printf 'Package: hello\\nVersion: 1.0\\n\\n' > /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages \\
             && printf 'Origin: Debian\\n' > /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease \\
             && dd if=/dev/zero of=/var/cache/apt/archives/hello_1.0_amd64.deb bs=1024 count=10 2>/dev/null \\
             && touch /var/lib/apt/lists/lock
            """)
        let report = try audit("audit-test/apt-cache")
        let found = interesting(report)
        XCTAssertEqual(found.count, 2, describe(found))
        let lists = try XCTUnwrap(found.first { $0.message.contains("/var/lib/apt/lists") })
        let archives = try XCTUnwrap(found.first { $0.message.contains("/var/cache/apt/archives") })
        for finding in [lists, archives] {
            XCTAssertEqual(finding.rule, "PackageManagerLeftovers")
            XCTAssertEqual(finding.layer, 1)
            XCTAssertTrue(finding.instruction?.contains("mkdir -p /var/lib/apt/lists/partial") == true)
        }
        XCTAssertEqual(lists.bytes, Int64("Package: hello\nVersion: 1.0\n\n".utf8.count + "Origin: Debian\n".utf8.count))
        XCTAssertEqual(archives.bytes, 10240)
        XCTAssertTrue(lists.message.hasPrefix("2 files"), lists.message)
    }

    func testOneMegabyteFileOverwrittenThreeTimes() async throws {
        try requireRoot()
        let base = try await loadBusybox()
        let write = "RUN dd if=/dev/urandom of=/data.bin bs=1024 count=1024 2>/dev/null"
        try build("audit-test/overwritten", """
            FROM \(base)
            \(write) && echo 1
            \(write) && echo 2
            \(write) && echo 3
            \(write) && echo 4
            """)
        let report = try audit("audit-test/overwritten")
        let found = interesting(report)
        XCTAssertEqual(found.map(\.rule), ["WastedSpace", "WastedSpace", "WastedSpace"], describe(found))
        for (offset, finding) in found.enumerated() {
            XCTAssertEqual(finding.layer, offset + 1)
            XCTAssertEqual(finding.bytes, 1 << 20)
            XCTAssertEqual(finding.path, "/data.bin")
            XCTAssertTrue(finding.instruction?.contains("echo \(offset + 1)") == true, finding.instruction ?? "nil")
            XCTAssertTrue(finding.message.contains("hidden by layer \(offset + 2)"), finding.message)
        }
        XCTAssertEqual(report.waste.hiddenBytes, 3 << 20)
        // dive: /data.bin in 4 layers, 4 MiB in all; the smallest version 1 MiB.
        let dataBin = try XCTUnwrap(report.waste.inefficiencies.first { $0.path == "/data.bin" })
        XCTAssertEqual(dataBin.count, 4)
        XCTAssertEqual(dataBin.cumulativeSize, 4 << 20)
        XCTAssertTrue(report.largestFiles.contains(FileSize(path: "/data.bin", size: 1 << 20, layer: 4)), "\(report.largestFiles)")
        try assertWasteMatchesBruteForce(report)
    }

    func testExitStatusTwoOnError() throws {
        let missing = try kiln(["audit", "no-such/image:1"], expect: 2)
        XCTAssertTrue(missing.stderr.contains("No such image"), missing.stderr)
        try kiln(["audit", "--format", "xml", "busybox"], expect: 2)
        try kiln(["audit", "--fail-on", "severe", "busybox"], expect: 2)
    }

    func assertWasteMatchesBruteForce(_ report: AuditReport, file: StaticString = #filePath, line: UInt = #line) throws {
        let brute = try BruteForceWaste.compute(layerBlobs(report))
        XCTAssertEqual(report.waste.wastedBytes, brute.wastedBytes, "dive wasted bytes", file: file, line: line)
        XCTAssertEqual(report.waste.efficiency, brute.efficiency, accuracy: 1e-12, "dive efficiency", file: file, line: line)
        XCTAssertEqual(report.waste.userSizeBytes, brute.userSizeBytes, "user size", file: file, line: line)
        XCTAssertEqual(report.layers.map(\.hiddenBytes), brute.hiddenBytes, "hidden bytes per layer", file: file, line: line)
    }
}
