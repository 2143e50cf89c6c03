import Distribution
import Foundation
import ImageSpec
import ImageStore
import LayerArchive
import LayerVariants

/// Where a layer of an imported build cache can be fetched from: a repository of a registry.
public struct RemoteBlob: Sendable, Hashable {
    public var host: String
    public var repository: String

    public init(host: String, repository: String) {
        self.host = host
        self.repository = repository
    }
}

/// How `--cache-to` writes a cache manifest (`docker buildx` spells the options the same).
public struct CacheExportFormat: Sendable {
    /// `oci-mediatypes` (default true): an OCI index and OCI layer types, else Docker's manifest list.
    public var ociMediaTypes = true
    /// `image-manifest` (default false): an OCI image manifest whose config is the cache config,
    /// for registries that refuse an index whose entries are not manifests.
    public var imageManifest = false
    /// `compression`: how layers stored uncompressed leave the machine.
    public var compression: ExportCompression = .default

    public init() {}
}

/// The cache manifest read back: its entries and where their layers live.
public struct ImportedCache: Sendable {
    public var entries: [CacheEntry]
    public var source: RemoteBlob
}

extension ImageService {
    /// Pushes `entries` as a BuildKit cache manifest to `reference`: every layer blob (compressed
    /// as `format` says when stored uncompressed; a layer not in the store is mounted or copied
    /// from where `remoteBlobs` says it lives; a layer found nowhere drops its entry), the cache
    /// config blob, then the manifest (an index by default). Returns the manifest digest.
    /// Throws `RegistryError`, `StoreError`.
    @discardableResult
    public func pushCache(_ entries: [CacheEntry], to reference: ImageReference, format: CacheExportFormat,
                          remoteBlobs: [Digest: RemoteBlob] = [:]) async throws -> Digest {
        let host = reference.registryHost, repository = reference.repository
        let exported = try exportedEntries(entries, format: format, remoteBlobs: remoteBlobs)
        let (config, descriptors) = BuildKitCacheConfig.make(exported)
        try store.hold(blobs: descriptors.map(\.digest))
        for layer in descriptors {
            if store.contains(layer.digest) {
                _ = try await pushBlob(layer, host: host, repository: repository, mountFrom: nil, reporting: false)
            } else if let remote = remoteBlobs[layer.digest] {
                _ = try await pushRemoteBlob(layer, from: remote, host: host, repository: repository)
            }
        }
        let configBytes = try CanonicalJSON.encode(config)
        let configDescriptor = Descriptor(mediaType: BuildKitCacheConfig.mediaType, content: configBytes)
        try await registry.pushBlob(host: host, repository: repository, descriptor: configDescriptor,
                                    source: RegistryClient.source(configBytes))
        let (mediaType, bytes) = try Self.cacheManifest(descriptors: descriptors, config: configDescriptor, format: format)
        var target = reference
        if reference.tag == nil && reference.digest == nil { target = try reference.withTag(ImageReference.defaultTag) }
        return try await registry.putManifest(target, mediaType: mediaType, bytes: bytes)
    }

    /// The entries whose layers can be exported, each with the layer as it leaves the machine.
    func exportedEntries(_ entries: [CacheEntry], format: CacheExportFormat, remoteBlobs: [Digest: RemoteBlob]) throws -> [CacheEntry] {
        let variants = LayerVariants(store: store)
        var result: [CacheEntry] = []
        for var entry in entries {
            if store.contains(entry.layer.digest) {
                try store.hold(blobs: [entry.layer.digest])
                entry.layer = try variants.exported(entry.layer, compression: format.compression, docker: !format.ociMediaTypes)
            } else if remoteBlobs[entry.layer.digest] == nil {
                continue
            }
            if !format.ociMediaTypes, entry.layer.mediaType == .ociLayerGzip { entry.layer.mediaType = .dockerLayerGzip }
            result.append(entry)
        }
        return result
    }

