import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// Loads archives into kiln's store, like `docker load`, and makes images from rootfs tars, like
/// `docker import`.
///
/// Accepted input: a docker-archive (Docker ≤ 24's `docker save`: `manifest.json`, `<id>/layer.tar`,
/// `repositories`; and Docker ≥ 25's OCI-based layout), an OCI image layout in a tar, either
/// plain or gzip-compressed, from a file or standard input (`"-"`), or an OCI layout folder.
///
/// Contract: every blob is verified (digests, sizes, and each layer's diffID against the config)
/// before it becomes visible in the store; names are applied only after every image of the
/// archive was stored, so a failure tags nothing. Temp files are removed in every case.
public struct ImageLoader: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// Loads every image of the archive at `path` and tags it with the names the archive gives.
    /// Returns the images in archive order. Throws ``ArchiveError``.
    public func load(from path: String) async throws -> [ArchiveImage] {
        let files = try openArchive(path)
        defer { files.cleanup() }
        let images: [ArchiveImage]
        if files.exists("index.json") {
            images = try await loadOCI(files)
        } else if files.exists("manifest.json") {
            images = try await loadDocker(files)
        } else {
            throw ArchiveError(.invalidArchive, "\(files.source) is neither a docker-archive (no manifest.json) nor an OCI layout (no index.json)")
        }
        for image in images {
            for reference in image.references {
                try await storeCallAsync { try await store.tag(reference, image.manifestDescriptor) }
            }
        }
        return images
    }

    private func openArchive(_ path: String) throws -> ArchiveFiles {
        var isDirectory: ObjCBool = false
        if path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return ArchiveFiles(directory: path)
        }
        return try ArchiveFiles(tar: path, tempParent: store.location.tempDirectory)
    }

    /// Copies the archive file `name` into the store as blob `expected`, verified.
    func ingest(_ files: ArchiveFiles, _ name: String, expected: Descriptor) async throws {
        let path = try files.path(name)
        do {
            try await store.ingest(expected: expected, contentsOf: URL(fileURLWithPath: path))
        } catch let error as StoreError {
            let code: ArchiveError.Code = (error.code == .digestMismatch || error.code == .sizeMismatch) ? .digestMismatch : .io
            throw ArchiveError(code, "\(name) in \(files.source) does not match its descriptor (\(expected.digest), \(expected.size) bytes)", cause: error.message)
        }
    }
}


/// Async form of ``storeCall(_:)``.
@discardableResult
func storeCallAsync<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw ArchiveError(.io, error.message, cause: error.cause)
    }
}
