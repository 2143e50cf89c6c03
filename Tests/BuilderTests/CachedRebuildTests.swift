import Builder
import Foundation
import ImageSpec
import XCTest

/// Issue 16 point 4: a build whose every step comes from the cache gives the same image ID, as in
/// Docker 20.10: a layer's history entry is dated when the layer was first made (the cache record),
/// a config-only entry takes the time of the layer before it, and `created` is the last entry's.
final class CachedRebuildTests: BuilderTestCase {
    func testFullyCachedRebuildKeepsTheImageID() async throws {
        try write("a.txt", "a")
        let dockerfile = "FROM scratch\nENV A=1\nCOPY a.txt /a.txt\nLABEL l=1\nWORKDIR /w\nCMD [\"x\"]\n"
        let (first, _) = try await build(dockerfile)
        let (second, lines) = try await build(dockerfile)
        XCTAssertEqual(lines.filter { $0.hasSuffix(" CACHED") }.count, 2, lines.joined(separator: "\n"))
        XCTAssertEqual(first.id, second.id)
        // Every entry is dated; ENV before the first layer takes the COPY layer's time, LABEL after it too.
        let history = second.config.history
        XCTAssertTrue(history.allSatisfy { $0.created != nil })
        XCTAssertEqual(history[0].created, history[1].created)
        XCTAssertEqual(history[2].created, history[1].created)
        XCTAssertEqual(second.config.created, history.last?.created)
        // A change makes a new layer, with a new time, and so a new ID.
        try write("a.txt", "b")
        let (changed, _) = try await build(dockerfile)
        XCTAssertNotEqual(changed.id, first.id)
    }

    func testCachedRebuildWithRunKeepsTheImageID() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = "FROM \(base)\nARG V=1\nRUN echo $V > /v\nENV X=y\n"
        let (first, _) = try await build(dockerfile)
        let (second, lines) = try await build(dockerfile)
        XCTAssertTrue(lines.contains { $0.hasSuffix(" CACHED") }, lines.joined(separator: "\n"))
        XCTAssertEqual(first.id, second.id)
        let (fresh, _) = try await build(dockerfile, noCache: true)
        XCTAssertNotEqual(fresh.id, first.id)
    }
}
