import Foundation
import ImageSpec
import ImageStore

/// One line of `rmi` output.
public enum RemovalEvent: Sendable, Equatable {
    case untagged(String)
    case deleted(Digest)
}

extension ImageService {
    /// Removes `nameOrID` as `docker rmi` does: a reference is untagged; when no reference is left
    /// on the image (or it was named by ID), the image is deleted: its blobs no other image needs
    /// are pruned (other dangling images stay) and its snapshots no other image shares are removed. Naming by ID an image with
    /// several repositories needs `force`. Throws ``ImagesError`` (`noSuchImage`, `conflict`).
    public func remove(_ nameOrID: String, force: Bool) async throws -> [RemovalEvent] {
        guard let image = try await localImage(nameOrID) else { throw ImagesError.noSuchImage(nameOrID) }
        var events: [RemovalEvent] = []
        let named = (try? ImageReference(parsing: nameOrID)).flatMap { ref in image.references.contains(ref) ? ref : nil }
        var toUntag: [ImageReference]
        if let named {
            toUntag = [named]
        } else {
            let repositories = Set(image.references.map(\.name))
            if repositories.count > 1, !force {
                throw ImagesError(.conflict, "conflict: unable to delete \(image.shortID()) (must be forced) - image is referenced in multiple repositories")
            }
            toUntag = image.references
        }
        let remaining = image.references.filter { !toUntag.contains($0) }
        // Other dangling images stay (`kiln image prune` removes them, saying so).
        let otherDangling = remaining.isEmpty ? try danglingBlobs(except: image.id) : []
        for reference in toUntag where try await store.untag(reference) {
            events.append(.untagged(reference.familiar))
            // The repository's digest goes with its last tag, as Docker reports it.
            if !remaining.contains(where: { $0.name == reference.name }) {
                for digest in image.repoDigests where digest.name == reference.name && !toUntag.contains(digest)
                    && !events.contains(.untagged(digest.familiar)) {
                    events.append(.untagged(digest.familiar))
                }
            }
        }
        if remaining.isEmpty {
            events.append(.deleted(image.id))
            try await store.prune(keeping: otherDangling)
            try await removeUnusedSnapshots()
        }
        return events
    }

    /// The manifest, config and layer blobs of the dangling images, but the one with ID `except`.
    public func danglingBlobs(except: Digest? = nil) throws -> Set<Digest> {
        var blobs = Set<Digest>()
        for entry in try store.danglingImages() where entry.config != except {
            blobs.insert(entry.manifest.digest)
            blobs.insert(entry.config)
            blobs.formUnion(entry.layers.map(\.digest))
        }
        return blobs
    }

    /// Removes snapshots no image in the store uses, except those at `keepingPaths` (the lower
    /// layers of containers) and those a live process holds (a running build's, see
    /// `ContentStore.hold(blobs:snapshots:)`). Returns the chain IDs removed.
    @discardableResult
    public func removeUnusedSnapshots(keepingPaths: Set<String> = []) async throws -> [Digest] {
        var used = Set<Digest>()
        for image in try await images() {
            used.formUnion(ChainID.computeAll(diffIDs: image.config.rootfs.diffIDs))
        }
        return try await store.removeSnapshots(keeping: used, keepingPaths: keepingPaths)
    }
}
