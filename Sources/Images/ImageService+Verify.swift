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
        let actual: Digest
        do {
            var (_, decompressed) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: store.open(layer.digest).path))
            var digester = Digester(algorithm: diffID.algorithm)
            while true {
                let chunk = try decompressed.read(upTo: 1 << 20)
                if chunk.isEmpty { break }
                digester.update(chunk)
            }
            actual = digester.finalize()
        } catch {
            return StoreProblem(kind: .corruptBlob, message: "layer \(layer.digest) of \(image.familiar) cannot be decompressed (\(error)); remove the image (kiln rmi), run kiln system prune, then pull or load it again", digest: layer.digest)
        }
        guard actual == diffID else {
            return StoreProblem(kind: .corruptBlob, message: "layer \(layer.digest) of \(image.familiar) decompresses to \(actual), but its config says \(diffID); remove the image (kiln rmi), run kiln system prune, then pull or load it again", digest: layer.digest)
        }
        return nil
    }
}
