import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class OverlayMountTests: XCTestCase {
    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("mounting needs root") }
    }

    func testScratchAndSingleLowerAndIdempotentUnmount() throws {
        let base = try Fixture.scratch("mounts")
        defer { try? FileManager.default.removeItem(atPath: base) }
        for name in ["lower", "upper", "a", "b", "c"] {
            try FileManager.default.createDirectory(atPath: base + "/" + name, withIntermediateDirectories: true)
        }
        try "x".write(toFile: base + "/lower/file", atomically: true, encoding: .utf8)

        let scratch = try OverlayMount.mount(lowerDirs: [], upperDir: base + "/upper", workDir: nil, target: base + "/a", readOnly: false)
        try "y".write(toFile: base + "/a/made", atomically: true, encoding: .utf8)
        try scratch.unmount()
        try scratch.unmount()
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + "/upper/made"))

        let single = try OverlayMount.mount(lowerDirs: [base + "/lower"], upperDir: nil, workDir: nil, target: base + "/b", readOnly: true)
        XCTAssertEqual(try String(contentsOfFile: base + "/b/file", encoding: .utf8), "x")
        XCTAssertThrowsError(try "z".write(toFile: base + "/b/other", atomically: false, encoding: .utf8))
        try single.unmount()

        let empty = try OverlayMount.mount(lowerDirs: [], upperDir: nil, workDir: nil, target: base + "/c", readOnly: true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/c"), [])
        try empty.unmount()
    }

    func testReadOnlyOverlayOfLowersWithSpecialCharacters() throws {
        let base = try Fixture.scratch("special")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let lowers = [base + "/a,b", base + "/c:d", base + "/e"]
        for (number, lower) in lowers.enumerated() {
            try FileManager.default.createDirectory(atPath: lower, withIntermediateDirectories: true)
            try "\(number)".write(toFile: lower + "/which", atomically: true, encoding: .utf8)
        }
        try "base".write(toFile: lowers[0] + "/only-base", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: base + "/merged", withIntermediateDirectories: true)
        let mount = try OverlayMount.mount(lowerDirs: lowers, upperDir: nil, workDir: nil, target: base + "/merged", readOnly: true)
        defer { try? mount.unmount() }
        XCTAssertEqual(try String(contentsOfFile: base + "/merged/which", encoding: .utf8), "2", "the last lower dir is on top")
        XCTAssertEqual(try String(contentsOfFile: base + "/merged/only-base", encoding: .utf8), "base")
        XCTAssertThrowsError(try OverlayMount.mount(lowerDirs: lowers, upperDir: nil, workDir: nil, target: base + "/merged",
                                                    readOnly: false))
    }
}
