import ContextFilter
@testable import CopyPlanner
import Foundation
import ImageSpec
import LayerArchive
import XCTest

/// IncrementalCopyPlanner against the full plan: after each change to a context (adds, removes,
/// renames, mode/owner/xattr changes, a changed .dockerignore, symlinks, hard links, a directory
/// replaced by a file, a change inside the settle window) the incremental plan made from the
/// previous record must equal `CopyPlanner.plan` of the same context — entries, order, headers,
/// checksum — and must have re-read only the changed paths.
final class IncrementalCopyPlannerTests: XCTestCase {
    var root = ""
    var ctx: String { root + "/ctx" }
    let now = TarTime(seconds: 1_700_000_000)
    var record: [UInt8]?

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("incremental-plan-\(UUID().uuidString)").path
        for dir in ["ctx/src/lib", "ctx/docs", "dest/app/docs", "scratch"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try write("a.txt", "alpha\n")
        try write("src/main.c", "int main() {}\n")
        try write("src/lib/util.c", "void util() {}\n")
        try write("src/lib/empty", "")
        try write("docs/readme.md", "# docs\n")
        try write("secret.key", "hidden\n")
        try write(".dockerignore", "secret.key\n")
        XCTAssertEqual(chmod(ctx + "/src/main.c", 0o755), 0)
        try FileManager.default.createSymbolicLink(atPath: ctx + "/src/link", withDestinationPath: "lib/util.c")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: root + "/dest/app/docs/old.md"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: ctx + "/" + path))
    }

    private static func realtime() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// The scan a build makes (ContextScan's walk: Docker 20.10's rule, the .dockerignore patterns).
    private func scan() throws -> ContextListing {
        let started = Self.realtime()
        let patterns = ((try? String(contentsOfFile: ctx + "/.dockerignore", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var paths: [String] = []
        var stamps: [SourceStamp] = []
        try ContextWalker(matcher: try PatternMatcher(patterns), rule: .docker2010).walk(ctx) { entry, info in
            paths.append(entry.path)
            stamps.append(SourceStamp(info))
        }
        return ContextListing(paths: paths, stamps: stamps, scanStarted: started)
    }

    /// The context as the builder hands it to the planner (.dockerignore'd paths invisible).
    private func tree(_ listing: ContextListing, cache: FileChecksumCache? = nil) -> CopySourceTree {
        let included = Set(listing.paths)
        return CopySourceTree(root: ctx, isContext: true, excluded: { !included.contains($0) },
                              keepsExcludedDirectory: { _ in false }, checksumCache: cache)
    }

    /// Plans incrementally from the last record and in full; asserts they are the same plan.
    @discardableResult
    private func check(_ request: CopyRequest = CopyRequest(sources: ["."], destination: "/app/"), dest: Bool = true,
                       listing given: ContextListing? = nil, settle: Int64 = 0,
                       file: StaticString = #filePath, line: UInt = #line) throws -> IncrementalCopyPlanner.Outcome? {
        let listing = try given ?? scan()
        let destinationRoot = dest ? root + "/dest" : nil
        let outcome = try IncrementalCopyPlanner.plan(request, from: tree(listing), destinationRoot: destinationRoot,
                                                      scratch: root + "/scratch", listing: listing, previous: record,
                                                      settleNanoseconds: settle, now: now)
        let full = try CopyPlanner.plan(request, from: tree(listing), destinationRoot: destinationRoot, scratch: root + "/scratch", now: now)
        guard let outcome else { return nil }
        XCTAssertEqual(outcome.plan.entries.map(\.header.path), full.entries.map(\.header.path), file: file, line: line)
        XCTAssertEqual(outcome.plan.entries, full.entries, file: file, line: line)
        XCTAssertEqual(outcome.plan.sourceDigest, full.sourceDigest, file: file, line: line)
        record = outcome.record()
        return outcome
    }

    func testEveryKindOfChangeGivesTheFullPlan() throws {
        let first = try XCTUnwrap(check())
        XCTAssertEqual(first.reused, 0)
        let all = first.derived
        XCTAssertGreaterThan(all, 7)
        XCTAssertFalse(first.plan.entries.contains { $0.header.path.contains("secret") })

        XCTAssertTrue(first.recordChanged)
        let same = try XCTUnwrap(check())
        XCTAssertEqual(same.derived, 0)
        XCTAssertEqual(same.reused, all)
        XCTAssertFalse(same.recordChanged)

        try write("src/lib/new.c", "new\n")  // add: the file and its directory
        let added = try XCTUnwrap(check())
        XCTAssertEqual(added.derived, 2)
        XCTAssertTrue(added.recordChanged)
        try FileManager.default.removeItem(atPath: ctx + "/src/lib/new.c")  // remove
        let removed = try XCTUnwrap(check())
        XCTAssertEqual(removed.derived, 1)
        XCTAssertTrue(removed.recordChanged)
        try FileManager.default.moveItem(atPath: ctx + "/a.txt", toPath: ctx + "/b.txt")  // rename
        try XCTUnwrap(check())
        XCTAssertEqual(chmod(ctx + "/b.txt", 0o600), 0)  // mode
        XCTAssertEqual(try XCTUnwrap(check()).derived, 1)
        XCTAssertEqual(chown(ctx + "/b.txt", 1234, 5678), 0)  // owner (context files are 0:0; still re-read)
        XCTAssertEqual(try XCTUnwrap(check()).derived, 1)
        let kept = record
        XCTAssertEqual(try XCTUnwrap(check(CopyRequest(sources: ["."], destination: "/app/", owner: (7, 8)))).plan.entries.last?.header.uid, 7)
        record = kept
        // security.capability (cap_net_bind_service, VFS_CAP_REVISION_2): kept in the header.
        let caps: [UInt8] = [0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        if (try? Xattrs.set(ctx + "/src/main.c", "security.capability", caps)) != nil {
            let withCaps = try XCTUnwrap(check())
            XCTAssertEqual(withCaps.derived, 1)
            XCTAssertEqual(withCaps.plan.entries.first { $0.header.path == "app/src/main.c" }?.header.xattrs["security.capability"], caps)
        }
        try write("secret.key", "changed\n")  // an excluded file: nothing to re-read
        XCTAssertEqual(try XCTUnwrap(check()).derived, 0)
        try write(".dockerignore", "src/lib\n")  // a changed .dockerignore: secret.key in, src/lib out
        let ignored = try XCTUnwrap(check())
        XCTAssertTrue(ignored.plan.entries.contains { $0.header.path == "app/secret.key" })
        XCTAssertFalse(ignored.plan.entries.contains { $0.header.path.hasPrefix("app/src/lib") })
        try write(".dockerignore", "secret.key\n")
        try XCTUnwrap(check())
        try FileManager.default.removeItem(atPath: ctx + "/src/link")  // symlink retargeted, one added
        try FileManager.default.createSymbolicLink(atPath: ctx + "/src/link", withDestinationPath: "../b.txt")
        try FileManager.default.createSymbolicLink(atPath: ctx + "/docs/up", withDestinationPath: "..")
        try XCTUnwrap(check())
        try FileManager.default.removeItem(atPath: ctx + "/src/lib")  // a directory replaced by a file
        try write("src/lib", "now a file\n")
        try XCTUnwrap(check())
        try FileManager.default.removeItem(atPath: ctx + "/src/lib")  // and back
        try FileManager.default.createDirectory(atPath: ctx + "/src/lib/deeper", withIntermediateDirectories: true)
        try write("src/lib/deeper/x", "x\n")
        try XCTUnwrap(check())
        XCTAssertEqual(try XCTUnwrap(check()).derived, 0)
    }

    func testOperandsDestinationsAndFlags() throws {
        for request in [CopyRequest(sources: ["src"], destination: "/opt/src"),
                        CopyRequest(sources: ["src/"], destination: "out", workingDirectory: "/app"),
                        CopyRequest(sources: ["."], destination: "/"),
                        CopyRequest(sources: ["docs"], destination: "/app/docs/", mode: 0o700),
                        CopyRequest(sources: ["."], destination: "/app/", symbolicMode: "go-w"),
                        CopyRequest(sources: ["src"], destination: "/new/deep/", isAdd: true)] {
            record = nil
            for dest in [true, false] {
                try XCTUnwrap(check(request, dest: dest), "\(request.sources) \(request.destination)")
                try write("src/lib/touched", UUID().uuidString)
                let again = try XCTUnwrap(check(request, dest: dest))
                XCTAssertLessThanOrEqual(again.derived, 2, "\(request.sources) \(request.destination) \(dest)")
            }
        }
    }

    func testOtherShapesAndHardLinksPlanInFull() throws {
        XCTAssertNil(try check(CopyRequest(sources: ["*.txt"], destination: "/app/")))
        XCTAssertNil(try check(CopyRequest(sources: ["a.txt"], destination: "/app/")))
        XCTAssertNil(try check(CopyRequest(sources: ["src", "docs"], destination: "/app/")))
        XCTAssertNil(try check(CopyRequest(sources: ["."], destination: "/app/", excludePatterns: ["*.c"])))
        XCTAssertNil(try check(CopyRequest(sources: ["src"], destination: "/app/", parents: true)))
        try XCTUnwrap(check())
        XCTAssertEqual(link(ctx + "/a.txt", ctx + "/docs/a-again.txt"), 0)
        XCTAssertNil(try check())
        // A destination conflict is reported by the full plan.
        try Data().write(to: URL(fileURLWithPath: root + "/dest/app/src"))
        record = nil
        XCTAssertThrowsError(try check())
    }

    /// A change the stamps cannot show (same size, same times: here, a listing made before it) is
    /// still read when the recorded scan was within the settle window of the recorded ctime.
    func testChangesInsideTheSettleWindowAreReadAgain() throws {
        try write("docs/readme.md", "# docs\n")  // ctime: now
        let listing = try scan()
        let settle: Int64 = 100_000_000
        try XCTUnwrap(check(listing: listing, settle: settle))
        try write("docs/readme.md", "# DOCS\n")  // same size; the stale listing keeps the old stamp
        let again = try XCTUnwrap(check(listing: listing, settle: settle))
        XCTAssertGreaterThanOrEqual(again.derived, 1)
        XCTAssertTrue(again.recordChanged)
        // Read again and found as recorded: nothing to write.
        XCTAssertFalse(try XCTUnwrap(check(listing: listing, settle: settle)).recordChanged)
        XCTAssertEqual(again.plan.entries.first { $0.header.path == "app/docs/readme.md" }.map { try? String(contentsOfFile: $0.contentPath!, encoding: .utf8) }, "# DOCS\n")
        // Out of the window (settle 0 stands for a record made long after), the same stamps are reused.
        let trusted = try XCTUnwrap(check(listing: listing, settle: 0))
        XCTAssertEqual(trusted.derived, 0)
    }

    /// The racy paths' digest is found again while they are unchanged and differs after a change
    /// their stamps might not show (same size).
    func testRacyDigestReadsTheRacyPathsAgain() throws {
        let listing = try scan()
        let request = CopyRequest(sources: ["."], destination: "/app/")
        let outcome = try XCTUnwrap(IncrementalCopyPlanner.plan(request, from: tree(listing), destinationRoot: root + "/dest",
                                                                scratch: root + "/scratch", listing: listing, previous: nil,
                                                                settleNanoseconds: 0, racy: ["docs/readme.md", "src/lib", "secret.key"]))
        XCTAssertEqual(outcome.racyPaths, ["docs/readme.md", "src/lib"])
        func again() throws -> Digest? {
            try IncrementalCopyPlanner.racyDigest(request, from: tree(listing), destinationRoot: root + "/dest",
                                                  scratch: root + "/scratch", paths: outcome.racyPaths)
        }
        XCTAssertEqual(try again(), outcome.racyDigest)
        try write("docs/readme.md", "# DOCS\n")
        XCTAssertNotEqual(try again(), outcome.racyDigest)
        try write("docs/readme.md", "# docs\n")
        XCTAssertEqual(try again(), outcome.racyDigest)
        XCTAssertEqual(chmod(ctx + "/src/lib", 0o700), 0)
        XCTAssertNotEqual(try again(), outcome.racyDigest)
        try FileManager.default.removeItem(atPath: ctx + "/docs/readme.md")
        XCTAssertNil(try again())
    }

    func testDamagedOrForeignRecordsReadEverything() throws {
        let first = try XCTUnwrap(check())
        record = Array(first.record().dropLast(3))
        XCTAssertEqual(try XCTUnwrap(check()).reused, 0)
        record?[5] ^= 0xFF
        XCTAssertEqual(try XCTUnwrap(check()).reused, 0)
        XCTAssertEqual(try XCTUnwrap(check(CopyRequest(sources: ["."], destination: "/other/"))).reused, 0)
    }

    func testRecordBytesMatchTheStringFormat() {
        var header = TarHeader(path: "a/b c", type: .characterDevice, mode: 0o4755, uid: -1, gid: 65534, size: 12,
                               linkName: "t", deviceMajor: 10, deviceMinor: 255, xattrs: ["b": [0, 15, 255], "a": [1]])
        for type in [TarEntryType.regular, .directory, .symlink, .hardlink, .characterDevice, .blockDevice, .fifo] {
            header.type = type
            var bytes: [UInt8] = []
            SourceChecksum.appendRecord(header, content: "sha256:00", to: &bytes)
            var text = "\(header.path)\u{0}\(header.type)\u{0}\(String(header.mode, radix: 8))\u{0}\(header.uid):\(header.gid)\u{0}\(header.size)\u{0}"
            text += "\(header.linkName)\u{0}\(header.deviceMajor),\(header.deviceMinor)\u{0}"
            for key in header.xattrs.keys.sorted() {
                text += "\(key)=\(header.xattrs[key]!.map { String($0, radix: 16) }.joined(separator: ","))\u{0}"
            }
            XCTAssertEqual(bytes, Array((text + "sha256:00\n").utf8))
        }
    }
}
