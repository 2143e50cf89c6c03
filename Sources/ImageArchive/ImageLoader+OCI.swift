import Foundation
import ImageSpec
import ImageStore

extension ImageLoader {
    /// Loads an OCI image layout: every blob reachable from `index.json`, verified (each layer
    /// decompressed and checked against its config diff_id, see `ImageLoader+Verify.swift`). Names come from
    /// `io.containerd.image.name`, or `org.opencontainers.image.ref.name` when it is a full
    /// reference (a bare tag names nothing), plus the `RepoTags` of a `manifest.json` next to it
    /// (Docker ≥ 25 writes both).
    func loadOCI(_ files: ArchiveFiles) async throws -> [ArchiveImage] {
        let index = try decode(Index.self, try files.read("index.json"), "index.json of \(files.source)")
        guard !index.manifests.isEmpty else { throw ArchiveError(.invalidArchive, "index.json of \(files.source) lists no images") }
        let repoTags = try dockerRepoTags(files)
        var images: [ArchiveImage] = []
        for entry in index.manifests {
            try Task.checkCancellation()
            var descriptor = entry
            descriptor.annotations = nil
            let configDigest = try await ingestTree(files, descriptor, depth: 0)
            var names = Self.names(of: entry)
            if let configDigest { names += repoTags[configDigest] ?? [] }
            if let at = images.firstIndex(where: { $0.manifestDescriptor.digest == descriptor.digest }) {
                images[at].references += names.filter { !images[at].references.contains($0) }
            } else {
                var unique: [ImageReference] = []
                for name in names where !unique.contains(name) { unique.append(name) }
                images.append(ArchiveImage(manifestDescriptor: descriptor, references: unique))
            }
        }
        return images
    }

    /// The names an index.json entry gives.
    static func names(of entry: Descriptor) -> [ImageReference] {
        let annotations = entry.annotations ?? [:]
        if let name = annotations["io.containerd.image.name"], let reference = try? ImageReference(parsing: name) {
            return [reference]
        }
        if let name = entry.referenceName, name.contains(":") || name.contains("/"),
           let reference = try? ImageReference(parsing: name) {
            return [reference]
        }
        return []
    }

    /// `RepoTags` of `manifest.json` (if any), by config digest.
    private func dockerRepoTags(_ files: ArchiveFiles) throws -> [Digest: [ImageReference]] {
        guard try files.exists("manifest.json"),
              let entries = try? CanonicalJSON.decode([DockerArchiveEntry].self, from: try files.read("manifest.json")) else { return [:] }
        var result: [Digest: [ImageReference]] = [:]
        for entry in entries {
            guard let digest = try? Digest(algorithm: .sha256, hex: (entry.config as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "")) else { continue }
            result[digest, default: []] += try (entry.repoTags ?? []).map(Self.parseTag)
        }
        return result
    }

    /// Stores `descriptor` and everything below it; returns the config digest for a manifest.
    /// Index entries whose manifests are not in the archive are skipped (a partial multi-platform
    /// copy), but at least one must be there.
    @discardableResult
    private func ingestTree(_ files: ArchiveFiles, _ descriptor: Descriptor, depth: Int) async throws -> Digest? {
        guard depth < 8 else { throw ArchiveError(.invalidArchive, "image index in \(files.source) nests too deeply") }
        let name = Self.blobName(descriptor.digest)
        guard try files.exists(name) else {
            throw ArchiveError(.missingContent, "\(files.source) lacks blob \(descriptor.digest) (\(descriptor.mediaType))")
        }
        guard descriptor.size <= 1 << 40 else { throw ArchiveError(.invalidArchive, "blob \(descriptor.digest) declares an implausible size") }
        if descriptor.mediaType.isIndex || descriptor.mediaType.isManifest {
            guard descriptor.size <= ImageLimits.maxManifestSize else {
                throw ArchiveError(.invalidArchive, "manifest \(descriptor.digest) in \(files.source) is \(descriptor.size) bytes, more than the \(ImageLimits.maxManifestSize) allowed; refusing it")
            }
            let bytes = try files.read(name, limit: ImageLimits.maxManifestSize)
            do { try descriptor.verify(bytes) } catch {
                throw ArchiveError(.digestMismatch, "\(name) in \(files.source) does not match its digest \(descriptor.digest)", cause: "\(error)")
            }
            if descriptor.mediaType.isIndex {
                let index = try decode(Index.self, bytes, "image index \(descriptor.digest)")
                let present = try index.manifests.filter { try files.exists(Self.blobName($0.digest)) }
                guard !present.isEmpty || index.manifests.isEmpty else {
                    throw ArchiveError(.missingContent, "\(files.source) has none of the manifests of image index \(descriptor.digest)")
                }
                for child in present { try await ingestTree(files, child, depth: depth + 1) }
                try await ingest(files, name, expected: descriptor)
                return nil
            }
            let manifest = try decode(Manifest.self, bytes, "manifest \(descriptor.digest)")
            let config = try verifiedConfig(files, manifest, manifestDigest: descriptor.digest)
            try await ingest(files, Self.blobName(manifest.config.digest), expected: manifest.config)
            for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
                if layer.mediaType.isNondistributable || layer.mediaType == .dockerForeignLayerGzip, try !files.exists(Self.blobName(layer.digest)) { continue }
                try Task.checkCancellation()
                if !store.contains(layer.digest) { try verifyLayer(files, layer, diffID: diffID) }
                try await ingest(files, Self.blobName(layer.digest), expected: layer)
            }
            try await ingest(files, name, expected: descriptor)
            return manifest.config.digest
        }
        try await ingest(files, name, expected: descriptor)
        return nil
    }

    static func blobName(_ digest: Digest) -> String {
        "blobs/\(digest.algorithm.rawValue)/\(digest.hex)"
    }

    /// A `RepoTags` entry (`busybox:latest`) as a reference; throws `invalidArchive`.
    static func parseTag(_ text: String) throws -> ImageReference {
        do {
            return try ImageReference(parsing: text)
        } catch {
            throw ArchiveError(.invalidArchive, "the archive names an image \(text), which is not a valid reference", cause: "\(error)")
        }
    }
}
