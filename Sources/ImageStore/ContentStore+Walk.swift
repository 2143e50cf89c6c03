import Foundation
import ImageSpec

/// Something wrong found in the store by ``ContentStore/check(removingStrayFiles:)`` or a graph walk.
public struct StoreProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// A blob's content does not hash to its file name.
        case corruptBlob
        /// A reference, manifest or index points at a blob that is not in the store.
        case missingBlob
        /// A manifest or index blob cannot be decoded.
        case unreadableDocument
        /// A file under `blobs/` whose name is not a digest, or a leftover temp file.
        case strayFile
    }

    public var kind: Kind
    /// What is wrong and what to do about it.
    public var message: String
    /// The blob concerned, if any.
    public var digest: Digest?

    public var description: String { message }

    public init(kind: Kind, message: String, digest: Digest? = nil) {
        self.kind = kind
        self.message = message
        self.digest = digest
    }
}

extension ContentStore {
    /// Every blob reachable from `root` (itself, and for an index or manifest, what it lists,
    /// recursively), with its descriptor size. Missing or undecodable documents are reported in
    /// `problems` and their children skipped. `via` names the referrer for messages.
    nonisolated func reachableBlobs(from root: Descriptor, via: String, problems: inout [StoreProblem]) -> [Digest: Int64] {
        var seen: [Digest: Int64] = [:]
        var queue: [(Descriptor, String)] = [(root, via)]
        while let (descriptor, parent) = queue.popLast() {
            if seen[descriptor.digest] != nil { continue }
            seen[descriptor.digest] = descriptor.size
            guard contains(descriptor.digest) else {
                problems.append(StoreProblem(kind: .missingBlob, message: "\(parent) needs blob \(descriptor.digest) (\(descriptor.mediaType)) which is missing; pull or build the image again, or remove it with kiln rmi", digest: descriptor.digest))
                continue
            }
            guard descriptor.mediaType.isIndex || descriptor.mediaType.isManifest else { continue }
            do {
                let bytes = try read(descriptor.digest)
                if descriptor.mediaType.isIndex {
                    let index = try CanonicalJSON.decode(Index.self, from: bytes)
                    queue += index.manifests.map { ($0, "index \(descriptor.digest)") }
                } else {
                    let manifest = try CanonicalJSON.decode(Manifest.self, from: bytes)
                    let name = "manifest \(descriptor.digest)"
                    queue.append((manifest.config, name))
                    queue += manifest.layers.filter { $0.urls?.isEmpty ?? true || contains($0.digest) }.map { ($0, name) }
                }
            } catch {
                problems.append(StoreProblem(kind: .unreadableDocument, message: "\(parent) points at \(descriptor.digest), which is not a valid \(descriptor.mediaType): \(error); pull or build the image again", digest: descriptor.digest))
            }
        }
        return seen
    }

    /// Every blob file in the store, by digest, with its size on disk. Files whose names are not
    /// digests are returned separately.
    nonisolated func blobFiles() -> (blobs: [Digest: Int64], stray: [URL]) {
        var blobs: [Digest: Int64] = [:]
        var stray: [URL] = []
        for algorithmName in FileSystem.list(location.blobsDirectory) {
            let folder = location.blobsDirectory.appendingPathComponent(algorithmName)
            for name in FileSystem.list(folder) {
                let url = folder.appendingPathComponent(name)
                if let digest = Digest("\(algorithmName):\(name)"), let size = FileSystem.fileSize(url) {
                    blobs[digest] = size
                } else {
                    stray.append(url)
                }
            }
        }
        return (blobs, stray)
    }

    /// Entries in `kiln/tmp` last modified more than `age` seconds ago, except the scratch folders
    /// of processes still running (a long build).
    nonisolated func tempEntries(olderThan age: TimeInterval) -> [URL] {
        let cutoff = Date().addingTimeInterval(-age)
        return FileSystem.list(location.tempDirectory).map { location.tempDirectory.appendingPathComponent($0) }.filter { url in
            guard !Self.isInUse(url) else { return false }
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            return modified <= cutoff
        }
    }
}
