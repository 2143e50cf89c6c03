import AsyncHTTPClient
import Foundation
import ImageSpec
import NIOCore

/// The byte chunks of one blob, from an offset to its declared size. See
/// ``RegistryClient/fetchBlob(host:repository:descriptor:from:)``. Each iteration makes its own
/// requests; iterate once.
public struct BlobStream: AsyncSequence, Sendable {
    public typealias Element = Data

    let client: RegistryClient
    let host: String
    let repository: String
    public let descriptor: Descriptor
    public let offset: Int64

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self, position: offset)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: BlobStream
        /// The absolute offset of the next byte to deliver.
        var position: Int64
        var body: HTTPClientResponse.Body.AsyncIterator?
        var skip: Int64 = 0
        var failures = 0
        var stall: StallGuard?
        var stalls = 0

        public mutating func next() async throws -> Data? {
            let size = stream.descriptor.size
            while position < size {
                if body == nil {
                    do {
                        let (response, skip) = try await stream.client.openBlob(host: stream.host, repository: stream.repository, descriptor: stream.descriptor, offset: position)
                        body = response.body.makeAsyncIterator()
                        self.skip = skip
                        stall = StallGuard(window: stream.client.configuration.readTimeout)
                    } catch let error as RegistryError where error.kind == .transport {
                        // `openBlob` already made the bounded attempts of the retry policy (a redirect to an
                        // unreachable host included): retrying them again here would multiply the attempts.
                        throw error
                    }
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body!.next()
                } catch {
                    // Dropped mid-blob: resume from `position` with a Range request.
                    body = nil
                    let reason = "\(error)".contains("readTimeout") ? "no data for \(stream.client.configuration.readTimeout) (the read timeout; set KILN_REGISTRY_READ_TIMEOUT to wait longer)" : "\(error)"
                    try await backoff(RegistryError(.transport, "blob \(stream.descriptor.digest): connection lost at byte \(position) of \(size): \(reason)"))
                    continue
                }
                guard var buffer = chunk else {
                    body = nil
                    try await backoff(RegistryError(.transport, "blob \(stream.descriptor.digest): the registry ended the body at byte \(position) of \(size)"))
                    continue
                }
                if skip > 0 {
                    let drop = Int(Swift.min(skip, Int64(buffer.readableBytes)))
                    buffer.moveReaderIndex(forwardBy: drop)
                    skip -= Int64(drop)
                }
                let take = Int(Swift.min(Int64(buffer.readableBytes), size - position))
                let what = "blob \(stream.descriptor.digest) at byte \(position) of \(size)"
                let remaining = size - position - Int64(take)
                do {
                    try stall?.record(take, remaining: remaining, what: what)
                } catch let error as RegistryError {
                    // Trickling: drop this connection (and this chunk) and resume from `position`
                    // on a new one, a bounded number of times (data does not reset this count).
                    body = nil
                    stalls += 1
                    let policy = stream.client.configuration.retry
                    guard stalls < policy.maxAttempts else { throw error }
                    try await Task.sleep(for: policy.delay(beforeAttempt: stalls + 1))
                    continue
                }
                guard take > 0 else { continue }
                position += Int64(take)
                failures = 0
                return buffer.readData(length: take)
            }
            return nil
        }

        private mutating func backoff(_ error: RegistryError) async throws {
            failures += 1
            let policy = stream.client.configuration.retry
            guard failures < policy.maxAttempts else { throw error }
            try await Task.sleep(for: policy.delay(beforeAttempt: failures + 1))
        }
    }
}

/// Wraps a stream of blob chunks, hashing them as they pass; at the end throws
/// ``RegistryError`` (`digestMismatch`) naming the blob when the size or digest differs from
/// `descriptor`. Chunks are passed through unchanged, so a consumer that has written them must
/// discard its copy on that error.
public struct VerifyingStream<Base: AsyncSequence>: AsyncSequence where Base.Element: DataProtocol {
    public typealias Element = Base.Element

    public let base: Base
    public let descriptor: Descriptor

    public init(_ base: Base, descriptor: Descriptor) {
        self.base = base
        self.descriptor = descriptor
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), descriptor: descriptor, digester: Digester(algorithm: descriptor.digest.algorithm))
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let descriptor: Descriptor
        var digester: Digester
        var finished = false

        public mutating func next() async throws -> Element? {
            guard !finished else { return nil }
            if let chunk = try await base.next() {
                digester.update(chunk)
                return chunk
            }
            finished = true
            guard digester.byteCount == descriptor.size else {
                throw RegistryError(.digestMismatch, "blob \(descriptor.digest) has \(digester.byteCount) bytes, expected \(descriptor.size); the download is corrupt, retry it")
            }
            let actual = digester.finalize()
            guard actual == descriptor.digest else {
                throw RegistryError(.digestMismatch, "blob \(descriptor.digest) has digest \(actual); the registry served wrong content")
            }
            return nil
        }
    }
}

extension VerifyingStream: Sendable where Base: Sendable {}
