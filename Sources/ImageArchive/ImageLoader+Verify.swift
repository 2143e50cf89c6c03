import Foundation
import ImageSpec
import LayerArchive

/// Checks made on an archive's image before its blobs enter the store, as `docker load` makes
/// them: the config is small and decodes, the image is not deeper than ``ImageLimits/maxLayers``,
/// and each layer decompresses completely (no truncated gzip) to exactly its config diff_id,
/// within `KILN_MAX_LAYER_SIZE` when that is set, with every entry one an unpack would accept.
extension ImageLoader {
    /// The config of `manifest` read from the archive, after the limits are checked.
    /// Throws ``ArchiveError`` naming the blob.
    func verifiedConfig(_ files: ArchiveFiles, _ manifest: Manifest, manifestDigest: Digest) throws -> ImageConfig {
        if let refusal = ImageLimits.refusal(of: manifest, "image \(manifestDigest) in \(files.source)") {
            throw ArchiveError(.unsupported, refusal)
        }
        let bytes = try files.read(Self.blobName(manifest.config.digest), limit: ImageLimits.maxConfigSize)
        do { try manifest.config.verify(bytes) } catch {
            throw ArchiveError(.digestMismatch, "config \(manifest.config.digest) in \(files.source) does not match its descriptor", cause: "\(error)")
        }
        let config = try decode(ImageConfig.self, bytes, "image config \(manifest.config.digest)")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ArchiveError(.invalidArchive, "image \(manifestDigest) in \(files.source) lists \(manifest.layers.count) layers but its config has \(config.rootfs.diffIDs.count) diff_ids")
        }
        return config
    }

    /// Decompresses layer `layer` of the archive and checks it against `diffID`; a tar layer's entries are
    /// read and judged as an unpack judges them (``LayerStreamCheck``), so a hostile layer is refused here.
    func verifyLayer(_ files: ArchiveFiles, _ layer: Descriptor, diffID: Digest) throws {
        let name = Self.blobName(layer.digest)
        let limit = ImageLimits.maxLayerSize()
        let what = "layer \(layer.digest) in \(files.source)"
        var source = try uncompressedLayer(path: try files.path(name), mediaType: layer.mediaType)
        let actual: Digest
        if layer.mediaType.isLayer {
            actual = try LayerStreamCheck(what: what, limit: limit).run(source).diffID
        } else {
            var digester = Digester(algorithm: diffID.algorithm)
            do {
                while true {
                    let chunk = try source.read(upTo: 256 * 1024)
                    if chunk.isEmpty { break }
                    digester.update(chunk)
                    if let limit, digester.byteCount > limit {
                        throw ArchiveError(.unsupported, ImageLimits.layerTooLarge(what, limit: limit))
                    }
                }
            } catch let error as ArchiveError {
                throw error
            } catch {
                throw ArchiveError(.invalidArchive, "\(what) cannot be decompressed (truncated or corrupt)", cause: "\(error)")
            }
            actual = digester.finalize()
        }
        guard actual == diffID else {
            throw ArchiveError(.digestMismatch, "\(what) has diffID \(actual) but the image config expects \(diffID); the archive is corrupt or was tampered with")
        }
    }
}
