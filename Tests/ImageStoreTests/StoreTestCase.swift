import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

/// Gives each test a fresh store in a temp folder, removed afterwards.
class StoreTestCase: XCTestCase {
    var tempRoot: URL!
    var store: ContentStore!

    override func setUpWithError() throws {
        tempRoot = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-store-\(UUID().uuidString)")
        store = try ContentStore(root: tempRoot)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempRoot)
    }

    /// `data` split into chunks of `size` bytes, as an async sequence.
    func chunks(_ data: Data, size: Int = 7) -> AsyncStream<Data> {
        AsyncStream { continuation in
            var offset = 0
            while offset < data.count {
                continuation.yield(data.subdata(in: offset..<min(offset + size, data.count)))
                offset += size
            }
            continuation.finish()
        }
    }

    /// Stores a tiny image (config, one layer, manifest) and returns the manifest's descriptor.
    func makeImage(layer: String, config: String = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#) throws -> (manifest: Descriptor, config: Descriptor, layer: Descriptor) {
        let configDescriptor = try store.put(bytes: Data(config.utf8), mediaType: .ociConfig)
        let layerDescriptor = try store.put(bytes: Data(layer.utf8), mediaType: .ociLayerGzip)
        let manifest = Manifest(config: configDescriptor, layers: [layerDescriptor])
        let manifestDescriptor = try store.put(bytes: try CanonicalJSON.encode(manifest), mediaType: .ociManifest)
        return (manifestDescriptor, configDescriptor, layerDescriptor)
    }

    /// Names left in `kiln/tmp`.
    func tempNames() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: store.location.tempDirectory.path)) ?? []
    }

    func ref(_ text: String) throws -> ImageReference {
        try ImageReference(parsing: text)
    }

    /// Asserts `body` throws a ``StoreError`` and returns it.
    func assertStoreError(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> StoreError? {
        do {
            try await body()
            XCTFail("expected a StoreError", file: file, line: line)
        } catch let error as StoreError {
            return error
        } catch {
            XCTFail("expected a StoreError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
