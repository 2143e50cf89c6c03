import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Lays out an OCI image layout in a tar: `blobs/`, `blobs/sha256/<hex>…`, `index.json`,
/// `manifest.json` (so Docker's `docker load` reads it too, as BuildKit's exporter does) and
/// `oci-layout`. Blobs are copied as stored (layers stay compressed); the manifests keep their digests.
///
/// `index.json` has one entry per image name, annotated as BuildKit does:
/// `org.opencontainers.image.ref.name` = the tag, `io.containerd.image.name` = the full name.
/// An image without a name gets one entry without annotations.
struct OCIArchiveWriter {
    let store: ContentStore

    func write<Sink: ByteSink>(_ images: [ArchiveImage], to writer: inout TarWriter<Sink>) throws {
        var entries: [String: OuterEntry] = [:]
        var index: [Descriptor] = []
        var dockerManifest: [DockerArchiveEntry] = []
        var newest: Int64 = 0
        entries["blobs"] = OuterEntry(name: "blobs", content: .directory, mtime: 0)
        entries["blobs/sha256"] = OuterEntry(name: "blobs/sha256", content: .directory, mtime: 0)
        for image in images {
            let top = image.manifestDescriptor
            for blob in try store.reachableBlobs(top) {
                let name = "blobs/\(blob.digest.algorithm.rawValue)/\(blob.digest.hex)"
                let path = try storeCall { try store.open(blob.digest) }.path
                entries[name] = OuterEntry(name: name, content: .blob(path: path, digest: blob.digest, size: blob.size), mtime: 0)
            }
            let stored = try? store.singleImage(top)
            if let created = stored?.config.created?.secondsSinceEpoch { newest = max(newest, created) }
            var plain = top
            plain.annotations = nil
            if image.references.isEmpty { index.append(plain) }
            for reference in image.references {
                var entry = plain
                entry.annotations = ["io.containerd.image.name": reference.description]
                if let tag = reference.tag, reference.digest == nil { entry.annotations?[Descriptor.refNameAnnotation] = tag }
                index.append(entry)
            }
            if let stored {
                let tags = image.references.filter { $0.tag != nil && $0.digest == nil }.map(\.familiar)
                dockerManifest.append(DockerArchiveEntry(
                    config: "blobs/sha256/" + stored.manifest.config.digest.hex, repoTags: tags,
                    layers: stored.manifest.layers.map { "blobs/sha256/" + $0.digest.hex }))
            }
        }
        for name in entries.keys where name.hasPrefix("blobs/sha256/") { entries[name]!.mtime = newest }
        entries["blobs"]!.mtime = newest
        entries["blobs/sha256"]!.mtime = newest
        entries["index.json"] = OuterEntry(name: "index.json", content: .bytes(try CanonicalJSON.encode(Index(manifests: index))), mtime: newest)
        entries["oci-layout"] = OuterEntry(name: "oci-layout", content: .bytes(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)), mtime: newest)
        if !dockerManifest.isEmpty {
            entries["manifest.json"] = OuterEntry(name: "manifest.json", content: .bytes(try DockerArchiveEntry.manifestFile(dockerManifest)), mtime: newest)
        }
        for name in entries.keys.sorted() {
            try Task.checkCancellation()
            try entries[name]!.write(to: &writer)
        }
    }
}
