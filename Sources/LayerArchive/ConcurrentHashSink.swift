import Dispatch
import Foundation
import ImageSpec
import Synchronization

/// A sink that computes the SHA-256 of the bytes written to it on one worker thread and writes
/// them to `inner` on another, so the caller's thread only produces the bytes (reads the files):
/// a large uncompressed layer costs about max(read, hash, write) — on two cores, about half their
/// sum — instead of the sum.
///
/// The bytes are gathered into a small ring of reused buffers (`slots` × `slotSize`, allocated
/// once). A full buffer goes to both workers, which take buffers in order; it is reused once both
/// are done with it. The caller waits for a free buffer when the workers are `slots` buffers
/// behind (back-pressure), so memory stays bounded whatever the layer's size.
///
/// Contract: call ``finish()`` once after the last write for the digest and byte count. The first
/// error of `inner`'s writes is thrown once, by the ``write(_:)`` or ``finish()`` that follows it
/// (later bytes are not written); the sink is then abandoned. The workers are stopped and waited
/// for by ``finish()``, ``abandon()``, or when the sink goes away — no thread outlives the sink.
/// The digest is the one a single pass over the bytes gives, and `inner` receives the bytes in
/// order, from one thread at a time.
public final class ConcurrentHashSink<Inner: ByteSink>: ByteSink {
    private let ring: SlotRing
    private let box: InnerBox<Inner>
    private let hasher = ResumableSHA256()
    private let hashWorker: SlotWorker
    private let writeWorker: SlotWorker
    /// The slot being filled (nil: none taken yet) and how much of it is filled.
    private var current: Int?
    private var filled = 0
    private var next = 0
    public private(set) var count: Int64 = 0
    private var stopped = false

    /// - Parameters:
    ///   - slots: buffers in the ring (at least 2).
    ///   - slotSize: bytes per buffer (1 MiB: large writes for the file, few hand-overs).
    public init(_ inner: Inner, slots: Int = 6, slotSize: Int = 1 << 20) {
        precondition(slots >= 2 && slotSize >= 4096)
        let ring = SlotRing(slots: slots, slotSize: slotSize)
        let box = InnerBox(inner)
        let hasher = self.hasher
        self.ring = ring
        self.box = box
        hashWorker = SlotWorker(ring: ring) { hasher.update($0) }
        writeWorker = SlotWorker(ring: ring) { box.write($0) }
    }

    deinit { abandon() }

    /// The inner sink (complete after ``finish()``).
    public var inner: Inner { box.inner }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !stopped else { throw LayerArchiveError(.invalidUse, "write after the hash sink was finished or abandoned") }
        var rest = bytes
        while !rest.isEmpty {
            let slot = takeSlot()
            let n = min(rest.count, ring.slotSize - filled)
            (ring.memory + slot * ring.slotSize + filled).copyMemory(from: rest.baseAddress!, byteCount: n)
            filled += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if filled == ring.slotSize { try handOver() }
        }
    }

    /// Hashes and writes what is left, waits for both workers and returns the digest and the
    /// number of bytes. The inner sink then holds every byte.
    public func finish() throws -> (digest: Digest, count: Int64) {
        guard !stopped else { throw LayerArchiveError(.invalidUse, "the hash sink was already finished or abandoned") }
        if filled > 0 { try handOver() }
        abandon()
        if let failure = box.failure { throw failure }
        return (hasher.digest, count)
    }

    /// Stops both workers after what was handed over and waits for them (no digest). Idempotent.
    public func abandon() {
        guard !stopped else { return }
        stopped = true
        hashWorker.stop()
        writeWorker.stop()
    }

    private func takeSlot() -> Int {
        if let current { return current }
        ring.free.wait()
        let slot = next
        next = (next + 1) % ring.slots
        current = slot
        filled = 0
        return slot
    }

    /// Gives the current slot to both workers; throws the inner sink's first error, once.
    private func handOver() throws {
        guard let slot = current else { return }
        let length = filled
        current = nil
        filled = 0
        ring.handOut(slot, users: 2)
        hashWorker.submit(slot: slot, length: length)
        writeWorker.submit(slot: slot, length: length)
        count += Int64(length)
        if let failure = box.failure {
            abandon()
            throw failure
        }
    }
}

/// The buffers of a ``ConcurrentHashSink`` and which of them are free.
final class SlotRing: @unchecked Sendable {
    let slots: Int
    let slotSize: Int
    let memory: UnsafeMutableRawPointer
    /// Slots the writer may fill (signalled when the last worker is done with one).
    let free: DispatchSemaphore
    /// Per slot: the workers not yet done with it.
    private let users: Mutex<[Int]>

    init(slots: Int, slotSize: Int) {
        self.slots = slots
        self.slotSize = slotSize
        memory = UnsafeMutableRawPointer.allocate(byteCount: slots * slotSize, alignment: 4096)
        users = Mutex([Int](repeating: 0, count: slots))
        // Starts at 0 and is raised to `slots`: libdispatch traps when a semaphore goes away below
        // its initial value (as it may after a failure with a slot taken).
        free = DispatchSemaphore(value: 0)
        for _ in 0..<slots { free.signal() }
    }

    deinit { memory.deallocate() }

    func handOut(_ slot: Int, users count: Int) { users.withLock { $0[slot] = count } }

    func release(_ slot: Int) {
        let last = users.withLock { users -> Bool in
            users[slot] -= 1
            return users[slot] == 0
        }
        if last { free.signal() }
    }

    func bytes(_ slot: Int, _ length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: memory + slot * slotSize, count: length)
    }
}

/// The inner sink of a ``ConcurrentHashSink``, written on its write worker; keeps the first error.
final class InnerBox<Inner: ByteSink>: @unchecked Sendable {
    private(set) var inner: Inner
    private let firstError = Mutex<(any Error)?>(nil)

    init(_ inner: Inner) { self.inner = inner }

    var failure: (any Error)? { firstError.withLock { $0 } }

    /// Writes unless an earlier write failed.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        do {
            try inner.write(bytes)
        } catch {
            firstError.withLock { $0 = error }
        }
    }
}

/// A thread of its own that runs `body` on each slot handed to it, in order, releasing the slot after, until
/// told to stop.
final class SlotWorker: @unchecked Sendable {
    private let ring: SlotRing
    private let body: (UnsafeRawBufferPointer) -> Void
    private let ready = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    /// (slot, length) to process, or nil: stop.
    private let queue = Mutex<[(slot: Int, length: Int)?]>([])

    init(ring: SlotRing, body: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.ring = ring
        self.body = body
        // Its own thread, not Dispatch's pool: it blocks between slots, and a pool busy with other
        // blocked work must not keep it from starting (the writer would wait for it forever).
        Thread.detachNewThread { [self] in run() }
    }

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

    private func run() {
        while true {
            ready.wait()
            guard let message = queue.withLock({ $0.removeFirst() }) else { break }
            body(ring.bytes(message.slot, message.length))
            ring.release(message.slot)
        }
        exited.signal()
    }
}
