import Foundation
import ImageSpec
#if canImport(Glibc)
import Glibc
#endif

/// Blobs that a writer hashed while writing them, and compressed variants of layers.
///
/// - A builder writes a layer's tar once, into a file of ``makeBlobTempFile(_:)``, computing its
///   digest in the same pass; ``adoptBlob(_:as:)`` moves it into place without reading it again.
/// - A layer stored uncompressed is compressed when an image leaves the machine (push, save);
///   ``recordVariant(of:key:as:)`` remembers which blob that gave, under
///   `kiln/variants/<alg>/<source hex>/<key>` (key = compression and level, e.g. `gzip-6`), so a
///   second push sends the same blob without compressing again. The variant is an ordinary blob:
///   prune removes it when no image refers to it, and ``variant(of:key:)`` then answers nil.
extension ContentStore {
    /// A new empty file in the store's temp folder (same filesystem as the blobs), open for writing.
    /// Its name carries this process's pid (`<prefix>-<pid>-<random>`), so the file a killed build or
    /// push leaves behind is removed at the next start (`removeAbandonedScratch`).
    public nonisolated func makeBlobTempFile(_ prefix: String) throws -> (fd: Int32, url: URL) {
        try FileSystem.makeTempFile(in: location.tempDirectory, prefix: "\(prefix)-\(getpid())" + (Self.ownStart.map { "-s\($0)" } ?? ""))
    }

    /// Moves `file` (in the store's temp folder, written and hashed by the caller) into place as
    /// blob `descriptor`: checks its size, fsyncs it, renames it. The caller vouches for the digest,
    /// having computed it over the very bytes it wrote. When the blob is already stored, `file`
    /// is removed. The blob is held by this store instance's lease first, as an ingested one is: a
    /// concurrent prune cannot delete it between its arrival and the caller's next step (the
    /// 30-builds-with-prune stress run lost a just-committed RUN layer that way).
    /// Throws ``StoreError`` (`sizeMismatch`, `io`).
    public nonisolated func adoptBlob(_ file: URL, as descriptor: Descriptor) throws {
        defer { unlink(file.path) }
        guard FileSystem.fileSize(file) == descriptor.size else {
            throw StoreError(.sizeMismatch, "\(file.path) does not have the \(descriptor.size) bytes of blob \(descriptor.digest); it was not stored")
        }
        try hold(blobs: [descriptor.digest])
        if try alreadyStored(descriptor) { return }
        let final = location.blobPath(descriptor.digest)
        try FileSystem.makeDirectory(final.deletingLastPathComponent())
        let fd = Glibc.open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("open", file.path, errno: errno) }
        defer { close(fd) }
        try FileSystem.fsync(fd, path: file.path)
        try FileSystem.renameDurably(file, to: final)
    }

    /// The stored variant of blob `source` under `key`, or nil when none was recorded or its blob
    /// was pruned since.
    public nonisolated func variant(of source: Digest, key: String) -> Descriptor? {
        guard let data = try? Data(contentsOf: variantRecord(of: source, key: key)),
              let descriptor = try? JSONDecoder().decode(Descriptor.self, from: data),
              FileSystem.fileSize(location.blobPath(descriptor.digest)) == descriptor.size else { return nil }
        return descriptor
    }

    /// Remembers that blob `variant` (already stored) is `source` transformed as `key` says.
    public nonisolated func recordVariant(of source: Digest, key: String, as variant: Descriptor) throws {
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !key.isEmpty else {
            throw StoreError(.io, "variant key \(key) must be letters, digits and dashes")
        }
        let url = variantRecord(of: source, key: key)
        try FileSystem.makeDirectory(url.deletingLastPathComponent())
        try FileSystem.writeAtomically(try CanonicalJSON.encode(variant), to: url, tempDirectory: location.tempDirectory)
    }

    private nonisolated func variantRecord(of source: Digest, key: String) -> URL {
        location.stateDirectory.appendingPathComponent("variants")
            .appendingPathComponent(source.algorithm.rawValue).appendingPathComponent(source.hex).appendingPathComponent(key)
    }
}
