import Foundation
import XCTest
@testable import ImageSpec

final class CanonicalJSONTests: XCTestCase {
    func testSortedCompactUnescaped() throws {
        let value: [String: JSONValue] = [
            "z": .string("</script> & \"quoted\" \\ back/slash\ttab\u{1}ctl é 日本 \u{2028}"),
            "B": .integer(9_007_199_254_740_993),
            "a": .array([.bool(false), .null, .double(1.5)]),
            "é": .object(["y": .integer(-1), "x": .object([:])]),
            "a.b": .string(""),
            "ab": .string(""),
        ]
        let encoded = text(try CanonicalJSON.encode(value))
        XCTAssertEqual(
            encoded,
            #"{"B":9007199254740993,"a":[false,null,1.5],"a.b":"","ab":"","z":"</script> & \"quoted\" \\ back/slash\ttab\u0001ctl é 日本 "# + "\u{2028}" + #"","é":{"x":{},"y":-1}}"#
        )
    }

    func testDeterministicAcrossDictionaryOrders() throws {
        var first: [String: String] = [:]
        var second: [String: String] = [:]
        let keys = (0..<200).map { "key\($0 * 7919 % 1000)" }
        for key in keys { first[key] = key }
        for key in keys.reversed() { second[key] = key }
        XCTAssertEqual(try CanonicalJSON.encode(first), try CanonicalJSON.encode(second))
    }

    func testNonFiniteNumbersAreRefused() {
        assertImageSpecError(.invalidDocument, "cannot encode") { try CanonicalJSON.encode(["x": JSONValue.double(.nan)]) }
    }

    func testDecodeErrorsSayWhere() {
        assertImageSpecError(.invalidDocument, "invalid Index JSON") { try CanonicalJSON.decode(Index.self, from: json("{")) }
        assertImageSpecError(.invalidDocument, "found null at manifests[0]") {
            try CanonicalJSON.decode(Index.self, from: json(#"{"schemaVersion":2,"manifests":[null]}"#)).manifests
        }
    }

    func testJSONBlobKeepsForeignBytesVerbatim() throws {
        // Pretty-printed, unsorted, with Go's HTML escapes: as another tool may have written it.
        let foreign = json("""
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:\(hex64a)", "size": 2},
          "layers": [],
          "annotations": {"note": "a \\u003c b \\u0026 c"}
        }
        """)
        let blob = try JSONBlob<Manifest>(bytes: foreign)
        XCTAssertEqual(blob.bytes, foreign)
        XCTAssertEqual(blob.digest, Digest.sha256(of: foreign))
        XCTAssertEqual(blob.value.annotations?["note"], "a < b & c")
        XCTAssertNotEqual(try CanonicalJSON.encode(blob.value), foreign, "re-encoding would change the digest")
        let descriptor = blob.descriptor(mediaType: .ociManifest)
        XCTAssertEqual(descriptor.size, Int64(foreign.count))
        XCTAssertEqual(try JSONBlob<Manifest>(bytes: foreign, verifying: descriptor), blob)
        var wrong = descriptor
        wrong.size += 1
        assertImageSpecError(.contentMismatch) { try JSONBlob<Manifest>(bytes: foreign, verifying: wrong) }
        assertImageSpecError(.invalidDocument) { try JSONBlob<Index>(bytes: json("[]")) }
    }

    func testJSONBlobEncodingIsCanonical() throws {
        let config = ImageConfig(platform: try Platform(parsing: "linux/amd64"))
        let blob = try JSONBlob(encoding: config)
        XCTAssertEqual(blob.bytes, try CanonicalJSON.encode(config))
        XCTAssertEqual(blob.digest, Digest.sha256(of: blob.bytes))
        let descriptor = blob.descriptor(mediaType: .ociConfig, platform: config.platform, annotations: ["a": "b"])
        XCTAssertEqual(descriptor.platform, config.platform)
        XCTAssertNoThrow(try descriptor.verify(blob.bytes))
    }
}
