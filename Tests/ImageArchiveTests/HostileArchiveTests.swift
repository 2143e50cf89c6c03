import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import XCTest

/// Archives that try to escape, lie or break off: each fails with a clear error, tags nothing,
/// and leaves no temp files.
final class HostileArchiveTests: ArchiveTestCase {
    /// A valid old-layout archive's entries, with a hook to change them.
    func archive(_ edit: (inout [(String, [UInt8]?)]) -> Void = { _ in }, symlinks: [(String, String)] = []) throws -> [UInt8] {
        let layer = try Self.layerTar()
        let config = try Self.config(diffIDs: [Digest.sha256(of: layer)])
        let hex = Digest.sha256(of: config).hex
        var entries: [(String, [UInt8]?)] = [
            ("l/layer.tar", layer), ("\(hex).json", Array(config)),
            ("manifest.json", Array(#"[{"Config":"\#(hex).json","RepoTags":["evil:latest"],"Layers":["l/layer.tar"]}]"#.utf8)),
        ]
        edit(&entries)
        return try Self.tar(entries, symlinks: symlinks)
    }

    func expectFailure(_ bytes: [UInt8], _ code: ArchiveError.Code, file: StaticString = #filePath, line: UInt = #line) async throws {
        let path = try write(bytes, "hostile-\(UUID().uuidString).tar")
        let store = try makeStore("s-\(UUID().uuidString)")
        do {
            let images = try await ImageLoader(store: store).load(from: path)
            XCTFail("loaded \(images)", file: file, line: line)
        } catch let error as ArchiveError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertFalse(error.message.isEmpty)
        }
        XCTAssertTrue(try store.list().isEmpty, "nothing tagged", file: file, line: line)
        let temp = store.location.tempDirectory.path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temp), [], "no temp files left", file: file, line: line)
    }

    func testValidArchiveLoads() async throws {
        let path = try write(try archive(), "ok.tar")
        let images = try await ImageLoader(store: try makeStore("ok")).load(from: path)
        XCTAssertEqual(images.first?.references.map(\.familiar), ["evil:latest"])
    }

    func testDotDotPath() async throws {
        try await expectFailure(try archive { $0.append(("../escape", Array("x".utf8))) }, .unsafeArchive)
        try await expectFailure(try archive { $0.append(("a/../../escape", Array("x".utf8))) }, .unsafeArchive)
    }

    func testAbsolutePath() async throws {
        try await expectFailure(try archive { $0.append(("/etc/evil", Array("x".utf8))) }, .unsafeArchive)
    }

    func testManifestEntryPointingOutside() async throws {
        try await expectFailure(try archive { entries in
            entries[2].1 = Array(#"[{"Config":"../../etc/passwd","RepoTags":["evil:latest"],"Layers":["l/layer.tar"]}]"#.utf8)
        }, .unsafeArchive)
    }

    func testSymlinkedManifestLeavingArchive() async throws {
        try await expectFailure(try archive({ $0.remove(at: 2) }, symlinks: [("manifest.json", "../../../../etc/passwd")]), .unsafeArchive)
        try await expectFailure(try archive({ $0.remove(at: 2) }, symlinks: [("manifest.json", "/etc/passwd")]), .unsafeArchive)
        try await expectFailure(try archive({ $0.remove(at: 0) }, symlinks: [("l/layer.tar", "/etc/passwd")]), .unsafeArchive)
    }

    func testWrongDiffID() async throws {
        try await expectFailure(try archive { $0[0].1 = try! Self.layerTar("other.txt") }, .digestMismatch)
    }

    func testConfigNotMatchingItsName() async throws {
        try await expectFailure(try archive { entries in
            let hex = String(entries[1].0.dropLast(5))
            entries[1].1! += Array(" ".utf8)
            _ = hex
        }, .digestMismatch)
    }

    func testWrongOCIBlobDigest() async throws {
        let (a, image) = try await storeWithBusybox()
        let good = path("good-oci.tar")
        try await ImageExporter(store: a).export([image], format: .oci, to: good)
        // Swap one byte of the config blob.
        var reader = try TarReader(contentsOf: good)
        var entries: [(String, [UInt8]?)] = []
        let configHex = try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor).hex
        while let header = try reader.next() {
            guard header.type == .regular else { continue }
            var content = try reader.readAllContent(limit: 64 << 20)
            if header.path.hasSuffix(configHex) { content[content.count / 2] ^= 1 }
            entries.append((header.path, content))
        }
        try await expectFailure(try Self.tar(entries), .digestMismatch)
    }

    func testTruncatedArchive() async throws {
        let bytes = try archive()
        try await expectFailure(Array(bytes.prefix(bytes.count / 2 + 100)), .invalidArchive)
        try await expectFailure(Array(repeating: 0x41, count: 1024), .invalidArchive)
    }

    func testMissingLayer() async throws {
        try await expectFailure(try archive { $0.remove(at: 0) }, .missingContent)
    }
}
