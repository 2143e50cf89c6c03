import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

/// The store lock must exclude other processes, as `kiln` processes sharing one root do.
final class LockTests: StoreTestCase {
    func testTagWaitsForAnotherProcessHoldingTheLock() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else {
            throw XCTSkip("util-linux flock(1) is not installed")
        }
        let image = try makeImage(layer: "locked")
        let ready = store.location.stateDirectory.appendingPathComponent("holder-ready")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [store.location.lockFile.path, "sh", "-c", "touch \"$0\"; sleep 1", ready.path]
        try holder.run()
        while !FileManager.default.fileExists(atPath: ready.path) { try await Task.sleep(nanoseconds: 10_000_000) }

        let start = Date()
        try await store.tag(try ref("app"), image.manifest)
        let waited = Date().timeIntervalSince(start)
        holder.waitUntilExit()
        XCTAssertGreaterThan(waited, 0.5, "tag must wait while another process holds kiln/lock")
        XCTAssertEqual(try store.resolve(try ref("app"))?.digest, image.manifest.digest)
    }
}
