import Dispatch
import ImageSpec
import Synchronization

/// A sink that writes to `inner` on the calling thread and computes the SHA-256 of the same bytes
/// on another core, so a large uncompressed layer costs about max(hash, read + write) instead of
/// their sum.
///
/// The bytes are gathered into a small ring of reused buffers (`slots` × `slotSize`, allocated
/// once): a full buffer is handed to the hashing worker and then written to `inner` from the same
/// memory while the worker hashes it. The writer waits for a free buffer when the worker is
/// `slots` buffers behind (back-pressure), so memory stays bounded whatever the layer's size.
///
/// Contract: call ``finish()`` once after the last write for the digest and byte count. A write
/// of `inner` that throws is rethrown as it is, once; the worker is stopped and waited for by
/// ``finish()``, by ``abandon()``, or when the sink goes away — no thread outlives the sink.
/// The digest is the one a single pass over the bytes gives (the worker hashes in order).
public final class ConcurrentHashSink<Inner: ByteSink>: ByteSink {
    public private(set) var inner: Inner
    private let worker: HashWorker
    /// The slot being filled (nil: none taken yet) and how much of it is filled.
    private var current: Int?
    private var filled = 0
    private var next = 0
    public private(set) var count: Int64 = 0
    private var stopped = false

    /// - Parameters:
    ///   - slots: buffers in the ring (at least 2: one written while another is hashed).
    ///   - slotSize: bytes per buffer (1 MiB: large writes for the file, few hand-overs).
    public init(_ inner: Inner, slots: Int = 4, slotSize: Int = 1 << 20) {
        precondition(slots >= 2 && slotSize >= 4096)
        self.inner = inner
        worker = HashWorker(slots: slots, slotSize: slotSize)
        let worker = self.worker
        DispatchQueue.global().async { worker.run() }
    }

    deinit { abandon() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !stopped else { throw LayerArchiveError(.invalidUse, "write after the hash sink was finished or abandoned") }
        var rest = bytes
        while !rest.isEmpty {
            let slot = takeSlot()
            let n = min(rest.count, worker.slotSize - filled)
            (worker.memory + slot * worker.slotSize + filled).copyMemory(from: rest.baseAddress!, byteCount: n)
            filled += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if filled == worker.slotSize { try handOver() }
        }
    }

    /// Writes and hashes what is left, waits for the worker and returns the digest and the
    /// number of bytes. The inner sink then holds every byte.
    public func finish() throws -> (digest: Digest, count: Int64) {
        guard !stopped else { throw LayerArchiveError(.invalidUse, "the hash sink was already finished or abandoned") }
        if filled > 0 { try handOver() }
        stopped = true
        worker.stop()
        return (worker.digest, count)
    }

    /// Stops the worker and waits for it, without a digest (after a failed write). Idempotent.
    public func abandon() {
        guard !stopped else { return }
        stopped = true
        worker.stop()
    }

    private func takeSlot() -> Int {
        if let current { return current }
        worker.free.wait()
        let slot = next
        next = (next + 1) % worker.slots
        current = slot
        filled = 0
        return slot
    }

    /// Gives the current slot to the worker and writes it to `inner` while it is hashed.
    private func handOver() throws {
        guard let slot = current else { return }
        let length = filled
        current = nil
        filled = 0
        worker.submit(slot: slot, length: length)
        count += Int64(length)
        do {
            try inner.write(UnsafeRawBufferPointer(start: worker.memory + slot * worker.slotSize, count: length))
        } catch {
            abandon()
            throw error
        }
    }
}

/// The hashing side of ``ConcurrentHashSink``: owns the ring's memory and hashes the slots it is
/// handed, in order, on its own thread until told to stop.
final class HashWorker: @unchecked Sendable {
    let slots: Int
    let slotSize: Int
    let memory: UnsafeMutableRawPointer
    /// Slots the writer may fill (signalled by the worker after hashing one).
    let free: DispatchSemaphore
    /// Messages waiting for the worker.
    private let ready = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    /// (slot, length) to hash, or nil: stop.
    private let queue = Mutex<[(slot: Int, length: Int)?]>([])
    private let hasher = ResumableSHA256()

    init(slots: Int, slotSize: Int) {
        self.slots = slots
        self.slotSize = slotSize
        memory = UnsafeMutableRawPointer.allocate(byteCount: slots * slotSize, alignment: 4096)
        // Starts at 0 and is raised to `slots`: libdispatch traps when a semaphore goes away below
        // its initial value (as it may after a write failed with a slot taken).
        free = DispatchSemaphore(value: 0)
        for _ in 0..<slots { free.signal() }
    }

    deinit { memory.deallocate() }

    func submit(slot: Int, length: Int) {
        queue.withLock { $0.append((slot, length)) }
        ready.signal()
    }

    /// Tells the worker to stop after what was submitted and waits until it has.
    func stop() {
        queue.withLock { $0.append(nil) }
        ready.signal()
        exited.wait()
    }

    /// The digest of everything hashed (after ``stop()``).
    var digest: Digest { hasher.digest }

    func run() {
        while true {
            ready.wait()
            guard let message = queue.withLock({ $0.removeFirst() }) else { break }
            hasher.update(UnsafeRawBufferPointer(start: memory + message.slot * slotSize, count: message.length))
            free.signal()
        }
        exited.signal()
    }
}
