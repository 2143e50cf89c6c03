import Foundation
import ImageSpec
import XCTest
@testable import Images

/// BuildKit's cache config (`application/vnd.buildkit.cacheconfig.v0`) as kiln writes and reads it
/// (issue 18): entries survive a round trip through the document and its index; BuildKit's own
/// shapes (omitted parent 0, chains) decode; an inline cache round-trips through an image config;
/// a foreign document is refused naming it.
final class BuildKitCacheConfigTests: XCTestCase {
    let layerA = Descriptor(mediaType: .ociLayerGzip, digest: .sha256(of: Data("a".utf8)), size: 10)
    let layerB = Descriptor(mediaType: .ociLayerGzip, digest: .sha256(of: Data("b".utf8)), size: 20)
    let diffA = Digest.sha256(of: Data("diff a".utf8))
    let diffB = Digest.sha256(of: Data("diff b".utf8))

    func entries() throws -> [CacheEntry] {
        [CacheEntry(key: String(repeating: "1", count: 64), layer: layerA, diffID: diffA, created: try Timestamp(parsing: "2024-01-02T03:04:05Z")),
         CacheEntry(key: String(repeating: "2", count: 64), layer: layerB, diffID: diffB, created: nil),
         CacheEntry(key: String(repeating: "3", count: 64), layer: layerB, diffID: diffB, created: nil)]
    }

    func testEntriesRoundTripThroughConfigAndIndex() async throws {
        let (config, descriptors) = BuildKitCacheConfig.make(try entries())
        XCTAssertEqual(config.layers.count, 2, "a layer shared by two records appears once")
        XCTAssertEqual(config.records.count, 3)
        XCTAssertEqual(descriptors.map { $0.annotations?[BuildKitCacheConfig.uncompressedAnnotation] }, [diffA.description, diffB.description])
        let configBytes = try CanonicalJSON.encode(config)
        let text = String(decoding: configBytes, as: UTF8.self)
        XCTAssertTrue(text.contains("\"parent\":-1"), text)
        XCTAssertTrue(text.contains("\"digest\":\"sha256:1111"), text)
        let configDescriptor = Descriptor(mediaType: BuildKitCacheConfig.mediaType, content: configBytes)
        let (mediaType, index) = try ImageService.cacheManifest(descriptors: descriptors, config: configDescriptor, format: CacheExportFormat())
        XCTAssertEqual(mediaType, .ociIndex)
        let read = try await ImageService.cacheEntries(topMediaType: mediaType, bytes: index, name: "test") { descriptor in
            XCTAssertEqual(descriptor, configDescriptor)
            return configBytes
        }
        XCTAssertEqual(Set(read), Set(try entries()))
    }

    func testAliasRecordsLinkToTheirKeyAndRoundTrip() throws {
        var all = try entries()
        let alias = String(repeating: "9", count: 64)
        all.append(CacheEntry(key: alias, layer: layerB, diffID: diffB, created: nil, aliasOf: String(repeating: "2", count: 64)))
        let (config, _) = BuildKitCacheConfig.make(all)
        let record = try XCTUnwrap(config.records.last)
        XCTAssertEqual(record.digest.hex, alias)
        XCTAssertEqual(record.inputs?.first?.first?.selector, BuildKitCacheConfig.aliasSelector)
        XCTAssertEqual(config.records[record.inputs![0][0].link].digest.hex, String(repeating: "2", count: 64))
        let read = config.entries(descriptors: [])
        XCTAssertEqual(read.first { $0.key == alias }?.aliasOf, String(repeating: "2", count: 64))
        XCTAssertEqual(read.filter { $0.aliasOf == nil }.count, 3)
    }

    func testBuildKitShapedDocumentDecodes() throws {
        // Parent 0 is omitted by Go's omitempty; a record may give its result as a chain.
        let json = """
            {"layers":[{"blob":"\(layerA.digest)","parent":-1},{"blob":"\(layerB.digest)"}],
             "records":[{"digest":"sha256:\(String(repeating: "a", count: 64))","layers":[{"layer":1,"createdAt":"2023-05-06T07:08:09.123456789Z"}]},
                        {"digest":"sha256:\(String(repeating: "b", count: 64))","chains":[{"layers":[0,1]}]},
                        {"digest":"sha256:\(String(repeating: "c", count: 64))","inputs":[[{"selector":"","link":0}]]}]}
            """
        let config = try JSONDecoder().decode(BuildKitCacheConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.layers[1].parent, 0)
        var annotatedB = layerB
        annotatedB.annotations = [BuildKitCacheConfig.uncompressedAnnotation: diffB.description]
        let read = config.entries(descriptors: [layerA, annotatedB])
        XCTAssertEqual(read.map(\.key), [String(repeating: "a", count: 64), String(repeating: "b", count: 64)], "a record without results is skipped")
        XCTAssertEqual(read.map(\.layer.digest), [layerB.digest, layerB.digest])
        XCTAssertEqual(read[0].diffID, diffB)
        XCTAssertEqual(read[0].created?.text, "2023-05-06T07:08:09.123456789Z")
    }

    func testInlineCacheRoundTripsThroughImageConfig() throws {
        var config = ImageConfig(platform: .host, config: ContainerConfig())
        config.rootfs.diffIDs = [Digest.sha256(of: Data("base".utf8)), diffA, diffB]
        let value = try XCTUnwrap(InlineCache.value(try entries(), diffIDs: config.rootfs.diffIDs))
        config.extraFields[BuildKitCacheConfig.inlineConfigField] = value
        let decoded = try CanonicalJSON.decode(ImageConfig.self, from: try CanonicalJSON.encode(config))
        let base = Descriptor(mediaType: .ociLayerGzip, digest: .sha256(of: Data("base layer".utf8)), size: 5)
        let read = try XCTUnwrap(try InlineCache.entries(in: decoded, layers: [base, layerA, layerB]))
        XCTAssertEqual(Set(read.map(\.key)), Set(try entries().map(\.key)))
        XCTAssertEqual(Set(read.map(\.layer)), [layerA, layerB])
    }

    func testForeignDocumentsAreRefusedNamingThem() async throws {
        let index = try CanonicalJSON.encode(Index(mediaType: .ociIndex, manifests: [layerA]))
        do {
            _ = try await ImageService.cacheEntries(topMediaType: .ociIndex, bytes: index, name: "reg/foreign:x") { _ in Data() }
            XCTFail("an index without a cache config was accepted")
        } catch let error as ImagesError {
            XCTAssertTrue(error.message.contains("reg/foreign:x"), error.message)
            XCTAssertTrue(error.message.contains("not a build cache"), error.message)
        }
        let configDescriptor = Descriptor(mediaType: BuildKitCacheConfig.mediaType, content: Data("not json".utf8))
        let corrupt = try CanonicalJSON.encode(Index(mediaType: .ociIndex, manifests: [configDescriptor]))
        do {
            _ = try await ImageService.cacheEntries(topMediaType: .ociIndex, bytes: corrupt, name: "reg/corrupt:x") { _ in Data("not json".utf8) }
            XCTFail("a corrupt cache config was accepted")
        } catch let error as ImagesError {
            XCTAssertTrue(error.message.contains("reg/corrupt:x") && error.message.contains("does not decode"), error.message)
        }
    }
}
