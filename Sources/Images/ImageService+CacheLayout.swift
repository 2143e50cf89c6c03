import Foundation
import ImageSpec
import ImageStore
import LayerVariants

/// `--cache-to type=local,dest=DIR` / `--cache-from type=local,src=DIR`: the cache manifest as an
/// OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`), BuildKit's local cache layout:
/// `index.json` lists the cache index under a tag (`org.opencontainers.image.ref.name`, default
/// `latest`). Blobs already in the directory are kept, so one directory collects several exports.
extension ImageService {
    /// Writes `entries` (their layers compressed as `format` says) into the layout at `directory`,
    /// `index.json` last and atomically. Entries whose layer is not in the store are dropped.
    public func writeCacheLayout(_ entries: [CacheEntry], to directory: URL, tag: String = "latest", format: CacheExportFormat) throws {
        let exported = try exportedEntries(entries, format: format, remoteBlobs: [:])
        let (config, descriptors) = BuildKitCacheConfig.make(exported)
        let blobs = directory.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        func put(_ digest: Digest, _ write: (URL) throws -> Void) throws {
            let target = blobs.appendingPathComponent(digest.hex)
            if FileManager.default.fileExists(atPath: target.path) { return }
            let temp = blobs.appendingPathComponent(".\(digest.hex).\(UInt32.random(in: 0...UInt32.max))")
            do {
                try write(temp)
                guard rename(temp.path, target.path) == 0 else { throw StoreError(.io, "cannot write \(target.path)") }
            } catch {
                try? FileManager.default.removeItem(at: temp)
                throw error
            }
        }
        for layer in descriptors {
            try put(layer.digest) { try FileManager.default.copyItem(at: try store.open(layer.digest), to: $0) }
        }
        let configBytes = try CanonicalJSON.encode(config)
        let configDescriptor = Descriptor(mediaType: BuildKitCacheConfig.mediaType, content: configBytes)
        try put(configDescriptor.digest) { try configBytes.write(to: $0) }
        let (mediaType, bytes) = try Self.cacheManifest(descriptors: descriptors, config: configDescriptor, format: format)
        var top = Descriptor(mediaType: mediaType, content: bytes)
        try put(top.digest) { try bytes.write(to: $0) }
        top.annotations = [Descriptor.refNameAnnotation: tag]
        var others: [Descriptor] = []
        if let data = try? Data(contentsOf: directory.appendingPathComponent("index.json")),
           let existing = try? CanonicalJSON.decode(Index.self, from: data) {
            others = existing.manifests.filter { $0.referenceName != tag }
        }
        let index = Index(mediaType: .ociIndex, manifests: others + [top])
        try Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8).write(to: directory.appendingPathComponent("oci-layout"), options: .atomic)
        try CanonicalJSON.encode(index).write(to: directory.appendingPathComponent("index.json"), options: .atomic)
    }

    /// The entries of the cache tagged `tag` in the layout at `directory`. Throws ``ImagesError``
    /// (`unsupportedImage`) naming the directory when it holds no readable cache.
    public static func readCacheLayout(_ directory: URL, tag: String = "latest") async throws -> [CacheEntry] {
        let name = "\(directory.path) (tag \(tag))"
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("index.json")),
              let index = try? CanonicalJSON.decode(Index.self, from: data) else {
            throw ImagesError(.unsupportedImage, "\(directory.path) is not an OCI layout with a readable index.json")
        }
        guard let top = index.manifests.first(where: { $0.referenceName == tag }) ?? (index.manifests.count == 1 ? index.manifests.first : nil) else {
            throw ImagesError(.unsupportedImage, "\(name): no cache under that tag in index.json")
        }
        let read: @Sendable (Descriptor) async throws -> Data = { descriptor in
            let url = cacheLayoutBlob(directory, descriptor.digest)
            guard descriptor.size <= 16 << 20, let bytes = try? Data(contentsOf: url) else {
                throw ImagesError(.unsupportedImage, "\(name): blob \(descriptor.digest) is missing or too large")
            }
            try descriptor.verify(bytes)
            return bytes
        }
        return try await cacheEntries(topMediaType: top.mediaType, bytes: try await read(top), name: name, fetch: read)
    }

    /// Where the layout at `directory` keeps blob `digest`.
    public static func cacheLayoutBlob(_ directory: URL, _ digest: Digest) -> URL {
        directory.appendingPathComponent("blobs/\(digest.algorithm.rawValue)/\(digest.hex)")
    }
}
