import Audit
import Foundation
import TestVectors
import XCTest

/// The Debian base (shared/tools/debian-base: debootstrap minbase bookworm): no false positives,
/// and its SBOM lists exactly what `dpkg-query -W` lists inside it; the SPDX and CycloneDX
/// documents validate against their JSON schemas (validators pip-installed into a venv).
///
/// Skipped when the Debian base cannot be made (debootstrap needs Debian's mirror; the first run
/// takes about a minute, later ones reuse ${KILN_CACHE:-/var/cache/kiln-test}), and the schema
/// checks when pip cannot install the validators.
final class DebianBaseTests: AuditTestCase {
    static var layout: String { (ProcessInfo.processInfo.environment["KILN_CACHE"] ?? "/var/cache/kiln-test") + "/debian-layout" }

    /// The Debian base as an OCI layout, made by the shared tool when missing.
    func debianLayout() throws -> String {
        if FileManager.default.fileExists(atPath: Self.layout + "/index.json") { return Self.layout }
        guard geteuid() == 0 else { throw XCTSkip("making the Debian base needs root (debootstrap)") }
        let port = Int.random(in: 20000..<40000)
        let tools = Vectors.shared.appendingPathComponent("tools").path
        let script = "export KILN_TEST_TMP=\(root.path); \(tools)/local-registry start \(port) >/dev/null && \(tools)/debian-base 127.0.0.1:\(port); s=$?; \(tools)/local-registry stop \(port); exit $s"
        let status = try Self.sh(script).status
        guard status == 0, FileManager.default.fileExists(atPath: Self.layout + "/index.json") else {
            throw XCTSkip("no Debian base image (debootstrap needs Debian's mirror)")
        }
        return Self.layout
    }

    func testNoFalsePositivesOnDebianBase() throws {
        let report = try audit("oci-layout:" + debianLayout())
        let unexpected = report.findings.filter { !["RootUser", "MissingHealthcheck", "SetuidFile"].contains($0.rule) }
        XCTAssertEqual(unexpected.count, 0, describe(unexpected))
        // The base's setuid programs are reported for information only: which layers are the base's is unknown here.
        XCTAssertTrue(report.findings.filter { $0.rule == "SetuidFile" }.allSatisfy { $0.severity == .info })
        XCTAssertEqual(report.waste.efficiency, 1.0)
    }

    func testSBOMListsExactlyWhatDpkgQueryLists() async throws {
        try requireRoot()
        let layout = try debianLayout()
        let report = try audit("oci-layout:" + layout)
        // dpkg-query inside the image, run by kiln.
        let name = try await load(layout, as: "audit-test/debian:bookworm")
        let listing = try kiln(["run", "--rm", "--network", "none", name, "dpkg-query", "-W", "-f", "${Package}\\t${Version}\\n"]).stdout
        let expected = Set(listing.split(separator: "\n").map(String.init))
        let actual = Set(report.packages.filter { $0.type == "deb" }.map { "\($0.name)\t\($0.version)" })
        XCTAssertGreaterThan(expected.count, 50)
        XCTAssertEqual(actual, expected, "only in the SBOM: \(actual.subtracting(expected)); only in dpkg-query: \(expected.subtracting(actual))")
        XCTAssertTrue(report.packages.allSatisfy { $0.purl.hasPrefix("pkg:deb/debian/") && $0.purl.contains("distro=debian-12") })

        let spdx = root.appendingPathComponent("sbom.spdx.json").path, cdx = root.appendingPathComponent("sbom.cdx.json").path
        try kiln(["audit", "--sbom", "spdx", "-o", spdx, "oci-layout:" + layout])
        try kiln(["audit", "--sbom", "cyclonedx", "-o", cdx, "oci-layout:" + layout])
        let validators = try SchemaValidators.shared()
        try validators.validateSPDX(spdx)
        try validators.validateCycloneDX(cdx)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: spdx))) as? [String: Any]
        XCTAssertEqual((document?["packages"] as? [Any])?.count, expected.count + 1)
    }

    static func sh(_ script: String) throws -> (status: Int32, output: String) {
        bashThroughFile(script)
    }
}

/// spdx-tools' `pyspdxtools -i` and cyclonedx-python-lib's JSON-schema validator, in a venv under
/// ${KILN_CACHE:-/var/cache/kiln-test}/audit-venv (installed once; XCTSkip when pip cannot).
struct SchemaValidators {
    let venv: String

    static func shared() throws -> SchemaValidators {
        let venv = (ProcessInfo.processInfo.environment["KILN_CACHE"] ?? "/var/cache/kiln-test") + "/audit-venv"
        if !FileManager.default.isExecutableFile(atPath: venv + "/bin/pyspdxtools") {
            let install = try DebianBaseTests.sh("mkdir -p \"$(dirname \(venv))\" && python3 -m venv \(venv) && \(venv)/bin/pip install -q spdx-tools 'cyclonedx-python-lib[json-validation]'")
            guard install.status == 0 else { throw XCTSkip("cannot pip install the SBOM validators:\n\(install.output.suffix(2000))") }
        }
        return SchemaValidators(venv: venv)
    }

    func validateSPDX(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try DebianBaseTests.sh("\(venv)/bin/pyspdxtools -i '\(path)'")
        XCTAssertEqual(result.status, 0, "SPDX document does not validate:\n\(result.output.prefix(4000))", file: file, line: line)
    }

    func validateCycloneDX(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let script = """
        import sys
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
        error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())
        if error:
            print(error)
            sys.exit(1)
        """
        let result = try DebianBaseTests.sh("\(venv)/bin/python -c '\(script)' '\(path)'")
        XCTAssertEqual(result.status, 0, "CycloneDX document does not validate:\n\(result.output.prefix(4000))", file: file, line: line)
    }
}
