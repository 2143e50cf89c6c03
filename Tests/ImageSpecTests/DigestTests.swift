import Foundation
import XCTest
@testable import ImageSpec

final class DigestTests: XCTestCase {
    func testValidDigests() throws {
        let cases: [(String, DigestAlgorithm)] = [
            ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", .sha256),
            ("sha256:" + String(repeating: "0", count: 64), .sha256),
            ("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", .sha256),
            ("sha512:" + String(repeating: "f", count: 128), .sha512),
        ]
        for (string, algorithm) in cases {
            let digest = try Digest(parsing: string)
            XCTAssertEqual(digest.algorithm, algorithm, string)
            XCTAssertEqual(digest.description, string)
            XCTAssertEqual(digest.hex, String(string.split(separator: ":")[1]))
            XCTAssertEqual(Digest(string), digest)
        }
    }

    func testInvalidDigests() {
        let cases: [(String, ImageSpecError.Code, String)] = [
            ("", .invalidDigest, "no algorithm"),
            ("sha256", .invalidDigest, "no algorithm"),
            (hex64a, .invalidDigest, "no algorithm"),
            ("sha256:", .invalidDigest, "not hex"),
            ("sha256:abc", .invalidDigest, "length"),
            ("sha256:" + String(repeating: "a", count: 63), .invalidDigest, "length"),
            ("sha256:" + String(repeating: "a", count: 65), .invalidDigest, "length"),
            ("sha256:" + String(repeating: "A", count: 64), .invalidDigest, "lowercase"),
            ("sha256:" + String(repeating: "a", count: 63) + "g", .invalidDigest, "not hex"),
            ("sha256:" + String(repeating: "a", count: 63) + " ", .invalidDigest, "not hex"),
            ("sha512:" + hex64a, .invalidDigest, "length"),
            ("md5:d41d8cd98f00b204e9800998ecf8427e", .unsupportedDigestAlgorithm, "md5"),
            ("SHA256:" + hex64a, .unsupportedDigestAlgorithm, "SHA256"),
            ("sha384:" + hex64a, .unsupportedDigestAlgorithm, "sha384"),
            (" sha256:" + hex64a, .invalidDigest, "format"),
            ("sha256 :" + hex64a, .invalidDigest, "format"),
            (":" + hex64a, .invalidDigest, "format"),
            ("sha256:sha256:" + hex64a, .invalidDigest, "not hex"),
        ]
        for (string, code, fragment) in cases {
            assertImageSpecError(code, fragment, string) { try Digest(parsing: string) }
            XCTAssertNil(Digest(string))
        }
    }

    func testKnownHashes() {
        XCTAssertEqual(Digest.sha256(of: Data()).description, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Digest.sha256(of: Data("abc".utf8)).hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            Digest.digest(of: Data(), algorithm: .sha512).hex,
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        )
        XCTAssertEqual(Digest.sha256(of: [UInt8]("abc".utf8)).hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testStreamingDigesterMatchesOneShot() {
        let content = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for algorithm in DigestAlgorithm.allCases {
            for chunkSize in [1, 7, 4096, 65_536, 200_000] {
                var digester = Digester(algorithm: algorithm)
                var offset = 0
                while offset < content.count {
                    let end = min(offset + chunkSize, content.count)
                    if chunkSize == 7 {
                        content[offset..<end].withUnsafeBytes { digester.update(bufferPointer: $0) }
                    } else {
                        digester.update(content[offset..<end])
                    }
                    offset = end
                }
                XCTAssertEqual(digester.byteCount, Int64(content.count))
                XCTAssertEqual(digester.finalize(), Digest.digest(of: content, algorithm: algorithm), "\(algorithm) chunk \(chunkSize)")
            }
        }
    }

    func testDigesterFinalizeDoesNotConsumeAndCopiesFork() {
        var digester = Digester()
        digester.update(Data("ab".utf8))
        let fork = digester
        XCTAssertEqual(digester.finalize(), Digest.sha256(of: Data("ab".utf8)))
        digester.update(Data("c".utf8))
        XCTAssertEqual(digester.finalize(), Digest.sha256(of: Data("abc".utf8)))
        XCTAssertEqual(fork.finalize(), Digest.sha256(of: Data("ab".utf8)))
        XCTAssertEqual(fork.byteCount, 2)
        XCTAssertEqual(Digester(algorithm: .sha512).algorithm, .sha512)
    }

    func testCodableAndOrdering() throws {
        let list = try JSONDecoder().decode([Digest].self, from: json("[\"sha256:\(hex64b)\",\"sha256:\(hex64a)\"]"))
        XCTAssertEqual(list.sorted(), [sha256a, sha256b])
        XCTAssertEqual(text(try JSONEncoder().encode([sha256a])), "[\"sha256:\(hex64a)\"]")
        assertImageSpecError(.invalidDigest, "at [0]") {
            try CanonicalJSON.decode([Digest].self, from: json("[\"sha256:abc\"]"))
        }
        XCTAssertEqual(sha256a.shortHex, "aaaaaaaaaaaa")
    }
}
