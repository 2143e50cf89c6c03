import Foundation
import ImageSpec
import LayerArchive

/// Fuzz bodies for what kiln reads from images and registries: the tar reader (entries, PAX and
/// GNU long names, content), the gzip reader, and the manifest, index and config decoders. The
/// contract under test: no input crashes or hangs; errors are fine. Inputs are bounded by the
/// fuzzer's max length, so memory stays small.
public enum ArchiveFuzz {
    /// Every entry of `bytes` as an uncompressed tar, content read to the end.
    public static func tar(_ bytes: [UInt8]) {
        var reader = TarReader(InMemorySource(bytes))
        var entries = 0
        while entries < 10_000, let header = try? reader.next() {
            _ = header.path
            var sink = DiscardingSink()
            if (try? reader.copyContent(to: &sink)) == nil { return }
            entries += 1
        }
    }

    /// `bytes` through the gzip reader (whatever the compression sniffer decides), then as a tar.
    public static func gzip(_ bytes: [UInt8]) {
        guard var (_, source) = try? CompressionSniffer.decompressing(InMemorySource(bytes)) else { return }
        var total = 0
        while total < 64 << 20, let chunk = try? source.read(upTo: 64 << 10), !chunk.isEmpty { total += chunk.count }
        if let reader = try? TarReader(detectingCompression: InMemorySource(bytes)) {
            var reader = reader
            var entries = 0
            while entries < 10_000, (try? reader.next()) != nil { entries += 1 }
        }
    }

    /// `bytes` as a manifest, an index and an image config, and a limits check of the manifest.
    public static func documents(_ bytes: [UInt8]) {
        let data = Data(bytes)
        if let manifest = try? CanonicalJSON.decode(Manifest.self, from: data) {
            _ = ImageLimits.refusal(of: manifest, "fuzz")
            _ = try? CanonicalJSON.encode(manifest)
        }
        if let index = try? CanonicalJSON.decode(Index.self, from: data) {
            _ = index.manifest(for: Platform.host)
            _ = try? CanonicalJSON.encode(index)
        }
        if let config = try? CanonicalJSON.decode(ImageConfig.self, from: data) {
            _ = config.rootfs.diffIDs.count
            _ = try? CanonicalJSON.encode(config)
        }
    }
}
