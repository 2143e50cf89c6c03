import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageService {
    /// The uncompressed size of each of `image`'s layers, base first (Docker's layer sizes, as
    /// `docker history` and `docker images` show them). Reads each layer blob through the
    /// decompressor; a missing blob counts as 0.
    public func uncompressedLayerSizes(for image: LocalImage) -> [Int64] {
        image.manifest.layers.map { layer in
            guard let url = try? store.open(layer.digest) else { return 0 }
            return (try? Self.uncompressedSize(url)) ?? layer.size
        }
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
