@testable import ConfinedFS
import Foundation
import XCTest

/// Paths longer than PATH_MAX, which openat2 refuses in one call: ConfinedRoot resolves them in steps
/// with the same meaning (ConfinedRoot+LongPaths.swift) — symlinks deep in such a path still resolve
/// inside the root, `..` still stops at the root, and `.noSymlinks` still refuses every symlink.
final class LongPathTests: XCTestCase {
    private var work: URL!
    private var root: String { work.appendingPathComponent("root").path }
    private var outside: String { work.appendingPathComponent("outside").path }
    /// 24 directories of 200 bytes each: about 4,850 bytes, more than PATH_MAX (4096).
    private let deep = "/" + (0..<24).map { String(format: "%02d", $0) + String(repeating: "d", count: 198) }.joined(separator: "/")

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-longpath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("root marker\n".utf8).write(to: URL(fileURLWithPath: root + "/marker"))
        try Data("host secret\n".utf8).write(to: URL(fileURLWithPath: outside + "/marker"))
        XCTAssertGreaterThan(deep.utf8.count, Int(PATH_MAX))
    }

    override func tearDownWithError() throws {
        XCTAssertEqual(try String(contentsOfFile: outside + "/marker", encoding: .utf8), "host secret\n", "the host file changed")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), ["marker"], "something was made outside the root")
        // rm -rf copes with the deep tree (it walks with descriptors).
        _ = Process.run("/bin/rm", ["-rf", work.path])
    }

    func testAFileBelowAPathLongerThanPathMaxIsCreatedReadAndRemoved() throws {
        let fsRoot = try ConfinedRoot(root)
        let dir = try fsRoot.mkdirAll(deep)
        XCTAssertEqual(try dir.stat().st_mode & S_IFMT, S_IFDIR)
        let file = try fsRoot.createFile(deep + "/file", mode: 0o640)
        XCTAssertEqual(write(file.fd, "deep content", 12), 12)
        XCTAssertEqual(try fsRoot.readFile(deep + "/file").map { String(decoding: $0, as: UTF8.self) }, "deep content")
        XCTAssertEqual(try fsRoot.lstat(deep + "/file")?.st_mode, S_IFREG | 0o640)
        XCTAssertNil(try fsRoot.stat(deep + "/missing"))
        XCTAssertThrowsError(try fsRoot.open(deep + "/missing/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ENOENT) }
        XCTAssertThrowsError(try fsRoot.mkdirAll(deep + "/file/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ENOTDIR) }
        // `.` and `..` inside a long path have their usual meaning.
        XCTAssertEqual(try fsRoot.readFile(deep + "/./x/../file").map { String(decoding: $0, as: UTF8.self) }, nil)
        try fsRoot.mkdirAll(deep + "/x")
        XCTAssertEqual(try fsRoot.readFile(deep + "/./x/../file").map { String(decoding: $0, as: UTF8.self) }, "deep content")
        try fsRoot.remove(deep + "/file")
        XCTAssertNil(try fsRoot.lstat(deep + "/file"))
    }

    func testSymlinksDeepInALongPathResolveInsideTheRoot() throws {
        let fsRoot = try ConfinedRoot(root)
        try fsRoot.mkdirAll(deep)
        try fsRoot.symlink("/", at: deep + "/absolute")
        try fsRoot.symlink(String(repeating: "../", count: 60), at: deep + "/climb")
        try fsRoot.symlink(outside, at: deep + "/host")
        try fsRoot.symlink("../" + deep.split(separator: "/").last! + "/absolute", at: deep + "/relative")
        for link in ["absolute", "climb", "relative"] {
            XCTAssertEqual(try fsRoot.readFile(deep + "/\(link)/marker").map { String(decoding: $0, as: UTF8.self) }, "root marker\n", link)
            XCTAssertEqual(try fsRoot.resolve(deep + "/\(link)"), "/", link)
        }
        // The host path a link names is a path inside the root: there is nothing there.
        XCTAssertNil(try fsRoot.readFile(deep + "/host/marker"))
        // Creating through the link creates inside the root.
        try fsRoot.mkdirAll(deep + "/host/made")
        var info = stat()
        XCTAssertEqual(lstat(root + outside + "/made", &info), 0, "not created at the link's path inside the root")
        // A path through a symlink back into the deep tree: over 9,000 bytes, two symlinks deep.
        let twice = deep + "/absolute" + deep + "/climb/marker"
        XCTAssertEqual(try fsRoot.readFile(twice).map { String(decoding: $0, as: UTF8.self) }, "root marker\n")
    }

    func testSymlinkLoopsInALongPathFail() throws {
        let fsRoot = try ConfinedRoot(root)
        try fsRoot.mkdirAll(deep)
        try fsRoot.symlink("loop", at: deep + "/loop")
        XCTAssertThrowsError(try fsRoot.open(deep + "/loop/x")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ELOOP) }
    }

    func testNoSymlinksPolicyRefusesSymlinksAndClimbingInALongPath() throws {
        try ConfinedRoot(root).mkdirAll(deep)
        try ConfinedRoot(root).symlink("/", at: deep + "/absolute")
        let raw = try ConfinedRoot(root, policy: .noSymlinks)
        XCTAssertEqual(try raw.open(deep).stat().st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(try raw.lstat(deep + "/absolute")?.st_mode ?? 0 & S_IFMT, S_IFLNK | 0o777)
        XCTAssertThrowsError(try raw.open(deep + "/absolute/marker")) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, ELOOP) }
        let climb = deep + String(repeating: "/..", count: 25) + "/marker"
        XCTAssertThrowsError(try raw.open(climb)) { XCTAssertEqual(($0 as? ConfinedFSError)?.errno, EXDEV) }
        let back = deep + String(repeating: "/..", count: 24) + "/marker"
        XCTAssertEqual(try raw.readFile(back).map { String(decoding: $0, as: UTF8.self) }, "root marker\n")
    }
}

private extension Process {
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
