import Foundation
import ImageSpec

/// A named image in the store: its reference and the descriptor (manifest or index) it points at.
public struct TaggedImage: Sendable, Hashable {
    public var reference: ImageReference
    public var descriptor: Descriptor
}

extension ContentStore {
    /// The `index.json` entry name for `reference`: its full normalised form, e.g.
    /// `docker.io/library/alpine:latest` (or `…@sha256:…` for a digest reference).
    public static func referenceName(_ reference: ImageReference) -> String {
        reference.description
    }

    /// Points `reference` at `descriptor` (a manifest or index already in the store), replacing any
    /// previous target. `index.json` is rewritten atomically under the store lock.
    /// Throws ``StoreError`` (`blobNotFound`) if the target blob is missing, (`corruptStore`) if
    /// `index.json` cannot be read.
    public func tag(_ reference: ImageReference, _ descriptor: Descriptor) throws {
        guard contains(descriptor.digest) else { throw Self.notFound(descriptor.digest) }
        let name = Self.referenceName(reference)
        var entry = descriptor
        entry.annotations = (entry.annotations ?? [:]).merging([Descriptor.refNameAnnotation: name]) { _, new in new }
        try updateIndex { index in
            index.manifests.removeAll { $0.referenceName == name }
            index.manifests.append(entry)
        }
    }

    /// Removes `reference`. Returns whether it existed. Blobs stay until ``prune()``.
    @discardableResult
    public func untag(_ reference: ImageReference) throws -> Bool {
        let name = Self.referenceName(reference)
        var removed = false
        try updateIndex { index in
            let before = index.manifests.count
            index.manifests.removeAll { $0.referenceName == name }
            removed = index.manifests.count != before
        }
        return removed
    }

    /// The descriptor `reference` points at (with its ref-name annotation), or `nil` if untagged.
    public nonisolated func resolve(_ reference: ImageReference) throws -> Descriptor? {
        try readIndex().manifests(named: Self.referenceName(reference)).last
    }

    /// Every reference in the store, sorted by name. Entries whose name is not a full normalised
    /// reference (written by another tool, e.g. a bare `latest`) are skipped, though they still
    /// keep their blobs alive in ``prune()``.
    public nonisolated func list() throws -> [TaggedImage] {
        try readIndex().manifests.compactMap { entry in
            Self.kilnReference(of: entry).map { TaggedImage(reference: $0, descriptor: entry) }
        }
        .sorted { $0.reference.description < $1.reference.description }
    }

    /// The reference an index.json entry names, if its name is in kiln's form (what
    /// ``referenceName(_:)`` writes).
    static func kilnReference(of entry: Descriptor) -> ImageReference? {
        guard let name = entry.referenceName,
              let reference = try? ImageReference(parsing: name, addingDefaultTag: false),
              referenceName(reference) == name else { return nil }
        return reference
    }

    /// The current `index.json`. Throws ``StoreError`` (`corruptStore`) if it is not a valid index.
    public nonisolated func readIndex() throws -> Index {
        let url = location.indexFile
        do {
            return try JSONDecoder().decode(Index.self, from: Data(contentsOf: url))
        } catch {
            throw StoreError(.corruptStore, "cannot read \(url.path) as an OCI index; restore it from a backup or remove it to start with no image names (blobs are kept)", cause: "\(error)")
        }
    }

    /// Reads, changes and atomically rewrites `index.json` while holding the store lock.
    func updateIndex(_ change: (inout Index) throws -> Void) throws {
        try FileLock.withExclusiveLock(location.lockFile) {
            var index = try readIndex()
            try change(&index)
            let bytes = try CanonicalJSON.encode(index)
            try FileSystem.writeAtomically(bytes, to: location.indexFile, tempDirectory: location.tempDirectory)
        }
    }
}
