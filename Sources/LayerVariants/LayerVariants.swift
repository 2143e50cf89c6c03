import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Compressed variants of the layers kiln keeps uncompressed (what it builds, loads, imports),
/// made when an image leaves the machine.
///
/// Contracts:
/// - Only uncompressed layers (`application/vnd.oci.image.layer.v1.tar`) are compressed; a layer
///   already compressed (pulled) is sent as it is, so pushing an unchanged pulled image sends the
///   bytes it was pulled with.
/// - A layer is compressed once per compression and level: the result is a normal store blob and
///   the store remembers it (``ContentStore/recordVariant(of:key:as:)``); later exports reuse it.
/// - The output is deterministic (same layer, compression and level: same bytes), so manifests of
///   reproducible builds keep one digest. The image config, and so the image ID and diff IDs, never
///   change: only the manifest's layer descriptors do.
/// - Memory is bounded: layers stream from the store file through the compressor into a temp file.
public struct LayerVariants: Sendable {
    public let store: ContentStore
    /// Threads compressing one layer.
    public var workers: Int

    public init(store: ContentStore, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.workers = max(1, workers)
    }

    /// `layer` as it leaves the machine: compressed as `compression` says when it is stored
    /// uncompressed, else unchanged. `docker`: the layer goes in a Docker schema 2 manifest
    /// (gzip only there). Throws `StoreError`, `LayerArchiveError`, ``ExportCompressionError``.
    public func exported(_ layer: Descriptor, compression: ExportCompression, docker: Bool = false) throws -> Descriptor {
        guard compression.algorithm != .uncompressed, layer.urls?.isEmpty != false,
              layer.mediaType == .ociLayer || layer.mediaType == .ociLayerNondistributable else { return layer }
        if docker && compression.algorithm == .zstd {
            throw ExportCompressionError("a Docker schema 2 manifest cannot carry zstd layers; use --compression gzip")
        }
        var result: Descriptor
        if let known = store.variant(of: layer.digest, key: compression.variantKey) {
            result = known
        } else {
            result = try compress(layer, compression)
            try store.recordVariant(of: layer.digest, key: compression.variantKey, as: result)
        }
        result.mediaType = docker ? .dockerLayerGzip : compression.mediaType(for: layer.mediaType)
        result.annotations = layer.annotations
        result.platform = layer.platform
        return result
    }

    /// The manifest `descriptor` (in the store) with its uncompressed layers exported as
    /// `compression` says: a new manifest, stored, with the same config; `descriptor` itself
    /// when no layer changes (or it is not an image manifest).
    public func exportedManifest(_ descriptor: Descriptor, compression: ExportCompression) throws -> Descriptor {
        guard descriptor.mediaType.isManifest, compression.algorithm != .uncompressed else { return descriptor }
        let stored = try JSONBlob<Manifest>(bytes: try store.read(descriptor.digest))
        var manifest = stored.value
        let docker = manifest.isDocker
        manifest.layers = try manifest.layers.map { try exported($0, compression: compression, docker: docker) }
        guard manifest.layers != stored.value.layers else { return descriptor }
        let blob = try JSONBlob(encoding: manifest)
        var result = try store.put(bytes: blob.bytes, mediaType: descriptor.mediaType)
        result.annotations = descriptor.annotations
        result.platform = descriptor.platform
        return result
    }

    /// Streams the stored layer through the compressor into a new blob, checking the layer's own
    /// digest on the way (a damaged store blob is never sent on).
    private func compress(_ layer: Descriptor, _ compression: ExportCompression) throws -> Descriptor {
        let source = try FileDescriptor.open(reading: try store.open(layer.digest).path)
        let (fd, temp) = try store.makeBlobTempFile("variant-\(layer.digest.hex.prefix(16))")
        let output = FileDescriptor(fd: fd)
        do {
            let blob = DigestingSink(output)
            let (digest, size): (Digest, Int64)
            switch compression.algorithm {
            case .gzip:
                let compressor = try BlockGzipCompressor(sink: blob, level: compression.effectiveLevel, workers: workers)
                try pumpVerified(source, layer, into: compressor)
                try compressor.finish()
                (digest, size) = (compressor.sink.digest, compressor.sink.count)
            case .zstd:
                let compressor = try ZstdCompressor(sink: blob, level: compression.effectiveLevel, workers: workers)
                try pumpVerified(source, layer, into: compressor)
                try compressor.finish()
                (digest, size) = (compressor.sink.digest, compressor.sink.count)
            case .uncompressed:
                return layer
            }
            let descriptor = Descriptor(mediaType: compression.mediaType(for: layer.mediaType), digest: digest, size: size)
            try store.adoptBlob(temp, as: descriptor)
            return descriptor
        } catch {
            unlink(temp.path)
            throw error
        }
    }

    private func pumpVerified<Sink: ByteSink & AnyObject>(_ source: FileDescriptor, _ layer: Descriptor, into sink: Sink) throws {
        var digester = Digester(algorithm: layer.digest.algorithm)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var target = sink
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.readSome(into: $0) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { chunk in
                let part = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
                digester.update(bufferPointer: part)
                try target.write(part)
            }
        }
        guard digester.byteCount == layer.size, digester.finalize() == layer.digest else {
            throw LayerArchiveError(.corruptArchive, "layer \(layer.digest) in the store does not match its digest; run kiln system check")
        }
    }
}
