import CSHA256
import ImageSpec

/// SHA-256 whose state can be saved where the bytes fed are a multiple of 64 and restored later
/// (libcrypto's implementation, through CSHA256; swift-crypto cannot export its state). A saved
/// state is the eight hash words and the byte count: feeding the same bytes after a restore gives
/// the digest a single pass over all of them gives.
public final class ResumableSHA256 {
    /// A state saved at a 64-byte boundary: the hash words and how many bytes led to them.
    public struct State: Sendable, Equatable {
        public var words: [UInt32]
        public var byteCount: Int64

        public init(words: [UInt32], byteCount: Int64) {
            precondition(words.count == 8)
            self.words = words
            self.byteCount = byteCount
        }
    }

    private let context: OpaquePointer

    /// A fresh computation (no bytes fed).
    public init() {
        guard let context = kiln_sha256_new() else { fatalError("out of memory for a SHA-256 state") }
        self.context = context
    }

    /// A computation that continues from `state`. Throws `.invalidUse` when its byte count is not
    /// a multiple of 64 or negative.
    public convenience init(resuming state: State) throws {
        self.init()
        guard state.byteCount >= 0,
              state.words.withUnsafeBufferPointer({ kiln_sha256_restore(context, $0.baseAddress!, UInt64(state.byteCount)) }) == 0 else {
            throw LayerArchiveError(.invalidUse, "a SHA-256 state can only resume at a multiple of 64 bytes (\(state.byteCount))")
        }
    }

    deinit { kiln_sha256_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        kiln_sha256_update(context, base, bytes.count)
    }

    /// The digest of everything fed so far (the computation may go on).
    public var digest: Digest {
        var out = [UInt8](repeating: 0, count: 32)
        kiln_sha256_digest(context, &out)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in out {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return try! Digest(algorithm: .sha256, hex: String(decoding: hex, as: UTF8.self))
    }

    /// The 32-byte digest of `bytes` (for small inputs; no state kept).
    public static func digestBytes(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32)
        kiln_sha256_oneshot(bytes.baseAddress, bytes.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }

    /// The current state, or nil when the bytes fed so far are not a multiple of 64.
    public var state: State? {
        var words = [UInt32](repeating: 0, count: 8)
        var count: UInt64 = 0
        guard kiln_sha256_save(context, &words, &count) == 0 else { return nil }
        return State(words: words, byteCount: Int64(count))
    }
}

/// A sink for an uncompressed layer blob: hashes every byte (``ResumableSHA256``) on its way to a
/// ``BlobFileSink``, so the hash state can be saved at entry boundaries, and a later blob that
/// begins with the same bytes can start from a copy of this one's prefix
/// (``BlobFileSink/copyPrefix(from:length:)``) and the state saved there.
public final class ResumableBlobSink: ByteSink {
    public let file: BlobFileSink
    public let hasher: ResumableSHA256
    /// The bytes hashed so far (the blob's size, except while bytes copied with
    /// `file.copyRange` are still being hashed with ``hashOnly(_:)``).
    public private(set) var hashed: Int64 = 0

    /// Hashes from the start of the blob.
    public init(file: BlobFileSink) {
        self.file = file
        hasher = ResumableSHA256()
    }

    /// Continues a blob whose first `state.byteCount` bytes `file` already holds and `state` hashed.
    public init(file: BlobFileSink, resuming state: ResumableSHA256.State) throws {
        guard file.size == state.byteCount else {
            throw LayerArchiveError(.invalidUse, "the blob holds \(file.size) bytes, the hash state \(state.byteCount)")
        }
        self.file = file
        hasher = try ResumableSHA256(resuming: state)
        hashed = state.byteCount
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        hashed += Int64(bytes.count)
        try file.write(bytes)
    }

    /// Hashes bytes the file got another way (``BlobFileSink/copyRange(from:offset:length:)``).
    public func hashOnly(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bytes)
        hashed += Int64(bytes.count)
    }

    /// The bytes of the blob so far.
    public var count: Int64 { file.size }
}
