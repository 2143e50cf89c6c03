import Foundation
import ImageSpec
#if canImport(Glibc)
import Glibc
#endif

extension ContentStore {
    /// Streams a blob into the store, verified.
    ///
    /// Contract:
    /// - If the blob is already present, returns at once without reading `chunks` (idempotent).
    /// - Otherwise bytes go to a temp file under `kiln/tmp` (same filesystem) while being hashed;
    ///   reading stops with `sizeMismatch` as soon as more than `expected.size` bytes arrive.
    /// - At the end, size and digest are checked; the file is fsynced, renamed to
    ///   `blobs/<alg>/<hex>` and the folder fsynced. Only then is the blob visible.
    /// - On any error (mismatch, I/O, cancellation, an error from `chunks`) the temp file is removed
    ///   and nothing becomes visible. Throws ``StoreError`` (`digestMismatch` naming expected and
    ///   actual digests, `sizeMismatch`, `io`) or the sequence's own error.
    /// - Concurrent ingests of one blob (threads or processes) are safe: the last rename wins with
    ///   identical content.
    /// - The blob is held by this store instance's lease first (``hold(blobs:snapshots:)``), so a
    ///   prune in another process does not remove it before the caller tags it.
    /// - The temp file's name carries this process's id: if the process is killed, the next store
    ///   start removes it.
    ///
    /// Returns `expected` (the stored blob's descriptor).
    @discardableResult
    public nonisolated func ingest<Chunks: AsyncSequence>(
        expected: Descriptor, from chunks: Chunks
    ) async throws -> Descriptor where Chunks.Element: DataProtocol {
        try hold(blobs: [expected.digest])
        if try alreadyStored(expected) { return expected }
        let writer = try BlobWriter(location: location, expected: expected)
        do {
            for try await chunk in chunks {
                try Task.checkCancellation()
                try writer.write(chunk)
            }
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
        return expected
    }

    /// Streams a blob into the store from a closure returning the next chunk, or `nil` at the end.
    /// Same contract as ``ingest(expected:from:)``.
    @discardableResult
    public nonisolated func ingest(
        expected: Descriptor, next: () async throws -> Data?
    ) async throws -> Descriptor {
        try hold(blobs: [expected.digest])
        if try alreadyStored(expected) { return expected }
        let writer = try BlobWriter(location: location, expected: expected)
        do {
            while let chunk = try await next() {
                try Task.checkCancellation()
                try writer.write(chunk)
            }
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
        return expected
    }

    /// Copies the local file at `url` into the store as blob `expected`, verified, reading 1 MiB at a time.
    /// Same contract as ``ingest(expected:from:)``.
    @discardableResult
    public nonisolated func ingest(expected: Descriptor, contentsOf url: URL) async throws -> Descriptor {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw StoreError(.io, "cannot read \(url.path) to import blob \(expected.digest); check the path", cause: "\(error)")
        }
        defer { try? handle.close() }
        return try await ingest(expected: expected) {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            return chunk.isEmpty ? nil : chunk
        }
    }

    /// Whether `expected` is already stored. Throws `sizeMismatch` when the stored blob of that
    /// digest has another size (the descriptor is wrong, since content with one digest has one size).
    nonisolated func alreadyStored(_ expected: Descriptor) throws -> Bool {
        guard let size = FileSystem.fileSize(location.blobPath(expected.digest)) else { return false }
        guard size == expected.size else {
            throw StoreError(.sizeMismatch, "blob \(expected.digest) is stored with \(size) bytes but the descriptor says \(expected.size); the descriptor is wrong, or the store is damaged (run kiln system check)")
        }
        return true
    }

    /// Stores a small document (a config or manifest kiln made) and returns its descriptor.
    /// Verified, atomic and idempotent as ``ingest(expected:from:)``.
    @discardableResult
    public nonisolated func put(bytes: Data, mediaType: MediaType) throws -> Descriptor {
        let descriptor = Descriptor(mediaType: mediaType, content: bytes)
        try hold(blobs: [descriptor.digest])
        if contains(descriptor.digest) { return descriptor }
        let writer = try BlobWriter(location: location, expected: descriptor)
        do {
            try writer.write(bytes)
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
        return descriptor
    }
}

/// One blob on its way into the store: a temp file, a digester and a byte count.
/// Used by one task at a time; either ``commit()`` or ``discard()`` ends it.
final class BlobWriter {
    private let expected: Descriptor
    private let final: URL
    private let temp: URL
    private var fd: Int32
    private var digester: Digester

    init(location: StoreLocation, expected: Descriptor) throws {
        guard expected.size >= 0 else {
            throw StoreError(.sizeMismatch, "blob \(expected.digest) has a negative declared size (\(expected.size)); the descriptor is invalid")
        }
        self.expected = expected
        final = location.blobPath(expected.digest)
        try FileSystem.makeDirectory(final.deletingLastPathComponent())
        (fd, temp) = try FileSystem.makeTempFile(in: location.tempDirectory, prefix: "ingest-\(expected.digest.hex.prefix(16))-\(getpid())")
        digester = Digester(algorithm: expected.digest.algorithm)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temp.path)
        }
    }

    /// Appends `bytes`; throws `sizeMismatch` before writing anything past the declared size.
    func write<Bytes: DataProtocol>(_ bytes: Bytes) throws {
        guard digester.byteCount + Int64(bytes.count) <= expected.size else {
            throw StoreError(.sizeMismatch, "blob \(expected.digest) is larger than its declared size of \(expected.size) bytes; the source sent more data than its descriptor says, so it was rejected")
        }
        for region in bytes.regions {
            try region.withUnsafeBytes { buffer in
                try FileSystem.writeAll(fd, buffer, path: temp.path)
                digester.update(bufferPointer: buffer)
            }
        }
    }

    /// Checks size and digest, then fsyncs and renames the file into place.
    func commit() throws {
        guard digester.byteCount == expected.size else {
            throw StoreError(.sizeMismatch, "blob \(expected.digest) ended after \(digester.byteCount) bytes but its descriptor says \(expected.size); the download was cut short, try again")
        }
        let actual = digester.finalize()
        guard actual == expected.digest else {
            throw StoreError(.digestMismatch, "blob content does not match its digest: expected \(expected.digest), got \(actual); the source is corrupt or was tampered with, so nothing was stored")
        }
        try FileSystem.fsync(fd, path: temp.path)
        close(fd)
        fd = -1
        do {
            try FileSystem.renameDurably(temp, to: final)
        } catch {
            unlink(temp.path)
            throw error
        }
    }

    /// Removes the temp file. Safe to call after a failed ``commit()``.
    func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temp.path)
    }
}
