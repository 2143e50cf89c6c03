import Foundation
import ImageSpec
import ImageStore
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

extension ImageLoader {
    /// Makes a one-layer image from a root filesystem tar, like `docker import`.
    ///
    /// The tar (plain or gzip; `"-"` = standard input) must be a readable tar archive; its
    /// uncompressed stream, byte for byte, is the layer (diffID = its sha256), stored gzip-compressed.
    /// The config has Docker's import defaults: `created` now, `comment` and one history entry
    /// with `message` (default `Imported from -`, as Docker writes for files and stdin alike),
    /// the container config made from `changes` (see `--change`), and `platform`.
    /// Tags `reference` when given. Throws ``ArchiveError``.
    public func importRootfs(from path: String, reference: ImageReference?, changes: [String], message: String?, platform: Platform) async throws -> ArchiveImage {
        let containerConfig = try ImportChanges.apply(changes, to: ContainerConfig())
        let digests = try await storeImportedLayer(path)
        let comment = message.flatMap { $0.isEmpty ? nil : $0 } ?? "Imported from -"
        let now = Timestamp(Date())
        let config = ImageConfig(
            platform: platform, config: containerConfig, rootfs: RootFS(diffIDs: [digests.diffID]),
            history: [History(created: now, comment: comment)], created: now,
            extraFields: ["comment": .string(comment)])
        let configBytes = try CanonicalJSON.encode(config)
        let configDescriptor = try storeCall { try store.put(bytes: configBytes, mediaType: .ociConfig) }
        let manifest = Manifest(mediaType: .ociManifest, config: configDescriptor,
                                layers: [digests.descriptor(mediaType: .ociLayer)])
        var descriptor = try storeCall { try store.put(bytes: try CanonicalJSON.encode(manifest), mediaType: .ociManifest) }
        descriptor.platform = platform
        if let reference {
            try await storeCallAsync { try await store.tag(reference, descriptor) }
        }
        return ArchiveImage(manifestDescriptor: descriptor, references: reference.map { [$0] } ?? [])
    }

    /// Streams the rootfs tar into an uncompressed layer blob in the store, checking it is a tar on the way.
    private func storeImportedLayer(_ path: String) async throws -> LayerDigests {
        let input: FileDescriptor
        if path == "-" {
            input = FileDescriptor(fd: 0, owned: false)
        } else {
            do { input = try FileDescriptor.open(reading: path) } catch {
                throw ArchiveError(.io, "cannot open \(path)", cause: "\(error)")
            }
        }
        // Named after this process (`import-<pid>-<random>`): a killed load's file is removed at the next start.
        guard let (fd, tempURL) = try? store.makeBlobTempFile("import") else {
            throw ArchiveError(.io, "cannot create a temp file in \(store.location.tempDirectory.path)")
        }
        let temp = tempURL.path
        defer { unlink(temp) }
        let source = path == "-" ? "standard input" : path
        let digests: LayerDigests
        do {
            let sink = try LayerBlobSink(blob: FileDescriptor(fd: fd), compression: .none)
            let (_, plain) = try CompressionSniffer.decompressing(input)
            let tee = TeeSource(base: AnyByteSource(plain), sink: sink, limit: ImageLimits.maxLayerSize(), what: source)
            var reader = TarReader(tee)
            try LayerEntryRules.checkAll(&reader)  // an entry an unpack would refuse is refused now
            // The layer is the whole stream, including anything after the end-of-archive blocks.
            while try !tee.read(upTo: 256 * 1024).isEmpty {}
            digests = try sink.finish()
        } catch let error as LayerArchiveError where error.kind == .unsafeEntry {
            throw ArchiveError(.unsafeArchive, "\(source) holds an entry kiln refuses to unpack", cause: "\(error)")
        } catch let error as LayerArchiveError {
            throw ArchiveError(error.kind == .unsupported ? .unsupported : .invalidArchive, "\(source) is not a readable tar archive", cause: "\(error)")
        }
        try Task.checkCancellation()
        try await storeCallAsync { try await store.ingest(expected: digests.descriptor(mediaType: .ociLayer), contentsOf: URL(fileURLWithPath: temp)) }
        return digests
    }
}

/// A source that also writes every byte it gives to a sink (a class, so the tar reader and the
/// caller share one read position).
/// With a `limit`, more bytes than that throw (an `import` of a decompression bomb stops there).
final class TeeSource<Sink: ByteSink & AnyObject>: ByteSource {
    private var base: AnyByteSource
    private let sink: Sink
    private let limit: Int64?
    private let what: String
    private var count: Int64 = 0

    init(base: AnyByteSource, sink: Sink, limit: Int64? = nil, what: String = "the layer") {
        self.base = base
        self.sink = sink
        self.limit = limit
        self.what = what
    }

    func read(upTo maxCount: Int) throws -> [UInt8] {
        let chunk = try base.read(upTo: maxCount)
        count += Int64(chunk.count)
        if let limit, count > limit { throw ArchiveError(.unsupported, ImageLimits.layerTooLarge(what, limit: limit)) }
        if !chunk.isEmpty { try sink.write(chunk) }
        return chunk
    }
}
