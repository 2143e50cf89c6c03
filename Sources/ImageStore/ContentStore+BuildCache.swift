import Foundation
import ImageSpec

/// One record of the build cache (`kiln/cache/<key>.json`, written by the Builder): the layer a
/// build step produced.
public struct BuildCacheEntry: Sendable, Hashable {
    /// The step's cache key (the file name without `.json`).
    public var key: String
    public var layer: Descriptor
    public var diffID: Digest
    /// When the record was written (its file's modification time).
    public var created: Date
}

/// An image manifest in the store that no reference reaches: Docker's dangling image
/// (`<none>:<none>`), left behind when its tag moved to a newer build or pull.
public struct DanglingImage: Sendable, Hashable {
    public var manifest: Descriptor
    public var config: Digest
    public var layers: [Descriptor]
}

extension ContentStore {
    /// The build cache's folder. Its records keep their layer blobs alive through ``prune(strayAge:keepingBuildCache:)``.
    public nonisolated var buildCacheDirectory: URL { location.stateDirectory.appendingPathComponent("cache") }

    /// Every build cache record that can be read (others are skipped), oldest first.
    public nonisolated func buildCacheEntries() -> [BuildCacheEntry] {
        struct Record: Decodable { var layer: Descriptor; var diffID: Digest }
        var entries: [BuildCacheEntry] = []
        for name in FileSystem.list(buildCacheDirectory) where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let url = buildCacheDirectory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url), let record = try? JSONDecoder().decode(Record.self, from: data) else { continue }
            let created = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            entries.append(BuildCacheEntry(key: String(name.dropLast(5)), layer: record.layer, diffID: record.diffID, created: created))
        }
        return entries.sorted { $0.created < $1.created }
    }

    /// Deletes build cache records (not their blobs: ``prune(strayAge:keepingBuildCache:)`` frees
    /// those no image needs). Returns how many were deleted.
    @discardableResult
    public nonisolated func removeBuildCacheEntries(_ keys: [String]) -> Int {
        keys.filter { unlink(buildCacheDirectory.appendingPathComponent($0 + ".json").path) == 0 }.count
    }

    /// The cache keys the builds of these images used (`kiln/cache/builds/<image-id hex>.json`):
    /// records in use while their image is in the store.
    public nonisolated func buildCacheKeys(usedByImages imageIDs: Set<Digest>) -> Set<String> {
        var keys = Set<String>()
        for id in imageIDs {
            let url = buildCacheDirectory.appendingPathComponent("builds/\(id.hex).json")
            guard let data = try? Data(contentsOf: url), let list = try? JSONDecoder().decode([String].self, from: data) else { continue }
            keys.formUnion(list)
        }
        return keys
    }

    /// Deletes the build notes (`kiln/cache/builds/`) of images no longer in the store.
    public nonisolated func removeBuildNotes(keeping imageIDs: Set<Digest>) {
        let folder = buildCacheDirectory.appendingPathComponent("builds")
        let kept = Set(imageIDs.map { $0.hex + ".json" })
        for name in FileSystem.list(folder) where !kept.contains(name) {
            unlink(folder.appendingPathComponent(name).path)
        }
    }

    /// Blobs each reference reaches, and all of them together (the "live" set of garbage collection).
    nonisolated func referencedBlobs() throws -> Set<Digest> {
        var problems: [StoreProblem] = []
        var live = Set<Digest>()
        for entry in try readIndex().manifests {
            live.formUnion(reachableBlobs(from: entry, via: "index.json", problems: &problems).keys)
        }
        return live
    }

    /// Manifests among the blobs that no reference reaches, each with its config and layers:
    /// the images `kiln images -a` lists as `<none>`, and `kiln image prune` removes. Reads only
    /// blobs small enough to be a manifest.
    public nonisolated func danglingImages() throws -> [DanglingImage] {
        let live = try referencedBlobs()
        var result: [DanglingImage] = []
        for (digest, size) in blobFiles().blobs where size < 1 << 20 && !live.contains(digest) {
            guard let bytes = try? read(digest), bytes.first == UInt8(ascii: "{"),
                  let manifest = try? CanonicalJSON.decode(Manifest.self, from: bytes),
                  manifest.config.mediaType.isImageConfig, contains(manifest.config.digest) else { continue }
            let mediaType = manifest.mediaType ?? .ociManifest
            result.append(DanglingImage(manifest: Descriptor(mediaType: mediaType, digest: digest, size: size),
                                        config: manifest.config.digest, layers: manifest.layers))
        }
        return result
    }
}
