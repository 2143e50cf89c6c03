import Foundation
import TestVectors
import XCTest

/// `kiln build` without `-f` finds the Dockerfile as BuildKit does.
final class DockerfileFallbackTests: XCTestCase {
    // BuildKit frontend/dockerfile testDockerfileLowercase: a context holding only `dockerfile`
    // (lower case) builds without -f; `Dockerfile` wins when both exist; neither is an error.
    func testLowerCaseDockerfileFallback() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-lower-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let context = scratch.appendingPathComponent("ctx")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        let root = ["--root", scratch.appendingPathComponent("store").path]

        let missing = try KilnProcess.run(["build", "-q", context.path] + root)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/Dockerfile: no such file or directory"), missing.stderr)

        try Data("FROM scratch\nLABEL from=lower\n".utf8).write(to: context.appendingPathComponent("dockerfile"))
        let lower = try KilnProcess.run(["build", "-q", "-t", "lower:1", context.path] + root)
        XCTAssertEqual(lower.status, 0, lower.stderr)
        let inspected = try KilnProcess.run(["inspect", "lower:1"] + root)
        XCTAssertTrue(inspected.stdout.contains("\"from\": \"lower\""), inspected.stdout)

        // On a case-insensitive file system both names are one file; only check where they differ.
        try Data("FROM scratch\nLABEL from=upper\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: context.path)
        if entries.count == 2 {
            let upper = try KilnProcess.run(["build", "-q", "-t", "upper:1", context.path] + root)
            XCTAssertEqual(upper.status, 0, upper.stderr)
            let config = try KilnProcess.run(["inspect", "upper:1"] + root)
            XCTAssertTrue(config.stdout.contains("\"from\": \"upper\""), config.stdout)
        }
    }
}
