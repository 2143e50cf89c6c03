import Foundation
import ImageSpec
import ImageStore
import LayerArchive
import LayerVariants

/// Writes images from kiln's store into an archive: a docker-archive (what Docker 20.10
/// `docker save` writes and `docker load` reads) or an OCI image layout in a tar.
///
/// Contract: every blob is verified against its digest (layers also against their diffID) while
/// it is copied. A file destination appears only when the archive is complete (temp file +
/// rename); on error nothing is left behind. `"-"` writes to standard output.
public struct ImageExporter: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// Exports `images` (manifests or indexes in the store) in `format` to `path` (`"-"` = stdout).
    ///
    /// `compression` applies to OCI archives: layers stored uncompressed (what kiln builds) are
    /// written compressed so (gzip by default, as BuildKit's OCI exporter does), each compressed
    /// once and remembered in the store; the archive's manifest then differs from the stored one
    /// in those layer descriptors only (same config, same image ID). A docker-archive always holds
    /// uncompressed `layer.tar` files, as `docker save` writes them.
    /// Throws ``ArchiveError``.
    public func export(_ images: [ArchiveImage], format: ArchiveFormat, to path: String,
                       compression: ExportCompression = .default) async throws {
        guard !images.isEmpty else { throw ArchiveError(.imageNotFound, "no image to export") }
        var images = images
        if format == .oci {
            let variants = LayerVariants(store: store)
            images = try images.map { image in
                do {
                    return ArchiveImage(manifestDescriptor: try variants.exportedManifest(image.manifestDescriptor, compression: compression),
                                        references: image.references)
                } catch let error as ExportCompressionError {
                    throw ArchiveError(.unsupported, error.description)
                } catch let error as ArchiveError {
                    throw error
                } catch {
                    throw ArchiveError(.io, "cannot compress the layers of \(image.manifestDescriptor.digest)", cause: "\(error)")
                }
            }
        }
        let output = try ArchiveOutput(path: path)
        do {
            var writer = TarWriter(output)
            switch format {
            case .docker: try DockerArchiveWriter(store: store).write(images, to: &writer)
            case .oci: try OCIArchiveWriter(store: store).write(images, to: &writer)
            }
            try tarCall { try writer.finish() }
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
    }
}

/// Runs a tar operation, turning its errors into ``ArchiveError``.
func tarCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ArchiveError {
        throw error
    } catch {
        throw ArchiveError(.io, "cannot write the archive", cause: "\(error)")
    }
}

/// An entry of an archive being written: a folder, bytes in memory, or a file copied (and verified) from the store.
struct OuterEntry {
    enum Content {
        case directory
        case bytes(Data)
        /// A store blob copied as is, checked against `digest`.
        case blob(path: String, digest: Digest, size: Int64)
        /// A layer blob decompressed while copied; `size`/`diffID` measured beforehand.
        case layer(path: String, mediaType: MediaType, size: Int64, diffID: Digest)
    }

    var name: String
    var content: Content
    var mtime: Int64

    /// Writes the entry (headers mode 0755 for folders, 0644 for files, owner root:root as Docker's).
    func write<Sink: ByteSink>(to writer: inout TarWriter<Sink>) throws {
        let time = TarTime(seconds: max(0, mtime))
        func header(_ type: TarEntryType, _ mode: UInt32, size: Int64 = 0) -> TarHeader {
            TarHeader(path: name, type: type, mode: mode, userName: "root", groupName: "root", size: size, modificationTime: time)
        }
        switch content {
        case .directory:
            try tarCall { try writer.writeHeader(header(.directory, 0o755)) }
        case .bytes(let data):
            try tarCall { try writer.append(header(.regular, 0o644), content: Array(data)) }
        case .blob(let path, let digest, let size):
            try tarCall { try writer.writeHeader(header(.regular, 0o644, size: size)) }
            var source = try tarCall { try FileDescriptor.open(reading: path) }
            var sink = TarContentSink(writer: writer)
            let (actual, count) = try pump(&source, into: &sink)
            writer = sink.writer
            guard actual == digest, count == size else {
                throw ArchiveError(.digestMismatch, "blob \(digest) in the store is corrupt (hashes to \(actual)); run kiln system check")
            }
        case .layer(let path, let mediaType, let size, let diffID):
            try tarCall { try writer.writeHeader(header(.regular, 0o644, size: size)) }
            var source = try uncompressedLayer(path: path, mediaType: mediaType)
            var sink = TarContentSink(writer: writer)
            let (actual, count) = try pump(&source, into: &sink)
            writer = sink.writer
            guard actual == diffID, count == size else {
                throw ArchiveError(.digestMismatch, "layer \(path) changed while it was exported (diffID \(actual), expected \(diffID))")
            }
        }
    }
}

/// A sink writing into the current entry of a tar writer.
struct TarContentSink<Sink: ByteSink>: ByteSink {
    var writer: TarWriter<Sink>
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try tarCall { try writer.writeContent(bytes) }
    }
}
