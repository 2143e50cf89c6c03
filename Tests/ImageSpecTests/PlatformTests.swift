import Foundation
import XCTest
@testable import ImageSpec

final class PlatformTests: XCTestCase {
    func testParsingNormalises() throws {
        let host = Platform.host
        let cases: [(String, String)] = [
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/arm64", "linux/arm64/v8"),
            ("linux/arm64/v8", "linux/arm64/v8"),
            ("linux/arm64/8", "linux/arm64/v8"),
            ("linux/aarch64", "linux/arm64/v8"),
            ("linux/arm64/v9.0", "linux/arm64/v9"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/v7", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("linux/arm/v6", "linux/arm/v6"),
            ("linux/arm/6", "linux/arm/v6"),
            ("linux/arm/v5", "linux/arm/v5"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/i386", "linux/386"),
            ("linux/386", "linux/386"),
            ("linux/ppc64le", "linux/ppc64le"),
            ("linux/s390x", "linux/s390x"),
            ("linux/riscv64", "linux/riscv64"),
            ("Linux/AMD64", "linux/amd64"),
            ("LINUX/ARM64/V8", "linux/arm64/v8"),
            ("windows/amd64", "windows/amd64"),
            ("darwin/arm64", "darwin/arm64/v8"),
            ("macos/arm64", "darwin/arm64/v8"),
            ("linux", "linux/" + [host.architecture, host.variant].compactMap { $0 }.joined(separator: "/")),
            ("arm64", host.os + "/arm64/v8"),
            ("amd64", host.os + "/amd64"),
            ("aarch64", host.os + "/arm64/v8"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try Platform(parsing: input).description, expected, input)
        }
    }

    func testInvalidSpecifiers() {
        for input in ["", "/", "linux/", "/amd64", "linux//amd64", "linux/amd64/v8/extra", "linux amd64", "foo", "linux/am d64", "linux/amd64/", "linux/ämd64"] {
            assertImageSpecError(.invalidPlatform, "", input) { try Platform(parsing: input) }
        }
        assertImageSpecError(.invalidPlatform, "unknown operating system or architecture") { try Platform(parsing: "plan10") }
        assertImageSpecError(.invalidPlatform, "architecture") { try Platform(os: "linux", architecture: "") }
        assertImageSpecError(.invalidPlatform, "operating system") { try Platform(os: "lin/ux", architecture: "amd64") }
        assertImageSpecError(.invalidPlatform, "variant") { try Platform(os: "linux", architecture: "arm", variant: "") }
    }

    func testNormalisedEqualityOfDefaults() throws {
        XCTAssertEqual(try Platform(parsing: "linux/arm64"), try Platform(parsing: "linux/arm64/v8"))
        XCTAssertEqual(try Platform(parsing: "linux/arm"), try Platform(parsing: "linux/arm/v7"))
        let raw = try Platform(os: "linux", architecture: "aarch64")
        XCTAssertEqual(raw.description, "linux/aarch64")
        XCTAssertEqual(raw.normalized().description, "linux/arm64/v8")
    }

    func testHostIsValidAndNormalised() throws {
        let host = Platform.host
        XCTAssertEqual(host, host.normalized())
        XCTAssertNoThrow(try Platform(os: host.os, architecture: host.architecture, variant: host.variant))
        #if os(Linux) && arch(x86_64)
        XCTAssertEqual(host.description, "linux/amd64")
        #endif
    }

    func testJSONKeys() throws {
        let platform = try Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763.1879", osFeatures: ["win32k"])
        XCTAssertEqual(
            text(try CanonicalJSON.encode(platform)),
            #"{"architecture":"amd64","os":"windows","os.features":["win32k"],"os.version":"10.0.17763.1879"}"#
        )
        XCTAssertEqual(try CanonicalJSON.decode(Platform.self, from: try CanonicalJSON.encode(platform)), platform)
        let arm = try CanonicalJSON.decode(Platform.self, from: json(#"{"architecture":"arm64","os":"linux","variant":"v8","features":["x"]}"#))
        XCTAssertEqual(arm.variant, "v8")
        let noVariant = try CanonicalJSON.decode(Platform.self, from: json(#"{"architecture":"amd64","os":"linux","variant":""}"#))
        XCTAssertNil(noVariant.variant)
        assertImageSpecError(.invalidDocument, "missing \"os\"") {
            try CanonicalJSON.decode(Platform.self, from: json(#"{"architecture":"amd64"}"#))
        }
        assertImageSpecError(.invalidPlatform, "architecture") {
            try CanonicalJSON.decode(Platform.self, from: json(#"{"architecture":"","os":"linux"}"#))
        }
    }

    // MARK: - Matching

    private func descriptor(_ platform: String?, _ n: Int) throws -> Descriptor {
        let parts = platform?.split(separator: "/").map(String.init)
        let value = try parts.map { try Platform(os: $0[0], architecture: $0[1], variant: $0.count > 2 ? $0[2] : nil) }
        let hex = String(repeating: String(n % 10), count: 64)
        return Descriptor(mediaType: .ociManifest, digest: try Digest(parsing: "sha256:" + hex), size: Int64(n), platform: value)
    }

    func testBestMatch() throws {
        let multi = try [
            descriptor("linux/amd64", 1), descriptor("linux/arm64/v8", 2), descriptor("linux/arm/v7", 3),
            descriptor("linux/arm/v6", 4), descriptor("linux/386", 5), descriptor("unknown/unknown", 6),
            descriptor(nil, 7), descriptor("linux/ppc64le", 8), descriptor("windows/amd64", 9),
        ]
        let cases: [(String, [Descriptor], Int?)] = try [
            ("linux/amd64", multi, 1),
            ("linux/x86_64", multi, 1),
            ("linux/arm64", multi, 2),
            ("linux/aarch64", multi, 2),
            ("linux/arm64/v8", [descriptor("linux/arm64", 2)], 2),
            ("linux/arm/v7", multi, 3),
            ("linux/arm", multi, 3),
            ("linux/arm/v6", multi, 4),
            ("linux/arm/v8", multi, 3),
            ("linux/arm/v5", multi, nil),
            ("linux/386", multi, 5),
            ("linux/ppc64le", multi, 8),
            ("linux/s390x", multi, nil),
            ("windows/amd64", multi, 9),
            ("linux/amd64", [descriptor("linux/386", 5), descriptor("linux/arm64", 2)], 5),
            ("linux/amd64/v3", [descriptor("linux/amd64", 1), descriptor("linux/amd64/v2", 2)], 2),
            ("linux/amd64/v2", [descriptor("linux/amd64/v3", 3)], nil),
            ("linux/arm64", [descriptor("linux/arm/v7", 3), descriptor("linux/arm/v6", 4)], 3),
            ("linux/arm64", [descriptor("linux/amd64", 1)], nil),
            ("linux/arm/v7", [descriptor("linux/arm64", 2)], nil),
            ("linux/amd64", [descriptor("linux/amd64", 1), descriptor("linux/amd64", 2)], 1),
            ("linux/amd64", [], nil),
        ]
        for (wanted, candidates, expected) in cases {
            let platform = try Platform(parsing: wanted)
            XCTAssertEqual(platform.bestMatch(in: candidates).map { Int($0.size) }, expected, "\(wanted) in \(candidates.map { $0.platform?.description ?? "-" })")
            XCTAssertEqual(Index(manifests: candidates).manifest(for: platform), platform.bestMatch(in: candidates))
        }
    }

    func testPreferenceOrder() throws {
        let arm64 = try Platform(parsing: "linux/arm64")
        XCTAssertEqual(arm64.compatiblePlatforms.map(\.description), ["linux/arm64/v8", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"])
        let amd64 = try Platform(parsing: "linux/amd64/v3")
        XCTAssertEqual(amd64.compatiblePlatforms.map(\.description), ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"])
        XCTAssertEqual(try Platform(parsing: "linux/arm/v7").compatiblePlatforms.map(\.description), ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"])
        XCTAssertEqual(try Platform(parsing: "linux/amd64/v99999999999").compatiblePlatforms.map(\.description), ["linux/amd64/v99999999999", "linux/386"])
        XCTAssertEqual(try Platform(parsing: "linux/arm/v9223372036854775807").compatiblePlatforms.count, 1)
        XCTAssertEqual(arm64.preference(for: try Platform(os: "linux", architecture: "aarch64")), 0)
        XCTAssertTrue(try Platform(parsing: "linux/amd64").canRun(try Platform(parsing: "linux/386")))
        XCTAssertFalse(try Platform(parsing: "linux/386").canRun(try Platform(parsing: "linux/amd64")))
        XCTAssertFalse(try Platform(parsing: "linux/amd64").canRun(try Platform(parsing: "windows/amd64")))
    }
}
