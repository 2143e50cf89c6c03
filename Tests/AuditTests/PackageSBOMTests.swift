import Audit
import Foundation
import XCTest

/// Every package database the SBOM reads (dpkg status and status.d, apk, Python dist-info and
/// egg-info, npm package.json), planted in a busybox image; both documents validate.
final class PackageSBOMTests: AuditTestCase {
    func testAllDatabasesAndSchemas() async throws {
        try requireRoot()
        let base = try await loadBusybox()
        let files = [
            "status": "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.10-3\nDescription: x\n continued\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n",
            "distroless": "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            "installed": "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\n",
            "METADATA": "Metadata-Version: 2.1\nName: Requests_Toolbelt\nVersion: 1.0.0\nLicense: Apache 2.0\n\nbody\n",
            "PKG-INFO": "Metadata-Version: 1.0\nName: six\nVersion: 1.16.0\n",
            "package.json": #"{"name": "@scope/left-pad", "version": "1.3.0", "license": "WTFPL"}"#,
            "os-release": "ID=debian\nVERSION_ID=\"12\"\n",
        ]
        try build("audit-test/packages", """
            FROM \(base)
            COPY status /var/lib/dpkg/status
            COPY distroless /var/lib/dpkg/status.d/tzdata
            COPY installed /lib/apk/db/installed
            COPY METADATA /usr/lib/python3/dist-packages/requests_toolbelt-1.0.0.dist-info/METADATA
            COPY PKG-INFO /usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO
            COPY package.json /app/node_modules/@scope/left-pad/package.json
            COPY os-release /etc/os-release
            """, files: files)
        let report = try audit("audit-test/packages")
        XCTAssertEqual(report.packages.map(\.purl), [
            "pkg:apk/debian/busybox@1.36.1-r15?arch=x86_64&distro=debian-12",
            "pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12",
            "pkg:deb/debian/hello@1%3A2.10-3?arch=amd64&distro=debian-12",
            "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12",
            "pkg:npm/%40scope/left-pad@1.3.0",
            "pkg:pypi/requests-toolbelt@1.0.0",
            "pkg:pypi/six@1.16.0",
        ])
        let spdx = root.appendingPathComponent("p.spdx.json").path, cdx = root.appendingPathComponent("p.cdx.json").path
        try kiln(["audit", "--sbom", "spdx", "-o", spdx, "audit-test/packages"])
        try kiln(["audit", "--sbom", "cyclonedx", "-o", cdx, "audit-test/packages"])
        let validators = try SchemaValidators.shared()
        try validators.validateSPDX(spdx)
        try validators.validateCycloneDX(cdx)
    }
}
