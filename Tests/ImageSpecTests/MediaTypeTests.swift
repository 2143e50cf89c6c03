import Foundation
import XCTest
@testable import ImageSpec

final class MediaTypeTests: XCTestCase {
    func testConstantsAreValidAndDistinct() throws {
        for type in MediaType.known {
            XCTAssertEqual(try MediaType(parsing: type.rawValue), type)
        }
        XCTAssertEqual(Set(MediaType.known).count, MediaType.known.count)
        XCTAssertEqual(MediaType.ociManifest.rawValue, "application/vnd.oci.image.manifest.v1+json")
        XCTAssertEqual(MediaType.dockerLayerGzip.rawValue, "application/vnd.docker.image.rootfs.diff.tar.gzip")
    }

    func testClassification() {
        XCTAssertEqual(MediaType.known.filter(\.isIndex), [.ociIndex, .dockerManifestList])
        XCTAssertEqual(MediaType.known.filter(\.isManifest), [.ociManifest, .dockerManifest])
        XCTAssertEqual(MediaType.known.filter(\.isImageConfig), [.ociConfig, .dockerConfig])
        XCTAssertEqual(MediaType.known.filter(\.isSchema1Manifest), [.dockerManifestSchema1, .dockerManifestSchema1Signed])
        XCTAssertEqual(MediaType.known.filter(\.isLayer).count, 8)
        XCTAssertEqual(MediaType.known.filter(\.isNondistributable), [.ociLayerNondistributable, .ociLayerNondistributableGzip, .ociLayerNondistributableZstd, .dockerForeignLayerGzip])
        XCTAssertEqual(MediaType.ociLayer.layerCompression, LayerCompression.none)
        XCTAssertEqual(MediaType.dockerForeignLayerGzip.layerCompression, .gzip)
        XCTAssertEqual(MediaType.ociLayerNondistributableZstd.layerCompression, .zstd)
        XCTAssertNil(MediaType.ociConfig.layerCompression)
    }

    func testParsing() throws {
        for valid in ["application/json", "text/plain", "application/vnd.in-toto+json", "application/x.a_b!#$&^-1"] {
            XCTAssertEqual(try MediaType(parsing: valid).description, valid)
        }
        for invalid in ["", "application", "application/", "/json", "application/json/x", "appl ication/json", "application/json; charset=utf-8", "-app/json", "application/.json", "ä/b"] {
            assertImageSpecError(.invalidMediaType, "type/subtype", invalid) { try MediaType(parsing: invalid) }
            XCTAssertNil(MediaType(invalid))
        }
        assertImageSpecError(.invalidMediaType) { try MediaType(parsing: "a/" + String(repeating: "b", count: 128)) }
        XCTAssertNoThrow(try MediaType(parsing: "a/" + String(repeating: "b", count: 127)))
    }
}