    /// The cache manifest's media type and bytes: an index (or Docker manifest list) of the layers
    /// followed by the config, or with `imageManifest` an image manifest with the config as config.
    static func cacheManifest(descriptors: [Descriptor], config: Descriptor, format: CacheExportFormat) throws -> (MediaType, Data) {
        if format.imageManifest {
            let manifest = Manifest(mediaType: .ociManifest, config: config, layers: descriptors)
            return (.ociManifest, try CanonicalJSON.encode(manifest))
        }
        let mediaType: MediaType = format.ociMediaTypes ? .ociIndex : .dockerManifestList
        let index = Index(mediaType: mediaType, manifests: descriptors + [config])
        return (mediaType, try CanonicalJSON.encode(index))
    }

    /// Reads the cache manifest at `reference`: a BuildKit cache index or manifest list, a cache
    /// image manifest (`image-manifest=true`), or an image with an inline cache
    /// (`moby.buildkit.cache.v0` in its config). Throws ``ImagesError`` (`unsupportedImage`) naming
    /// the reference when it is none of these or its config cannot be read; `RegistryError` when
    /// the registry cannot be reached or refuses.
    public func pullCache(_ reference: ImageReference) async throws -> ImportedCache {
        let host = reference.registryHost, repository = reference.repository
        let source = RemoteBlob(host: host, repository: repository)
        let top = try await registry.resolve(reference)
        let fetch: @Sendable (Descriptor) async throws -> Data = { descriptor in
            try await self.fetchSmallBlob(descriptor, from: source)
        }
        let entries = try await Self.cacheEntries(topMediaType: top.descriptor.mediaType, bytes: top.bytes, name: reference.description, fetch: fetch)
        return ImportedCache(entries: entries, source: source)
    }

    /// The entries of a cache manifest (see ``pullCache(_:)``); `fetch` reads a blob it names.
    static func cacheEntries(topMediaType: MediaType, bytes: Data, name: String,
                             fetch: @Sendable (Descriptor) async throws -> Data) async throws -> [CacheEntry] {
        func foreign(_ why: String) -> ImagesError {
            ImagesError(.unsupportedImage, "\(name) is not a build cache kiln can read (\(why))")
        }
        func decodeConfig(_ data: Data) throws -> BuildKitCacheConfig {
            do { return try JSONDecoder().decode(BuildKitCacheConfig.self, from: data) } catch {
                throw foreign("its cache config does not decode: \(error)")
            }
        }
        if topMediaType.isIndex {
            let index: Index
            do { index = try CanonicalJSON.decode(Index.self, from: bytes) } catch { throw foreign("bad index: \(error)") }
            guard let configDescriptor = index.manifests.first(where: { $0.mediaType == BuildKitCacheConfig.mediaType }) else {
                throw foreign("an index without an \(BuildKitCacheConfig.mediaType) entry")
            }
            let config = try decodeConfig(try await fetch(configDescriptor))
            return config.entries(descriptors: index.manifests) + BuildKitCacheConfig.cacheMountEntries(index.manifests)
        }
        guard topMediaType.isManifest else { throw foreign("media type \(topMediaType)") }
        let manifest: Manifest
        do { manifest = try CanonicalJSON.decode(Manifest.self, from: bytes) } catch { throw foreign("bad manifest: \(error)") }
        if manifest.config.mediaType == BuildKitCacheConfig.mediaType {
            return try decodeConfig(try await fetch(manifest.config)).entries(descriptors: manifest.layers)
                + BuildKitCacheConfig.cacheMountEntries(manifest.layers)
        }
        guard manifest.config.mediaType.isImageConfig else { throw foreign("config media type \(manifest.config.mediaType)") }
        let imageConfig: ImageConfig
        do { imageConfig = try CanonicalJSON.decode(ImageConfig.self, from: try await fetch(manifest.config)) } catch {
            throw foreign("bad image config: \(error)")
        }
        guard let inline = imageConfig.extraFields[BuildKitCacheConfig.inlineConfigField] else {
            throw foreign("an image without an inline cache (\(BuildKitCacheConfig.inlineConfigField))")
        }
        return try InlineCache.entries(inline, layers: manifest.layers, diffIDs: imageConfig.rootfs.diffIDs, decode: decodeConfig)
    }

