import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Lays out a docker-archive exactly as Docker 20.10 `docker save` does:
///
/// ```
/// <v1id>/VERSION      "1.0"
/// <v1id>/json         legacy v1 image JSON
/// <v1id>/layer.tar    the layer, uncompressed
/// <config-hex>.json   the image config
/// manifest.json       [{"Config":…,"RepoTags":[…],"Layers":[…]}]
/// repositories        {"busybox":{"latest":"<top v1id>"}}
/// ```
///
/// Entries are sorted by name (Docker tars a folder walked in lexical order); folders are 0755,
/// files 0644, owned by 0:0, with the image's creation time as mtime.
struct DockerArchiveWriter {
    let store: ContentStore

    func write<Sink: ByteSink>(_ images: [ArchiveImage], to writer: inout TarWriter<Sink>) throws {
        var entries: [String: OuterEntry] = [:]
        var manifest: [DockerArchiveEntry] = []
        var repositories: [String: [String: String]] = [:]
        var newest: Int64 = 0
        for image in images {
            let stored = try store.singleImage(image.manifestDescriptor)
            let mtime = stored.config.created?.secondsSinceEpoch ?? 0
            newest = max(newest, mtime)
            let configName = stored.manifest.config.digest.hex + ".json"
            entries[configName] = OuterEntry(name: configName, content: .bytes(stored.configBytes), mtime: mtime)
            let diffIDs = stored.config.rootfs.diffIDs
            let chainIDs = ChainID.computeAll(diffIDs: diffIDs)
            var parent: Digest?
            var layerNames: [String] = []
            for (i, layer) in stored.manifest.layers.enumerated() {
                let v1 = LegacyV1.image(configBytes: stored.configBytes, isTop: i == diffIDs.count - 1)
                let id = try LegacyV1.id(image: v1, chainID: chainIDs[i], parent: parent)
                let dir = id.hex
                layerNames.append(dir + "/layer.tar")
                if entries[dir] == nil {
                    let path = try storeCall { try store.open(layer.digest) }.path
                    let (diffID, size) = try measure(path: path, layer: layer)
                    guard diffID == diffIDs[i] else {
                        throw ArchiveError(.digestMismatch, "layer \(layer.digest) uncompresses to \(diffID) but image \(stored.manifest.config.digest) expects diff_id \(diffIDs[i]); run kiln system check")
                    }
                    entries[dir] = OuterEntry(name: dir, content: .directory, mtime: mtime)
                    entries[dir + "/VERSION"] = OuterEntry(name: dir + "/VERSION", content: .bytes(Data("1.0".utf8)), mtime: mtime)
                    entries[dir + "/json"] = OuterEntry(name: dir + "/json", content: .bytes(try LegacyV1.json(image: v1, id: id, parent: parent)), mtime: mtime)
                    entries[dir + "/layer.tar"] = OuterEntry(name: dir + "/layer.tar", content: .layer(path: path, mediaType: layer.mediaType, size: size, diffID: diffID), mtime: mtime)
                }
                parent = id
            }
            let tags = image.references.filter { $0.tag != nil && $0.digest == nil }
            for tag in tags {
                repositories[tag.familiarName, default: [:]][tag.tag!] = parent?.hex
            }
            manifest.append(DockerArchiveEntry(config: configName, repoTags: tags.map(\.familiar), layers: layerNames))
        }
        entries["manifest.json"] = OuterEntry(name: "manifest.json", content: .bytes(try DockerArchiveEntry.manifestFile(manifest)), mtime: newest)
        if !repositories.isEmpty {
            entries["repositories"] = OuterEntry(name: "repositories", content: .bytes(try CanonicalJSON.encode(repositories) + Data("\n".utf8)), mtime: newest)
        }
        for name in entries.keys.sorted() {
            try Task.checkCancellation()
            try entries[name]!.write(to: &writer)
        }
    }

    /// The diffID and uncompressed size of a layer blob (one decompressing pass).
    private func measure(path: String, layer: Descriptor) throws -> (Digest, Int64) {
        var source = try uncompressedLayer(path: path, mediaType: layer.mediaType)
        var sink = DiscardingSink()
        return try pump(&source, into: &sink)
    }
}
