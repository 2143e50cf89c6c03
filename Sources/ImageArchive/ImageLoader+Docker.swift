import Foundation
import ImageSpec
import ImageStore
import LayerArchive

extension ImageLoader {
    /// Loads a docker-archive by its `manifest.json`: each entry's config (checked against the
    /// digest its file name carries) and layers (each checked against the config's diff_ids).
    /// Uncompressed layers are stored gzip-compressed; the image gets an OCI manifest (as kiln builds).
    /// The image ID (config digest) is kept.
    func loadDocker(_ files: ArchiveFiles) async throws -> [ArchiveImage] {
        let entries = try decode([DockerArchiveEntry].self, try files.read("manifest.json"), "manifest.json of \(files.source)")
        guard !entries.isEmpty else { throw ArchiveError(.invalidArchive, "manifest.json of \(files.source) lists no images") }
        var images: [ArchiveImage] = []
        for entry in entries {
            try Task.checkCancellation()
            let configBytes = try files.read(entry.config, limit: ImageLimits.maxConfigSize)
            let configDescriptor = Descriptor(mediaType: .ociConfig, content: configBytes)
            let named = (entry.config as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "")
            if named.count == 64, named.allSatisfy(\.isHexDigit), named != configDescriptor.digest.hex {
                throw ArchiveError(.digestMismatch, "config \(entry.config) in \(files.source) hashes to \(configDescriptor.digest), not the digest its name gives")
            }
            let config = try decode(ImageConfig.self, configBytes, "image config \(entry.config)")
            let diffIDs = config.rootfs.diffIDs
            guard diffIDs.count <= ImageLimits.maxLayers else {
                throw ArchiveError(.unsupported, "image \(entry.config) in \(files.source) has \(diffIDs.count) layers, more than the \(ImageLimits.maxLayers) an image may have (max depth exceeded); refusing it")
            }
            guard diffIDs.count == entry.layers.count else {
                throw ArchiveError(.invalidArchive, "image \(entry.config) in \(files.source) lists \(entry.layers.count) layers but its config has \(diffIDs.count) diff_ids")
            }
            var layers: [Descriptor] = []
            for (layerName, diffID) in zip(entry.layers, diffIDs) {
                layers.append(try await storeLayer(files, layerName, diffID: diffID))
            }
            try storeCall { _ = try store.put(bytes: configBytes, mediaType: .ociConfig) }
            let manifest = Manifest(mediaType: .ociManifest, config: configDescriptor, layers: layers)
            let manifestBytes = try CanonicalJSON.encode(manifest)
            var descriptor = try storeCall { try store.put(bytes: manifestBytes, mediaType: .ociManifest) }
            descriptor.platform = try? Platform(os: config.platform.os, architecture: config.platform.architecture, variant: config.platform.variant)
            images.append(ArchiveImage(manifestDescriptor: descriptor, references: try (entry.repoTags ?? []).map(Self.parseTag)))
        }
        return images
    }

    /// Stores one layer file after checking it uncompresses to `diffID`: a gzip layer as it is, an
    /// uncompressed one as it is too (compressed only if the image leaves the machine again).
    private func storeLayer(_ files: ArchiveFiles, _ name: String, diffID: Digest) async throws -> Descriptor {
        let path = try files.path(name)
        let input = try tarCall { try FileDescriptor.open(reading: path) }
        let head = try tarCall { try input.read(upTo: CompressionSniffer.prefixLength) }
        let compression = CompressionSniffer.detect(head)
        if compression == .gzip {
            // Already compressed: keep the blob as it is.
            let source = try uncompressedLayer(path: path, mediaType: .ociLayerGzip)
            let (actual, _) = try check(name, files).run(source)
            try check(actual, diffID, name, files)
            var sink = DiscardingSink()
            var raw = try tarCall { try FileDescriptor.open(reading: path) }
            let (digest, size) = try pump(&raw, into: &sink)
            let descriptor = Descriptor(mediaType: .ociLayerGzip, digest: digest, size: size)
            try await ingest(files, name, expected: descriptor)
            return descriptor
        }
        guard compression == .none else {
            throw ArchiveError(.unsupported, "layer \(name) in \(files.source) is \(compression.rawValue)-compressed, which kiln cannot read yet")
        }
        // Named after this process (`layer-<pid>-<random>`): a killed load's file is removed at the next start.
        guard let (fd, tempURL) = try? store.makeBlobTempFile("layer") else {
            throw ArchiveError(.io, "cannot create a temp file in \(store.location.tempDirectory.path)")
        }
        let temp = tempURL.path
        defer { unlink(temp) }
        let blob = FileDescriptor(fd: fd)
        let sink = try tarCall { try LayerBlobSink(blob: blob, compression: .none) }
        let plain = try tarCall { try FileDescriptor.open(reading: path) }
        _ = try check(name, files).run(AnyByteSource(plain), copy: { try sink.write($0) })
        let digests = try tarCall { try sink.finish() }
        try check(digests.diffID, diffID, name, files)
        let descriptor = digests.descriptor(mediaType: .ociLayer)
        try await storeCallAsync { try await store.ingest(expected: descriptor, contentsOf: URL(fileURLWithPath: temp)) }
        return descriptor
    }

    /// The entry check of layer file `name` (``LayerStreamCheck``), within `KILN_MAX_LAYER_SIZE`.
    private func check(_ name: String, _ files: ArchiveFiles) -> LayerStreamCheck {
        LayerStreamCheck(what: "layer \(name) in \(files.source)", limit: ImageLimits.maxLayerSize())
    }

    private func check(_ actual: Digest, _ expected: Digest, _ name: String, _ files: ArchiveFiles) throws {
        guard actual == expected else {
            throw ArchiveError(.digestMismatch, "layer \(name) in \(files.source) has diffID \(actual) but the image config expects \(expected); the archive is corrupt or was tampered with")
        }
    }
}
