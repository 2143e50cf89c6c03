import Foundation
import TestVectors
import XCTest

/// `kiln build --build-context` end to end with the built binary: buildx's value forms
/// (`docker buildx build --build-context` reference: `name=path`, `name=oci-layout://path:tag`),
/// its reserved names, and an unknown tag in a layout.
final class BuildContextFlagTests: XCTestCase {
    func testOCILayoutAndDirectoryContexts() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-context-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let context = scratch.appendingPathComponent("ctx"), assets = scratch.appendingPathComponent("assets")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: assets, withIntermediateDirectories: true)
        try Data("hi\n".utf8).write(to: assets.appendingPathComponent("hello.txt"))
        try Data("FROM base\nCOPY --from=assets hello.txt /hello.txt\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        let root = ["--root", scratch.appendingPathComponent("store").path]
        let fixture = Vectors.shared.appendingPathComponent("fixtures/busybox").path
        guard FileManager.default.fileExists(atPath: fixture) else { throw XCTSkip("no busybox fixture") }

        let built = try KilnProcess.run(["build", "-q", "--build-context", "base=oci-layout://\(fixture):latest",
                                         "--build-context", "assets=\(assets.path)", context.path] + root)
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stdout.hasPrefix("sha256:"), built.stdout)

        let unknown = try KilnProcess.run(["build", "--build-context", "base=oci-layout://\(fixture):nope", context.path] + root)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no image nope in the OCI layout"), unknown.stderr)

        let reserved = try KilnProcess.run(["build", "--build-context", "context=\(assets.path)", context.path] + root)
        XCTAssertEqual(reserved.status, 1)
        XCTAssertTrue(reserved.stderr.contains("reserved name"), reserved.stderr)
    }
}
