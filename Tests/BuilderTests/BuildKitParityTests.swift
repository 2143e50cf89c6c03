@testable import Builder
import Foundation
import ImageSpec
import XCTest

/// Behaviours of current BuildKit (issue 21), each ported from the BuildKit frontend test or PR
/// named in its comment, built with the busybox fixture.
final class BuildKitParityTests: BuilderTestCase {
    private func cached(_ lines: [String]) -> Bool { lines.contains { $0.hasSuffix(" CACHED") } }

    // BuildKit keys an exec's mounts by the content hash of the mounted path
    // (solver/llbsolver/ops/exec.go ContentBasedHash; frontend test testMountContext mounts the
    // context). A changed bind-mounted context file re-runs the step and shows the new content;
    // unchanged (even touched) it is CACHED, exactly as COPY's checksum.
    func testBindMountedContextContentIsInTheCacheKey() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("data/value.txt", "first\n")
        try write("other.txt", "not mounted\n")
        let dockerfile = "FROM \(base)\nRUN --mount=source=data,target=/x cat /x/value.txt\n"
        let (_, first) = try await build(dockerfile) { _ in }
        XCTAssertFalse(cached(first), first.joined(separator: "\n"))
        XCTAssertTrue(outputLines(first).contains("first"), first.joined(separator: "\n"))

        let (_, same) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(same), same.joined(separator: "\n"))

        // Another context file (not below the mount source) does not matter.
        try write("other.txt", "changed\n")
        let (_, unrelated) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(unrelated), unrelated.joined(separator: "\n"))

        try write("data/value.txt", "second\n")
        let (_, changed) = try await build(dockerfile) { _ in }
        XCTAssertFalse(cached(changed), changed.joined(separator: "\n"))
        XCTAssertTrue(outputLines(changed).contains("second"), changed.joined(separator: "\n"))

        // A single-file source and the whole context (`source=.`) behave the same.
        let whole = "FROM \(base)\nRUN --mount=source=.,target=/ctx cat /ctx/data/value.txt\n"
        _ = try await build(whole) { _ in }
        try write("data/value.txt", "third\n")
        let (_, rerun) = try await build(whole) { _ in }
        XCTAssertFalse(cached(rerun), rerun.joined(separator: "\n"))
        XCTAssertTrue(outputLines(rerun).contains("third"), rerun.joined(separator: "\n"))
    }

    // Same rule for a .dockerignore'd file: BuildKit never sends it, so the mount does not show it
    // and changing it keeps the cache (frontend/dockerfile testDockerignore, the mount reads the
    // same filtered context as COPY).
    func testBindMountHonoursDockerignore() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write(".dockerignore", "secret.txt\n")
        try write("secret.txt", "hidden\n")
        try write("shown.txt", "shown\n")
        let dockerfile = "FROM \(base)\nRUN --mount=target=/ctx sh -c 'ls /ctx; cat /ctx/shown.txt'\n"
        let (_, first) = try await build(dockerfile) { _ in }
        XCTAssertFalse(outputLines(first).contains("secret.txt"), first.joined(separator: "\n"))
        XCTAssertTrue(outputLines(first).contains("shown.txt"), first.joined(separator: "\n"))
        try write("secret.txt", "changed\n")
        let (_, again) = try await build(dockerfile) { _ in }
        XCTAssertTrue(cached(again), again.joined(separator: "\n"))
    }
}
