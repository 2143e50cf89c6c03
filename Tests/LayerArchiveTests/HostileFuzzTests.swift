import Foundation
import XCTest
@testable import LayerArchive

/// Randomised hostile layers: whatever names, link targets and types a layer combines, applying
/// it either succeeds or throws a `LayerArchiveError`, and nothing outside the target changes.
final class HostileFuzzTests: XCTestCase {
    private struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    /// Every path below `dir` with its type, mode, size, link count and times, without following links.
    private func snapshot(_ dir: String) throws -> [String] {
        var out: [String] = []
        for path in [""] + (FileManager.default.subpaths(atPath: dir) ?? []) {
            var info = stat()
            XCTAssertEqual(lstat(dir + "/" + path, &info), 0)
            out.append("\(path) \(info.st_mode) \(info.st_size) \(info.st_nlink) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ctim.tv_nsec)")
        }
        return out.sorted()
    }

    func testRandomHostileLayersStayConfined() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        try sh("mkdir -p outside/dir && printf secret > outside/secret", cwd: temp.path)
        let outside = temp.sub("outside")
        let before = try snapshot(outside)
        let parts = ["..", ".", "a", "b", "l", "", outside.dropFirst().description, "outside", "secret", ".wh.secret",
                     ".wh.a", ".wh..wh..opq", ".wh..", "dir"]
        let targets = [outside, outside + "/secret", "../outside", "../../../..", "/", "a", "l/secret", "/outside/dir",
                       "b/../..", "secret", "l"]
        var random = Random(state: 0x5eed_1234_abcd_0001)
        var failures = 0
        for round in 0..<1000 {
            let root = temp.sub("root\(round)")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            var entries: [(TarHeader, [UInt8])] = []
            for _ in 0..<(1 + random.next(10)) {
                let depth = 1 + random.next(4)
                let name = (0..<depth).map { _ in random.pick(parts) }.joined(separator: "/")
                let type = random.pick([TarEntryType.regular, .directory, .symlink, .hardlink, .fifo])
                var header = TarHeader(path: name.isEmpty ? "x" : name, type: type, mode: 0o777)
                if type == .symlink || type == .hardlink { header.linkName = random.pick(targets) }
                entries.append((header, type == .regular ? Array("pwned".utf8) : []))
            }
            do {
                var reader = TarReader(InMemorySource(try makeTar(entries)))
                try LayerApplier(target: root).apply(&reader)
            } catch is LayerArchiveError {
                failures += 1
            }
            try FileManager.default.removeItem(atPath: root)
            XCTAssertEqual(try snapshot(outside), before,
                           "round \(round): \(entries.map { "\($0.0.type) \($0.0.path) -> \($0.0.linkName)" })")
        }
        XCTAssertGreaterThan(failures, 0)
        XCTAssertLessThan(failures, 1000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temp.path), ["outside"])
    }

    func testRandomlyDamagedGzipLayersOnlyThrow() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let tar = try makeTar([
            (TarHeader(path: "d/", type: .directory, mode: 0o755), []),
            (TarHeader(path: "d/f", type: .regular, xattrs: ["user.x": [1]]), pattern(5000)),
            (TarHeader(path: "d/l", type: .symlink, linkName: "f"), []),
        ])
        let compressor = try GzipCompressor(sink: [UInt8]())
        try compressor.write(tar)
        try compressor.finish()
        let gz = compressor.sink
        var random = Random(state: 77)
        for round in 0..<150 {
            var damaged = round % 2 == 0 ? gz : tar
            for _ in 0..<(1 + random.next(3)) {
                damaged[random.next(damaged.count)] = UInt8(random.next(256))
            }
            if round % 5 == 0 { damaged = Array(damaged.prefix(random.next(damaged.count))) }
            let root = temp.sub("r\(round)")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            do {
                try LayerApplier(target: root).apply(blob: InMemorySource(damaged))
            } catch is LayerArchiveError {
            }
        }
    }
}
