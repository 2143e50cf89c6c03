import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

final class IngestTests: StoreTestCase {
    let content = Data("hello, kiln store — some bytes to stream in chunks".utf8)

    func testLayoutIsCreated() throws {
        let marker = try Data(contentsOf: store.location.layoutFile)
        XCTAssertEqual(String(decoding: marker, as: UTF8.self), #"{"imageLayoutVersion":"1.0.0"}"#)
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: store.location.indexFile))
        XCTAssertEqual(index.manifests, [])
        XCTAssertEqual(index.mediaType, .ociIndex)
        // Opening again is idempotent.
        let again = try ContentStore(root: tempRoot)
        XCTAssertEqual(try again.readIndex().manifests, [])
    }

    func testIngestGoodBlob() async throws {
        let expected = Descriptor(mediaType: .ociLayerGzip, content: content)
        XCTAssertFalse(store.contains(expected.digest))
        let stored = try await store.ingest(expected: expected, from: chunks(content))
        XCTAssertEqual(stored, expected)
        XCTAssertTrue(store.contains(expected.digest))
        XCTAssertEqual(try store.read(expected.digest), content)
        XCTAssertEqual(try store.read(verifying: expected), content)
        XCTAssertEqual(try store.open(expected.digest).path, tempRoot.appendingPathComponent("blobs/sha256/\(expected.digest.hex)").standardizedFileURL.path)
        XCTAssertEqual(tempNames(), [])
    }

    func testPresentBlobIsSkippedWithoutReading() async throws {
        let expected = try store.put(bytes: content, mediaType: .ociConfig)
        var calls = 0
        try await store.ingest(expected: expected) {
            calls += 1
            return Data("wrong".utf8)
        }
        XCTAssertEqual(calls, 0)
        XCTAssertEqual(try store.read(expected.digest), content)
    }

    func testWrongDigestStoresNothingAndNamesDigests() async throws {
        var expected = Descriptor(mediaType: .ociLayerGzip, content: content)
        let actual = expected.digest
        expected.digest = .sha256(of: Data("something else".utf8))
        let error = await assertStoreError { try await self.store.ingest(expected: expected, from: self.chunks(self.content)) }
        XCTAssertEqual(error?.code, .digestMismatch)
        XCTAssertTrue(error?.message.contains(expected.digest.description) ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains(actual.description) ?? false, error?.message ?? "")
        XCTAssertFalse(store.contains(expected.digest))
        XCTAssertFalse(store.contains(actual))
        XCTAssertEqual(tempNames(), [])
    }

    func testTooManyBytesStopsReading() async throws {
        var expected = Descriptor(mediaType: .ociLayerGzip, content: content)
        expected.size -= 1
        var delivered = 0
        let data = content
        let error = await assertStoreError {
            try await self.store.ingest(expected: expected) {
                // An endless source: ingest must stop on its own.
                delivered += 1
                return delivered > 1000 ? nil : data
            }
        }
        XCTAssertEqual(error?.code, .sizeMismatch)
        XCTAssertEqual(delivered, 1, "reading should stop at the chunk that crosses the declared size")
        XCTAssertFalse(store.contains(expected.digest))
        XCTAssertEqual(tempNames(), [])
    }

    func testTooFewBytes() async throws {
        var expected = Descriptor(mediaType: .ociLayerGzip, content: content)
        expected.size += 10
        let error = await assertStoreError { try await self.store.ingest(expected: expected, from: self.chunks(self.content)) }
        XCTAssertEqual(error?.code, .sizeMismatch)
        XCTAssertFalse(store.contains(expected.digest))
        XCTAssertEqual(tempNames(), [])
    }

    func testSourceErrorLeavesNothing() async throws {
        struct Boom: Error {}
        let expected = Descriptor(mediaType: .ociLayerGzip, content: content)
        var sent = false
        do {
            try await store.ingest(expected: expected) {
                if sent { throw Boom() }
                sent = true
                return Data("hello".utf8)
            }
            XCTFail("expected the source's error")
        } catch is Boom {}
        XCTAssertFalse(store.contains(expected.digest))
        XCTAssertEqual(tempNames(), [])
    }

    func testConcurrentIngestOfSameBlob() async throws {
        let big = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let expected = Descriptor(mediaType: .ociLayer, content: big)
        let store = self.store!
        try await withThrowingTaskGroup(of: Descriptor.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await store.ingest(expected: expected, from: AsyncStream { continuation in
                        var offset = 0
                        while offset < big.count {
                            continuation.yield(big.subdata(in: offset..<min(offset + 4096, big.count)))
                            offset += 4096
                        }
                        continuation.finish()
                    })
                }
            }
            for try await stored in group { XCTAssertEqual(stored, expected) }
        }
        XCTAssertEqual(try store.read(verifying: expected), big)
        XCTAssertEqual(tempNames(), [])
        let check = try await store.check()
        XCTAssertTrue(check.isHealthy, "\(check.problems)")
    }

    func testPutIsIdempotent() throws {
        let first = try store.put(bytes: content, mediaType: .ociConfig)
        let second = try store.put(bytes: content, mediaType: .ociConfig)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.size, Int64(content.count))
        XCTAssertEqual(first.digest, .sha256(of: content))
    }

    func testMissingBlob() async throws {
        let digest = Digest.sha256(of: Data("absent".utf8))
        let error = await assertStoreError { _ = try self.store.read(digest) }
        XCTAssertEqual(error?.code, .blobNotFound)
        XCTAssertTrue(error?.message.contains(digest.description) ?? false)
    }
}

final class IngestEdgeTests: StoreTestCase {
    func testPresentBlobWithWrongSizeIsRejected() async throws {
        var descriptor = try store.put(bytes: Data("abc".utf8), mediaType: .ociConfig)
        descriptor.size = 4
        let error = await assertStoreError { try await self.store.ingest(expected: descriptor, from: self.chunks(Data("abcd".utf8))) }
        XCTAssertEqual(error?.code, .sizeMismatch)
    }

    func testCancelledIngestLeavesNothing() async throws {
        let data = Data(repeating: 7, count: 10_000)
        let expected = Descriptor(mediaType: .ociLayer, content: data)
        let store = self.store!
        let task = Task {
            try await store.ingest(expected: expected) {
                withUnsafeCurrentTask { $0?.cancel() }
                return data.prefix(100)
            }
        }
        do {
            _ = try await task.value
            XCTFail("expected cancellation")
        } catch is CancellationError {}
        XCTAssertFalse(store.contains(expected.digest))
        XCTAssertEqual(tempNames(), [])
    }

    func testSHA512Blob() async throws {
        let data = Data("sha512 content".utf8)
        let expected = Descriptor(mediaType: .ociLayer, digest: .digest(of: data, algorithm: .sha512), size: Int64(data.count))
        try await store.ingest(expected: expected, from: chunks(data))
        XCTAssertEqual(try store.read(verifying: expected), data)
        XCTAssertTrue(try store.open(expected.digest).path.contains("/blobs/sha512/"))
        let report = try await store.check()
        XCTAssertTrue(report.isHealthy, "\(report.problems)")
        XCTAssertEqual(report.blobsVerified, 1)
    }
}
