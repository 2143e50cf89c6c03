import Builder
import Foundation
import XCTest

/// A context COPY whose context is unchanged takes its source checksum from the memo (trace phase
/// `plan-memo`, no walk of its sources, no layer plan); any change a COPY could see — content (even
/// with size and mtime put back), a new file, a mode — plans again and gives the new layer.
final class ContextFingerprintTests: BuilderTestCase {
    /// Builds with a trace; returns the image ID and the trace's phase names of the COPY step.
    private func traced(_ dockerfile: String) async throws -> (id: String, phases: Set<String>, result: BuildResult) {
        let trace = root.appendingPathComponent("trace-\(UUID().uuidString).json").path
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.tracePath = trace
        let result = try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [[String: Any]])
        let phases = events.filter { (($0["args"] as? [String: Any])?["step"] as? String)?.contains("COPY") == true }
            .compactMap { $0["name"] as? String }
        return (result.id.description, Set(phases), result)
    }

    /// Lets the context's last change age past the scan's settle window (a change in the same
    /// filesystem clock tick as a scan is never trusted to a fingerprint).
    private func settle() {
        usleep(250_000)
    }

    private let dockerfile = "FROM scratch\nCOPY . /app/\n"

    func testUnchangedContextUsesTheMemoAndChangesPlanAgain() async throws {
        try write("a.txt", "alpha\n")
        try write("dir/b.txt", "bravo\n")
        settle()
        let first = try await traced(dockerfile)
        XCTAssertTrue(first.phases.contains("plan"), "\(first.phases)")
        let second = try await traced(dockerfile)
        XCTAssertEqual(second.id, first.id)
        XCTAssertTrue(second.phases.contains("plan-memo"), "\(second.phases)")
        XCTAssertFalse(second.phases.contains("plan"), "a no-op rebuild planned the COPY: \(second.phases)")

        // Same size, mtime put back: only the ctime tells.
        let path = context.appendingPathComponent("dir/b.txt").path
        let mtime = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        try write("dir/b.txt", "BRAVO\n")
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)
        settle()
        let third = try await traced(dockerfile)
        XCTAssertNotEqual(third.id, first.id)
        XCTAssertTrue(third.phases.contains("plan"), "\(third.phases)")
        XCTAssertEqual(try file("app/dir/b.txt", in: third.result), "BRAVO\n")

        // A new file in a directory.
        try write("dir/c.txt", "charlie\n")
        settle()
        let fourth = try await traced(dockerfile)
        XCTAssertEqual(try file("app/dir/c.txt", in: fourth.result), "charlie\n")
        let fifth = try await traced(dockerfile)
        XCTAssertEqual(fifth.id, fourth.id)
        XCTAssertTrue(fifth.phases.contains("plan-memo"), "\(fifth.phases)")

        // A mode.
        XCTAssertEqual(chmod(context.appendingPathComponent("a.txt").path, 0o600), 0)
        settle()
        let sixth = try await traced(dockerfile)
        XCTAssertNotEqual(sixth.id, fifth.id)
        XCTAssertTrue(sixth.phases.contains("plan"), "\(sixth.phases)")
    }

    /// A build started right after a change (a script that writes a file, then builds) does not
    /// wait for the change to settle: its plan is incremental and its memo is recorded with the
    /// racy paths, which the next settled rebuild reads again before it uses the memo (plan-memo);
    /// a change right before a build is never hidden by the memo.
    func testABuildRightAfterAChangeStillLeavesANoOpRebuild() async throws {
        try write("a.txt", "alpha\n")
        try write("dir/b.txt", "bravo\n")
        let first = try await traced(dockerfile)  // no settle(): the change is milliseconds old
        XCTAssertEqual(try file("app/a.txt", in: first.result), "alpha\n")
        XCTAssertTrue(first.phases.contains("plan-incremental"), "\(first.phases)")
        let second = try await traced(dockerfile)
        XCTAssertEqual(second.id, first.id)
        XCTAssertTrue(second.phases.contains("plan-memo") || second.phases.contains("plan-incremental"), "\(second.phases)")
        settle()
        let third = try await traced(dockerfile)
        XCTAssertEqual(third.id, first.id)
        XCTAssertTrue(third.phases.contains("plan-memo"), "\(third.phases)")
        let fourth = try await traced(dockerfile)
        XCTAssertTrue(fourth.phases.contains("plan-memo"), "\(fourth.phases)")
        // An unsettled build's memo is used by the next (settled) build once its racy file reads the same.
        try write("dir/b.txt", "BRAVO\n")
        let changed = try await traced(dockerfile)
        XCTAssertEqual(try file("app/dir/b.txt", in: changed.result), "BRAVO\n")
        settle()
        let after = try await traced(dockerfile)
        XCTAssertEqual(after.id, changed.id)
        XCTAssertTrue(after.phases.contains("plan-memo"), "\(after.phases)")
        XCTAssertFalse(after.phases.contains("plan"), "\(after.phases)")
        try write("a.txt", "ALPHA\n")
        let fifth = try await traced(dockerfile)
        XCTAssertEqual(try file("app/a.txt", in: fifth.result), "ALPHA\n")
        XCTAssertNotEqual(fifth.id, after.id)
        // Same size, at once: the racy rule re-reads it even if its stamp looked the same.
        try write("a.txt", "alpha\n")
        let sixth = try await traced(dockerfile)
        XCTAssertEqual(sixth.id, after.id)
        XCTAssertEqual(try file("app/a.txt", in: sixth.result), "alpha\n")
    }

    func testExcludedFileChangesKeepTheMemo() async throws {
        try write(".dockerignore", "ignored.txt\n")
        try write("a.txt", "alpha\n")
        try write("ignored.txt", "one\n")
        settle()
        let first = try await traced(dockerfile)
        XCTAssertNil(try file("app/ignored.txt", in: first.result))
        try write("ignored.txt", "two, longer\n")
        settle()
        let second = try await traced(dockerfile)
        XCTAssertEqual(second.id, first.id)
        XCTAssertTrue(second.phases.contains("plan-memo"), "\(second.phases)")
    }

    /// --no-cache reads no memo but writes one (as it writes cache records, like BuildKit), so the
    /// rebuild after a --no-cache build is a no-op.
    func testNoCacheWritesTheMemoWithoutReadingIt() async throws {
        try write("a.txt", "alpha\n")
        settle()
        let trace = root.appendingPathComponent("trace-no-cache.json").path
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        options.noCache = true
        options.tracePath = trace
        for _ in 0..<2 {
            _ = try await Builder(options: options, images: service, progress: BuildProgress(mode: .quiet)).build()
            let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [[String: Any]])
            XCTAssertFalse(events.contains { $0["name"] as? String == "plan-memo" }, "--no-cache used a memo")
        }
        let plans = service.store.buildCacheDirectory.appendingPathComponent("plans").path
        XCTAssertFalse(((try? FileManager.default.contentsOfDirectory(atPath: plans)) ?? []).isEmpty)
        let cached = try await traced(dockerfile)
        XCTAssertTrue(cached.phases.contains("plan-memo"), "\(cached.phases)")
    }
}
