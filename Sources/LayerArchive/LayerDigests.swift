import ImageSpec

/// The identity of a layer blob, computed while writing it.
public struct LayerDigests: Sendable, Equatable, Hashable {
    /// sha256 of the blob as stored (compressed) and its size: the manifest descriptor.
    public var blobDigest: Digest
    public var blobSize: Int64
    /// sha256 of the uncompressed tar (the config's `rootfs.diff_ids` entry) and its size.
    public var diffID: Digest
    public var uncompressedSize: Int64

    public init(blobDigest: Digest, blobSize: Int64, diffID: Digest, uncompressedSize: Int64) {
        self.blobDigest = blobDigest
        self.blobSize = blobSize
        self.diffID = diffID
        self.uncompressedSize = uncompressedSize
    }

    /// The manifest descriptor of the blob (`.ociLayerGzip`, `.ociLayer`, or a Docker type).
    public func descriptor(mediaType: MediaType) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: blobDigest, size: blobSize)
    }
}

/// A sink that hashes (sha256) and counts what passes through it on the way to `inner`.
public struct DigestingSink<Inner: ByteSink>: ByteSink {
    public private(set) var inner: Inner
    private var digester = Digester(algorithm: .sha256)

    public init(_ inner: Inner) { self.inner = inner }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        digester.update(bufferPointer: bytes)
        try inner.write(bytes)
    }

    /// The number of bytes written so far.
    public var count: Int64 { digester.byteCount }

    /// The sha256 digest of everything written so far.
    public var digest: Digest { digester.finalize() }
}

/// A sink that discards everything (to digest without storing).
public struct DiscardingSink: ByteSink, Sendable {
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
}

/// The compression a layer blob is written with.
public enum LayerCompression: Sendable, Equatable {
    case none
    /// gzip at a zlib level (-1 = default, 6), on the calling thread.
    case gzip(level: Int32)

    public static let gzip = LayerCompression.gzip(level: -1)
}

/// A sink for a layer's tar stream that compresses it into `blob` and computes, in the same
/// pass, the diffID (sha256 of the tar) and the blob digest (sha256 of what reaches `blob`).
///
/// Use it as the sink of a `TarWriter`; after the writer's `finish()`, call `finish()` here
/// for the digests. For `.none`, blob digest and diffID are the same.
public final class LayerBlobSink<Blob: ByteSink>: ByteSink {
    private enum Stage {
        /// Uncompressed: the blob is the tar, hashed once (blob digest = diffID).
        case plain(Blob)
        /// Uncompressed, hashed on another core while the blob is written (``ConcurrentHashSink``).
        case plainConcurrent(ConcurrentHashSink<Blob>)
        case gzip(GzipCompressor<DigestingSink<Blob>>)
    }

    private var tarDigest = DigestingSink(DiscardingSink())
    private var stage: Stage

    /// `hashConcurrently`: for `.none`, the tar is hashed on another core while it is written
    /// (``ConcurrentHashSink``; worth it for large layers, a thread hand-over per MiB otherwise).
    public init(blob: Blob, compression: LayerCompression = .gzip, hashConcurrently: Bool = false) throws {
        switch compression {
        case .none where hashConcurrently: stage = .plainConcurrent(ConcurrentHashSink(blob))
        case .none: stage = .plain(blob)
        case .gzip(let level): stage = .gzip(try GzipCompressor(sink: DigestingSink(blob), level: level))
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if case .plainConcurrent(let sink) = stage { return try sink.write(bytes) }
        try tarDigest.write(bytes)
        switch stage {
        case .plain(var sink):
            try sink.write(bytes)
            stage = .plain(sink)
        case .plainConcurrent: break
        case .gzip(let compressor): try compressor.write(bytes)
        }
    }

    /// Ends compression and returns the digests. The blob sink then holds the complete blob.
    public func finish() throws -> LayerDigests {
        switch stage {
        case .plain:
            let diffID = tarDigest.digest
            return LayerDigests(blobDigest: diffID, blobSize: tarDigest.count, diffID: diffID, uncompressedSize: tarDigest.count)
        case .plainConcurrent(let sink):
            let (diffID, size) = try sink.finish()
            return LayerDigests(blobDigest: diffID, blobSize: size, diffID: diffID, uncompressedSize: size)
        case .gzip(let compressor): try compressor.finish()
        }
        let blobSide = blobDigest!
        return LayerDigests(blobDigest: blobSide.digest, blobSize: blobSide.count,
                            diffID: tarDigest.digest, uncompressedSize: tarDigest.count)
    }

    private var blobDigest: DigestingSink<Blob>? {
        switch stage {
        case .plain, .plainConcurrent: return nil
        case .gzip(let compressor): return compressor.sink
        }
    }

    /// The blob sink (after `finish()`, holding the whole blob when it is in memory).
    public var blob: Blob {
        if case .plain(let sink) = stage { return sink }
        if case .plainConcurrent(let sink) = stage { return sink.inner }
        return blobDigest!.inner
    }
}
