import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageService {
    /// The size of each of `image`'s layers, base first, as `docker history` and `docker images`
    /// show them: the bytes of the files the layer holds (regular files' sizes plus symlink targets;
    /// directories, hardlinks and whiteouts count 0 — what Docker's graph driver measures), not the
    /// tar's length. So a layer holding only a directory (`WORKDIR`) is `0B`, as in Docker. A missing
    /// blob counts as 0.
    ///
    /// Sizes are remembered in `kiln/layer-sizes/<alg>-<hex>` (a decimal number, written atomically),
    /// so each blob is read once.
    public func uncompressedLayerSizes(for image: LocalImage) -> [Int64] {
        image.manifest.layers.map { uncompressedSize(ofLayer: $0) }
    }

    /// Best effort: a failed write only means computing the size again next time.
    static func remember(_ size: Int64, at url: URL) {
        let dir = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max))")
        guard (try? Data(String(size).utf8).write(to: temp)) != nil else { return }
        if rename(temp.path, url.path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }

    /// The sum of ``uncompressedLayerSizes(for:)``: Docker's image `Size`.
    public func uncompressedSize(of image: LocalImage) -> Int64 {
        uncompressedLayerSizes(for: image).reduce(0, +)
    }

    static func uncompressedSize(_ url: URL) throws -> Int64 {
        var reader = try TarReader(detectingCompressionOf: url.path)
        var total: Int64 = 0
        while let header = try reader.next() {
            switch header.type {
            case .regular: total += header.size
            case .symlink: total += Int64(header.linkName.utf8.count)
            default: break
            }
        }
        return total
    }
}