    /// A blob of at most 16 MiB, fetched and verified.
    func fetchSmallBlob(_ descriptor: Descriptor, from source: RemoteBlob) async throws -> Data {
        guard descriptor.size <= 16 << 20 else {
            throw ImagesError(.unsupportedImage, "blob \(descriptor.digest) of \(source.repository) is too large (\(descriptor.size) bytes) for a cache config")
        }
        var data = Data()
        for try await chunk in registry.fetchBlob(host: source.host, repository: source.repository, descriptor: descriptor) {
            data.append(chunk)
        }
        try descriptor.verify(data)
        return data
    }

    /// Fetches a cached layer blob into the store unless it is there (verified by the ingest).
    public func fetchCachedLayer(_ layer: Descriptor, from source: RemoteBlob) async throws {
        try store.hold(blobs: [layer.digest])
        if store.contains(layer.digest) { return }
        try await store.ingest(expected: layer, from: registry.fetchBlob(host: source.host, repository: source.repository, descriptor: layer))
    }

    /// Unpacks a cached layer (in the store) into the snapshot `chainID`, checking its diffID.
    public func unpackCachedLayer(_ layer: Descriptor, diffID: Digest, chainID: Digest, lowerLayers: [String] = []) throws {
        try store.hold(blobs: [layer.digest], snapshots: [chainID])
        _ = try unpack(layer, diffID: diffID, chainID: chainID, lowerLayers: lowerLayers)
    }

    /// Unpacks a layer in the store (uncompressed or gzip) into `directory` (a cache mount being
    /// restored), checking its diffID.
    public func unpackLayer(_ layer: Descriptor, diffID: Digest, into directory: String) throws {
        try store.hold(blobs: [layer.digest])
        let blob = try store.open(layer.digest)
        let (_, decompressed) = try CompressionSniffer.decompressing(try FileDescriptor.open(reading: blob.path))
        let hashing = HashingSource(base: decompressed, digester: Digester(algorithm: diffID.algorithm),
                                    limit: ImageLimits.maxLayerSize(), what: "layer \(layer.digest)")
        var reader = TarReader(hashing)
        try LayerApplier(target: directory).apply(&reader)
        while !(try hashing.read(upTo: 1 << 20)).isEmpty {}
        let actual = hashing.digester.finalize()
        guard actual == diffID else {
            throw ImagesError(.unsupportedImage, "layer \(layer.digest) unpacks to \(actual), but the cache says \(diffID)")
        }
    }

    /// Makes `repository` on `host` hold a blob that lives in `remote`: mounted within one
    /// registry, else streamed from there.
    func pushRemoteBlob(_ descriptor: Descriptor, from remote: RemoteBlob, host: String, repository: String) async throws -> TransferOutcome {
        let sameRegistry = remote.host == host
        let registry = self.registry
        let source: BlobSource = {
            let box = BlobIteratorBox(registry.fetchBlob(host: remote.host, repository: remote.repository, descriptor: descriptor).makeAsyncIterator())
            return AsyncThrowingStream(unfolding: { try await box.next() })
        }
        let mountFrom = sameRegistry && remote.repository != repository ? remote.repository : nil
        switch try await registry.pushBlob(host: host, repository: repository, descriptor: descriptor, mountFrom: mountFrom, source: source) {
        case .existed: return .alreadyExists
        case .mounted: return .mounted(from: remote.repository)
        case .uploaded: return .pushed
        }
    }
}

/// A blob stream's iterator shared with a `@Sendable` stream body (read by one iteration at a time).
final class BlobIteratorBox: @unchecked Sendable {
    var iterator: BlobStream.Iterator
    init(_ iterator: BlobStream.Iterator) { self.iterator = iterator }
    func next() async throws -> Data? { try await iterator.next() }
}
