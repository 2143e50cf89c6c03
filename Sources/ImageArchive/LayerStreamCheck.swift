import Foundation
import ImageSpec
import LayerArchive

/// One pass over an uncompressed layer as it arrives in the store (`kiln load` of an OCI or docker
/// archive, `kiln import`): its digest (the diffID) and size, the `KILN_MAX_LAYER_SIZE` limit, and every
/// entry read by LayerArchive's `TarReader` and judged by `LayerEntryRules` — the reader and rules of the
/// unpack itself — so a layer that an unpack would refuse is refused here, naming the entry, and never
/// enters the store. Bytes after the end-of-archive marker are part of the layer (digested, not read as entries).
struct LayerStreamCheck {
    /// What the layer is, for messages ("layer sha256:… in FILE").
    let what: String
    let limit: Int64?

    /// Reads `source` to its end; `copy` gets every byte read (e.g. a blob being written).
    /// Throws ``ArchiveError``: `.unsupported` over the limit, `.unsafeArchive` for an entry an unpack
    /// refuses, `.invalidArchive` for a stream that is not a readable tar (truncated, corrupt).
    func run(_ source: AnyByteSource, copy: (([UInt8]) throws -> Void)? = nil) throws -> (diffID: Digest, size: Int64) {
        let stream = CheckedStream(base: source, limit: limit, what: what, copy: copy)
        do {
            var reader = TarReader(stream)
            try LayerEntryRules.checkAll(&reader)
            while try !stream.read(upTo: 256 * 1024).isEmpty {}
        } catch let error as LayerArchiveError {
            switch error.kind {
            case .unsafeEntry:
                throw ArchiveError(.unsafeArchive, "\(what) holds an entry kiln refuses to unpack", cause: "\(error)")
            case .unsupported:
                throw ArchiveError(.unsupported, "\(what) cannot be unpacked", cause: "\(error)")
            default:
                throw ArchiveError(.invalidArchive, "\(what) is not a readable layer (truncated or corrupt)", cause: "\(error)")
            }
        }
        return (stream.digester.finalize(), stream.digester.byteCount)
    }
}

/// The layer's bytes, digested and counted as they are read (a class: the tar reader and the final
/// drain share one position).
private final class CheckedStream: ByteSource {
    private var base: AnyByteSource
    private let limit: Int64?
    private let what: String
    private let copy: (([UInt8]) throws -> Void)?
    var digester = Digester(algorithm: .sha256)

    init(base: AnyByteSource, limit: Int64?, what: String, copy: (([UInt8]) throws -> Void)?) {
        self.base = base
        self.limit = limit
        self.what = what
        self.copy = copy
    }

    func read(upTo maxCount: Int) throws -> [UInt8] {
        let chunk = try base.read(upTo: maxCount)
        digester.update(chunk)
        if let limit, digester.byteCount > limit { throw ArchiveError(.unsupported, ImageLimits.layerTooLarge(what, limit: limit)) }
        if !chunk.isEmpty, let copy { try copy(chunk) }
        return chunk
    }
}
