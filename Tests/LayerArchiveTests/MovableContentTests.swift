import Foundation
import XCTest
@testable import LayerArchive

/// LayerApplyOptions.movableContent: a donor file is renamed into place, over whatever the layer
/// put at that name before (a file, a symlink, a directory with content), and the result is the
/// tree a plain apply gives; a donor that does not qualify (wrong size) is written instead.
final class MovableContentTests: XCTestCase {
    var temp: TempDir!
    var root: String { temp.sub("root") }

    override func setUpWithError() throws {
        temp = try TempDir()
        try sh("mkdir root", cwd: temp.path)
    }
    override func tearDown() { temp.cleanup() }

    private func apply(_ entries: [(TarHeader, [UInt8])], options: LayerApplyOptions = LayerApplyOptions()) throws {
        var reader = TarReader(InMemorySource(try makeTar(entries)))
        try LayerApplier(target: root, options: options).apply(&reader)
    }

    private func file(_ path: String, _ text: String, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
                      time: Int64 = 1_600_000_000) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .regular, mode: mode, uid: uid, gid: gid, modificationTime: TarTime(seconds: time)), Array(text.utf8))
    }

    private func dir(_ path: String) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .directory, mode: 0o755, modificationTime: TarTime(seconds: 1_500_000_000)), [])
    }

    private func link(_ path: String, _ target: String) -> (TarHeader, [UInt8]) {
        (TarHeader(path: path, type: .symlink, mode: 0o777, linkName: target), [])
    }

    func testDonorsRenamedOverEarlierEntriesGiveThePlainTree() throws {
        guard geteuid() == 0 else { throw XCTSkip("movable content needs ownership kept (root)") }
        let entries = [
            dir("d/"),
            file("d/twice", "first"),
            file("d/twice", "second", mode: 0o600, uid: 7, gid: 8, time: 1_600_000_001),
            link("d/was-link", "twice"),
            file("d/was-link", "now a file"),
            dir("d/was-dir/"),
            file("d/was-dir/inner", "inner"),
            file("d/was-dir", "now a file too", mode: 0o640),
            file("d/wrong-size", "written from the tar"),
            file("d/fresh", "fresh", mode: 0o700, time: 1_600_000_002),
        ]
        try apply(entries)
        let plain = try sh("cd root && find . -mindepth 1 -printf '%p %y %m %U:%G %T@ %s\\n' | sort && find . -type f -exec sha256sum {} + | sort", cwd: temp.path)
        try sh("rm -rf root && mkdir root donors", cwd: temp.path)
        var movable: [String: String] = [:]
        for (name, text) in [("twice", "second"), ("was-link", "now a file"), ("was-dir", "now a file too"),
                             ("wrong-size", "not the tar's size"), ("fresh", "fresh")] {
            let donor = temp.sub("donors/" + name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: donor))
            movable["d/" + name] = donor
        }
        try apply(entries, options: LayerApplyOptions(movableContent: movable))
        let moved = try sh("cd root && find . -mindepth 1 -printf '%p %y %m %U:%G %T@ %s\\n' | sort && find . -type f -exec sha256sum {} + | sort", cwd: temp.path)
        XCTAssertEqual(moved, plain)
        let left = try sh("ls donors", cwd: temp.path).split(separator: "\n")
        XCTAssertEqual(left, ["wrong-size"], "every qualifying donor was renamed, the wrong-size one left")
    }
}
