import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageService {
    /// The uncompressed size of each of `image`'s layers, base first (Docker's layer sizes, as
    /// `docker history` and `docker images` show them). Reads each layer blob through the
    /// decompressor; a missing blob counts as 0.
    ///
    /// Sizes are remembered in `kiln/sizes/<alg>-<hex>` (a decimal number, written atomically), so
    /// each blob is decompressed once.
    public func uncompressedLayerSizes(for image: LocalImage) -> [Int64] {
        image.manifest.layers.map { layer in
            let cache = store.location.stateDirectory.appendingPathComponent("sizes/\(layer.digest.algorithm.rawValue)-\(layer.digest.hex)")
            if let text = try? String(contentsOf: cache, encoding: .utf8), let size = Int64(text) { return size }
            guard let url = try? store.open(layer.digest), let size = try? Self.uncompressedSize(url) else { return 0 }
            Self.remember(size, at: cache)
            return size
        }
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
        var (_, source) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: url.path))
        var total: Int64 = 0
        while true {
            let chunk = try source.read(upTo: 1 << 20)
            if chunk.isEmpty { return total }
            total += Int64(chunk.count)
        }
    }
}
