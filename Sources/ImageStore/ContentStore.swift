import Foundation
import ImageSpec

/// kiln's local content store: an OCI image layout on disk, shared safely by several kiln processes.
///
/// - Blobs are content-addressed under `blobs/<alg>/<hex>` and only ever appear there verified
///   (see ``ingest(expected:from:)``); a blob file is never modified once in place.
/// - References are the entries of `index.json`, each with an `org.opencontainers.image.ref.name`
///   annotation holding the **full normalised reference** (`docker.io/library/alpine:latest`), so
///   `skopeo inspect oci:<root>:docker.io/library/alpine:latest` finds it. `index.json` is replaced
///   atomically under an exclusive `flock` on `kiln/lock`.
/// - kiln's own state (temp files, the lock, snapshots) lives under `kiln/`, which OCI tools ignore.
///
/// The actor serialises this process's updates; the file lock serialises processes.
public actor ContentStore {
    /// Where this store lives.
    public nonisolated let location: StoreLocation
    /// What this instance holds against pruning (see ``hold(blobs:snapshots:)``).
    nonisolated let lease: StoreLease

    /// The content of `oci-layout`.
    static let layoutMarker = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    /// Opens the store at `location`, creating an empty layout (folders, `oci-layout`, an empty
    /// `index.json`) if it does not exist yet. Idempotent and safe to race with other processes.
    /// Throws ``StoreError`` (`invalidRoot`) when the folders cannot be created, or (`corruptStore`)
    /// when `oci-layout` exists but names another layout version.
    public init(location: StoreLocation) throws {
        self.location = location
        self.lease = StoreLease(location: location)
        for dir in [location.root, location.blobsDirectory(for: .sha256), location.tempDirectory, location.snapshotsDirectory] {
            try FileSystem.makeDirectory(dir)
        }
        try FileLock.withExclusiveLock(location.lockFile) {
            if FileSystem.exists(location.layoutFile) {
                try Self.checkLayoutMarker(location.layoutFile)
            } else {
                try FileSystem.writeAtomically(Self.layoutMarker, to: location.layoutFile, tempDirectory: location.tempDirectory)
            }
            if !FileSystem.exists(location.indexFile) {
                let empty = try CanonicalJSON.encode(Index(manifests: []))
                try FileSystem.writeAtomically(empty, to: location.indexFile, tempDirectory: location.tempDirectory)
            }
        }
        // What killed kiln processes left: partial blobs, scratch folders and their mounts.
        removeAbandonedScratch()
    }

    /// Opens (or creates) the store rooted at `root`.
    public init(root: URL) throws {
        try self.init(location: StoreLocation(root: root))
    }

    private static func checkLayoutMarker(_ url: URL) throws {
        struct Marker: Decodable { var imageLayoutVersion: String }
        let marker: Marker
        do {
            marker = try JSONDecoder().decode(Marker.self, from: Data(contentsOf: url))
        } catch {
            throw StoreError(.corruptStore, "\(url.path) is not an OCI layout marker; point --root at an empty folder or an OCI image layout", cause: "\(error)")
        }
        guard marker.imageLayoutVersion == "1.0.0" else {
            throw StoreError(.corruptStore, "\(url.path) names OCI layout version \(marker.imageLayoutVersion); kiln supports 1.0.0 only")
        }
    }

    // MARK: - Reading blobs

    /// Whether the blob `digest` is in the store. Only verified blobs are ever there.
    public nonisolated func contains(_ digest: Digest) -> Bool {
        FileSystem.fileSize(location.blobPath(digest)) != nil
    }

    /// The path of blob `digest`, for streaming it. Throws ``StoreError`` (`blobNotFound`) if absent.
    /// The file is never modified in place but may be removed by ``prune()``.
    public nonisolated func open(_ digest: Digest) throws -> URL {
        let url = location.blobPath(digest)
        guard FileSystem.fileSize(url) != nil else { throw Self.notFound(digest) }
        return url
    }

    /// The whole content of blob `digest` (meant for small JSON documents).
    /// Throws ``StoreError`` (`blobNotFound`) if absent.
    public nonisolated func read(_ digest: Digest) throws -> Data {
        let url = try open(digest)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw StoreError(.io, "cannot read blob \(digest) at \(url.path); check permissions", cause: "\(error)")
        }
    }

    /// The content of blob `descriptor.digest`, checked against the descriptor's size and digest.
    /// Throws ``StoreError`` (`blobNotFound`, `sizeMismatch`, `digestMismatch`).
    public nonisolated func read(verifying descriptor: Descriptor) throws -> Data {
        let data = try read(descriptor.digest)
        guard Int64(data.count) == descriptor.size else {
            throw StoreError(.sizeMismatch, "blob \(descriptor.digest) has \(data.count) bytes but its descriptor says \(descriptor.size); run kiln system check")
        }
        let actual = Digest.digest(of: data, algorithm: descriptor.digest.algorithm)
        guard actual == descriptor.digest else {
            throw StoreError(.digestMismatch, "blob \(descriptor.digest) is corrupt (its content hashes to \(actual)); run kiln system check and pull the image again")
        }
        return data
    }

    static func notFound(_ digest: Digest) -> StoreError {
        StoreError(.blobNotFound, "blob \(digest) is not in the store; pull or build the image again")
    }
}
