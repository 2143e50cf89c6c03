import Builder
import Foundation
import ImageSpec
import XCTest

/// `ADD --checksum=<algorithm>:<hex> <url>`: the cases of BuildKit's
/// frontend/dockerfile/dockerfile_addchecksum_test.go (Valid, DigestFromEnv, DigestMismatch,
/// DigestWithKnownButUnsupportedAlgoName, DigestWithUnknownAlgoName, DigestWithoutAlgoName,
/// NonHTTPSource), served from 127.0.0.1.
final class AddChecksumTests: BuilderTestCase {
    var server: StaticFileServer!
    let content = Data("content1".utf8)

    override func setUp() async throws {
        try await super.setUp()
        let files = root.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try content.write(to: files.appendingPathComponent("foo"))
        server = try StaticFileServer(root: files.path)
    }

    override func tearDown() async throws {
        server?.stop()
        try await super.tearDown()
    }

    var url: String { server.baseURL + "/foo" }
    var digest: Digest { Digest.sha256(of: content) }

    func testValidAndFromEnv() async throws {
        var (result, _) = try await build("FROM scratch\nADD --checksum=\(digest) \(url) /tmp/foo\n") { _ in }
        XCTAssertEqual(try file("tmp/foo", in: result), "content1")
        (result, _) = try await build("FROM scratch\nENV DIGEST=\(digest)\nENV LINK=\(url)\nADD --checksum=${DIGEST} ${LINK} /tmp/foo\n") { _ in }
        XCTAssertEqual(try file("tmp/foo", in: result), "content1")
        var sha512 = Digester(algorithm: .sha512)
        sha512.update(content)
        (result, _) = try await build("FROM scratch\nADD --checksum=\(sha512.finalize()) \(url) /tmp/foo\n") { _ in }
        XCTAssertEqual(try file("tmp/foo", in: result), "content1")
    }

    /// DigestMismatch: the error names both digests, and nothing is committed (no layer blob and
    /// no cache record is written).
    func testMismatchNamesBothDigestsAndCommitsNothing() async throws {
        let empty = Digest.sha256(of: Data())
        let before = try storeFiles()
        await assertBuildFails("FROM scratch\nADD --checksum=\(empty) \(url) /tmp/foo\n", line: 2,
                               ["digest mismatch", "expected \(empty)", "got \(digest)"])
        XCTAssertEqual(try storeFiles().filter { !$0.hasPrefix("kiln/tmp") }, before.filter { !$0.hasPrefix("kiln/tmp") })
    }

    func testInvalidChecksums() async throws {
        await assertBuildFails("FROM scratch\nADD --checksum=md5:7e55db001d319a94b0b713529a756623 \(url) /tmp/foo\n", line: 2,
                               ["unsupported digest algorithm"])
        await assertBuildFails("FROM scratch\nADD --checksum=unknown:\(digest.hex) \(url) /tmp/foo\n", line: 2,
                               ["unsupported digest algorithm"])
        await assertBuildFails("FROM scratch\nADD --checksum=\(digest.hex) \(url) /tmp/foo\n", line: 2,
                               ["invalid checksum digest format"])
        try write("foo", "local file")
        await assertBuildFails("FROM scratch\nADD --checksum=\(Digest.sha256(of: Data("local file".utf8))) foo /tmp/foo\n", line: 2,
                               ["checksum requires HTTP(S) or Git sources"])
    }

    /// A URL the server does not have: the step fails with the status, and nothing is committed.
    func testMissingURLNamesTheStatus() async throws {
        let before = try storeFiles()
        await assertBuildFails("FROM scratch\nADD \(server.baseURL)/missing /tmp/foo\n", line: 2,
                               ["failed to load \(server.baseURL)/missing", "invalid response status 404"])
        XCTAssertEqual(try storeFiles().filter { !$0.hasPrefix("kiln/tmp") }, before.filter { !$0.hasPrefix("kiln/tmp") })
    }

    /// A download larger than one body chunk arrives whole, checksum verified while it streams.
    func testLargeDownloadStreamsWhole() async throws {
        let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) })
        try big.write(to: root.appendingPathComponent("www/big"))
        let (result, _) = try await build("FROM scratch\nADD --checksum=\(Digest.sha256(of: big)) \(server.baseURL)/big /big\n") { _ in }
        XCTAssertEqual(try fileData("big", in: result), big)
    }

    /// Every file under the store (blobs, cache records), relative.
    private func storeFiles() throws -> [String] {
        let base = root.appendingPathComponent("store").path
        return (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []).sorted()
    }
}
