import Foundation
import ImageSpec
import ImageStore
import LayerArchive
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A layer's snapshot unpacked on a second core while its blob is still being written.
///
/// A cold COPY of a large context spent its commit writing and hashing the tar (one core), then
/// its snapshot reading that tar back and creating every file (the same core, afterwards). Here
/// the snapshot is made from the blob file as it grows: everything below the file's current size
/// is final (the blob writer only appends, and a block it skips as a hole stays zeros), so the
/// reader takes what is there and waits for more until the writer says it is done. The snapshot
/// is therefore made from exactly the bytes that were hashed — nothing is read twice from the
/// context, and a file changing under the build cannot make blob and snapshot differ.
///
/// The result is a prepared snapshot folder that ``LayerCommitter/append`` commits under the
/// layer's chain ID once the blob is in the store; on any failure (the writer's or the reader's)
/// the folder is removed and the snapshot is made from the stored blob as before.
final class ConcurrentSnapshot: @unchecked Sendable {
    private let folder: URL
    private let progress: BlobProgress
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<(any Error)?>(nil)

    /// Starts unpacking the blob being written at `blobPath` into a new folder of `store`'s temp
    /// directory; nil when the folder or the file cannot be opened (the caller goes the usual way).
    init?(store: ContentStore, blobPath: String) {
        guard let folder = try? store.prepareSnapshot(Digest.digest(of: Data("concurrent".utf8), algorithm: .sha256)) else { return nil }
        let fd = open(blobPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            try? FileManager.default.removeItem(at: folder)
            return nil
        }
        self.folder = folder
        progress = BlobProgress(fd: fd)
        Thread.detachNewThread { [self] in
            do {
                let source = GrowingBlobSource(progress: progress)
                _ = try LayerApplier(target: folder.path, options: LayerApplyOptions(whiteouts: .overlayMarkers)).apply(blob: source)
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
    }

    /// The writer wrote all `size` bytes of the blob.
    func writerFinished(size: Int64) { progress.finish(size: size) }

    /// The writer failed; the reader stops at its next wait.
    func writerFailed() { progress.fail() }

    /// Waits for the reader; the prepared snapshot folder when it unpacked the whole blob, else nil
    /// (the folder removed). Call once the writer finished or failed; later calls return nil.
    func finish() -> URL? {
        guard claim() else { return nil }
        if outcome.withLock({ $0 }) == nil { return folder }
        try? FileManager.default.removeItem(at: folder)
        return nil
    }

    /// For a commit that ended before ``finish()`` (an error on the way): stops the reader and
    /// removes the folder. Does nothing after ``finish()``.
    func discardUnused() {
        progress.fail()
        guard claim() else { return }
        try? FileManager.default.removeItem(at: folder)
    }

    private let claimed = Mutex(false)

    /// Waits for the reader the first time only.
    private func claim() -> Bool {
        guard claimed.withLock({ c -> Bool in defer { c = true }; return !c }) else { return false }
        done.wait()
        progress.close()
        return true
    }
}

/// How much of a blob being written can be read: its writer's word for the end, else the file's size.
private final class BlobProgress: @unchecked Sendable {
    let fd: Int32
    private let state = Mutex<(size: Int64?, failed: Bool, closed: Bool)>((nil, false, false))

    init(fd: Int32) { self.fd = fd }

    func finish(size: Int64) { state.withLock { $0.size = size } }
    func fail() { state.withLock { $0.failed = true } }

    func close() {
        let wasOpen = state.withLock { s -> Bool in defer { s.closed = true }; return !s.closed }
        if wasOpen { Glibc.close(fd) }
    }

    /// The readable end (a final size once the writer finished), waiting while nothing lies
    /// beyond `offset`. Throws when the writer failed.
    func readable(beyond offset: Int64) throws -> (end: Int64, final: Bool) {
        var pause: UInt32 = 50
        while true {
            let (size, failed) = state.withLock { ($0.size, $0.failed) }
            if failed { throw LayerArchiveError(.io, "the layer being unpacked was not written") }
            if let size { return (size, true) }
            var info = stat()
            if fstat(fd, &info) == 0, Int64(info.st_size) > offset { return (Int64(info.st_size), false) }
            usleep(pause)
            pause = min(pause * 2, 2000)
        }
    }
}

/// Reads a blob file while it is written, up to what ``BlobProgress`` says is there; bytes past the
/// file's end but before the writer's final size are trailing holes (zeros).
private struct GrowingBlobSource: ByteSource {
    let progress: BlobProgress
    private var offset: Int64 = 0

    init(progress: BlobProgress) { self.progress = progress }

    mutating func read(upTo maxCount: Int) throws -> [UInt8] {
        let (end, _) = try progress.readable(beyond: offset)
        let count = Int(min(Int64(maxCount), end - offset))
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { pread(progress.fd, $0.baseAddress! + got, count - got, off_t(offset + Int64(got))) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LayerArchiveError(.io, "cannot read the layer being written", errno: errno)
            }
            if n == 0 { break }  // past the file's end: the writer's trailing holes, zeros already
            got += n
        }
        offset += Int64(count)
        return bytes
    }
}
