import Foundation
import TestVectors
import XCTest

/// `kiln save`, `kiln load`, `kiln import` end to end with the built binary.
final class ArchiveCommandTests: XCTestCase {
    func testSaveLoadImport() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let a = ["--root", scratch.appendingPathComponent("a").path]
        let b = ["--root", scratch.appendingPathComponent("b").path]
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path

        let loaded = try KilnProcess.run(["load", "-i", fixture] + a)
        XCTAssertEqual(loaded.status, 0, loaded.stderr)
        XCTAssertEqual(loaded.stdout, "Loaded image ID: sha256:d11fbbd6ad3688b4a530cf69089f2bcd4d6c0a8342dca3504177efe3a83f9edf\n")

        let rootfs = scratch.appendingPathComponent("rootfs.tar").path
        let saved = try KilnProcess.run(["save", "-o", rootfs, "sha256:e18e8acfca9d134497745905c6f95b163537a278ffacac2270a708727f2b52e1"] + a)
        XCTAssertEqual(saved.status, 0, saved.stderr)

        let imported = try KilnProcess.run(["import", "-c", #"CMD ["/bin/sh"]"#, "-m", "msg", rootfs, "localhost:5000/imp:1"] + a)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.hasPrefix("sha256:") && imported.stdout.count == 72, imported.stdout)

        for format in ["docker", "oci"] {
            let archive = scratch.appendingPathComponent("imp-\(format).tar").path
            let save = try KilnProcess.run(["save", "--format", format, "-o", archive, "localhost:5000/imp:1"] + a)
            XCTAssertEqual(save.status, 0, save.stderr)
            let load = try KilnProcess.run(["load", "-q"] + b, stdin: try Data(contentsOf: URL(fileURLWithPath: archive)))
            XCTAssertEqual(load.status, 0, load.stderr)
            XCTAssertEqual(load.stdout, "Loaded image: localhost:5000/imp:1\n")
        }

        let missing = try KilnProcess.run(["save", "-o", scratch.appendingPathComponent("x.tar").path, "nosuch:1"] + a)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("No such image: nosuch:1"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("x.tar").path))

        let garbage = try KilnProcess.run(["load"] + b, stdin: Data(repeating: 0x41, count: 4096))
        XCTAssertEqual(garbage.status, 1)
        XCTAssertTrue(garbage.stderr.hasPrefix("error: "), garbage.stderr)
    }
}
