import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageService {
    /// Decompresses every layer blob of every image in the store and checks it against the diff_id
    /// its image config gives (what `kiln system check` adds to the store's own blob hashing: a
    /// blob can hash to its name yet be a truncated gzip, or not be the layer the config says).
    /// Each layer digest is read once. Missing blobs are the store check's to report; images
    /// whose documents cannot be read are skipped. Returns the problems found.
    public func verifyLayerContents() async throws -> [StoreProblem] {
        var problems: [StoreProblem] = []
        var checked = Set<String>()
        for tagged in try store.list() {
            guard let image = try? load(tagged.descriptor) else { continue }
            for (layer, diffID) in zip(image.manifest.layers, image.config.rootfs.diffIDs) {
                try Task.checkCancellation()
                guard checked.insert("\(layer.digest) \(diffID)").inserted, store.contains(layer.digest) else { continue }
                if let problem = verifyLayer(layer, diffID: diffID, image: tagged.reference) { problems.append(problem) }
            }
        }
        return problems
    }

    private func verifyLayer(_ layer: Descriptor, diffID: Digest, image: ImageReference) -> StoreProblem? {
        do {
            try verifyStoredLayer(layer, diffID: diffID, limit: nil)
            return nil
        } catch {
            return StoreProblem(kind: .corruptBlob, message: "\(error) (image \(image.familiar)); remove the image (kiln rmi), run kiln system prune, then pull or load it again", digest: layer.digest)
        }
    }

    /// Decompresses the stored layer blob `layer` and checks it is exactly `diffID`, stopping
    /// past `limit` bytes. Throws ``ImagesError`` (`unsupportedImage`) naming the layer.
    func verifyStoredLayer(_ layer: Descriptor, diffID: Digest, limit: Int64?) throws {
        var digester = Digester(algorithm: diffID.algorithm)
        do {
            var (_, decompressed) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: store.open(layer.digest).path))
            while true {
                let chunk = try decompressed.read(upTo: 1 << 20)
                if chunk.isEmpty { break }
                digester.update(chunk)
                if let limit, digester.byteCount > limit {
                    throw ImagesError(.unsupportedImage, ImageLimits.layerTooLarge("layer \(layer.digest)", limit: limit))
                }
            }
        } catch let error as ImagesError {
            throw error
        } catch {
            throw ImagesError(.unsupportedImage, "layer \(layer.digest) cannot be decompressed: \(error)")
        }
        let actual = digester.finalize()
        guard actual == diffID else {
            throw ImagesError(.unsupportedImage, "layer \(layer.digest) decompresses to \(actual), but the image config says \(diffID)")
        }
    }
}
