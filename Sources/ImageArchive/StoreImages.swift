import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// One single-platform image read from the store: manifest, config and their bytes.
struct StoredImage: Sendable {
    var manifestDescriptor: Descriptor
    var manifest: Manifest
    var configBytes: Data
    var config: ImageConfig
}

/// Reading images out of the content store, verified.
extension ContentStore {
    /// The single-platform image `descriptor` names: a manifest, or the host's entry of an index
    /// (falling back to the first entry whose manifest is in the store).
    nonisolated func singleImage(_ descriptor: Descriptor) throws -> StoredImage {
        var current = descriptor
        for _ in 0..<4 {
            let bytes = try storeCall { try read(verifying: current) }
            if current.mediaType.isIndex {
                let index = try decode(Index.self, bytes, "index \(current.digest)")
                guard let pick = index.manifest(for: .host) ?? index.manifests.first(where: { contains($0.digest) && $0.mediaType.isManifest }) else {
                    throw ArchiveError(.missingContent, "image index \(current.digest) has no manifest for \(Platform.host) in the store")
                }
                current = pick
                continue
            }
            guard current.mediaType.isManifest else {
                throw ArchiveError(.unsupported, "\(current.digest) is a \(current.mediaType), not an image manifest or index")
            }
            let manifest = try decode(Manifest.self, bytes, "manifest \(current.digest)")
            let configBytes = try storeCall { try read(verifying: manifest.config) }
            let config = try decode(ImageConfig.self, configBytes, "image config \(manifest.config.digest)")
            guard config.rootfs.diffIDs.count == manifest.layers.count else {
                throw ArchiveError(.invalidArchive, "image \(manifest.config.digest) has \(manifest.layers.count) layers but its config lists \(config.rootfs.diffIDs.count) diff_ids")
            }
            return StoredImage(manifestDescriptor: current, manifest: manifest, configBytes: configBytes, config: config)
        }
        throw ArchiveError(.invalidArchive, "image index \(descriptor.digest) nests too deeply")
    }

    /// Every blob reachable from `descriptor` (itself included), in a parent-first order, each once.
    nonisolated func reachableBlobs(_ descriptor: Descriptor) throws -> [Descriptor] {
        var result: [Descriptor] = []
        var seen: Set<Digest> = []
        func visit(_ d: Descriptor, depth: Int) throws {
            guard seen.insert(d.digest).inserted else { return }
            guard depth < 8 else { throw ArchiveError(.invalidArchive, "image index \(descriptor.digest) nests too deeply") }
            result.append(d)
            if d.mediaType.isIndex {
                let index = try decode(Index.self, try storeCall { try read(verifying: d) }, "index \(d.digest)")
                for child in index.manifests where contains(child.digest) { try visit(child, depth: depth + 1) }
            } else if d.mediaType.isManifest {
                let manifest = try decode(Manifest.self, try storeCall { try read(verifying: d) }, "manifest \(d.digest)")
                try visit(manifest.config, depth: depth + 1)
                for layer in manifest.layers { try visit(layer, depth: depth + 1) }
            }
        }
        try visit(descriptor, depth: 0)
        return result
    }
}

/// Runs a store operation, turning its errors into ``ArchiveError``.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ArchiveError {
        throw error
    } catch let error as StoreError {
        let code: ArchiveError.Code = error.code == .blobNotFound ? .missingContent : (error.code == .digestMismatch || error.code == .sizeMismatch ? .digestMismatch : .io)
        throw ArchiveError(code, error.message, cause: error.cause)
    }
}

/// Decodes a JSON document, turning failures into ``ArchiveError`` naming `what`.
func decode<T: Decodable>(_ type: T.Type, _ bytes: Data, _ what: String) throws -> T {
    do {
        return try CanonicalJSON.decode(type, from: bytes)
    } catch {
        throw ArchiveError(.invalidArchive, "\(what) is not valid", cause: "\(error)")
    }
}

/// A source over a layer blob that yields the uncompressed tar (gzip or none); zstd is refused.
func uncompressedLayer(path: String, mediaType: MediaType) throws -> AnyByteSource {
    do {
        let (compression, source) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: path))
        _ = compression
        return AnyByteSource(source)
    } catch let error as LayerArchiveError {
        throw ArchiveError(error.kind == .unsupported ? .unsupported : .io, "cannot read layer \(path) (\(mediaType))", cause: "\(error)")
    }
}

/// Streams all of `source` into `sink` (64 KiB at a time), returning the sha256 and byte count.
func pump<Source: ByteSource, Sink: ByteSink>(_ source: inout Source, into sink: inout Sink) throws -> (Digest, Int64) {
    var digester = Digester(algorithm: .sha256)
    while true {
        let chunk: [UInt8]
        do {
            chunk = try source.read(upTo: 256 * 1024)
        } catch let error as LayerArchiveError {
            throw ArchiveError(error.kind == .truncated ? .invalidArchive : .io, "cannot read content", cause: "\(error)")
        }
        if chunk.isEmpty { break }
        digester.update(chunk)
        try sink.write(chunk)
    }
    return (digester.finalize(), digester.byteCount)
}
