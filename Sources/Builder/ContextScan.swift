import ContextFilter
import CopyPlanner
import Foundation
import ImageSpec

/// One pass over the build context that gives what `.dockerignore` lets through (Docker 20.10's
/// rule, see ``LegacyContextWalk``) and a fingerprint of the context's state: a digest over the
/// `lstat` identity (path, type and mode, owner, size, mtime, ctime, inode, device, link count)
/// of every path the walk visits, directories included.
///
/// Any change a COPY could see changes the fingerprint: writing, chmod, chown, xattrs or a new link
/// change a file's ctime; adding, removing or renaming an entry changes its directory's mtime and
/// ctime. So a COPY step whose inputs and context fingerprint are those of an earlier build has the
/// same source checksum (``CopyPlanMemo``), and a no-op rebuild costs a readdir per directory and an
/// lstat per entry — no file is opened, no layer entry made, nothing hashed but the stamps. The walk
/// is ``ContextWalker``'s with the rule ``LegacyContextWalk/rule``; entries come in its byte-wise
/// name order.
///
/// A fingerprint is only given when it can be trusted: a path whose ctime is less than
/// ``ContextScan/settleNanoseconds`` before the walk started (or later) makes the scan
/// unsettled (nil fingerprint), since a second change in the same filesystem clock tick would keep
/// the same times (git's "racily clean" entries).
struct ContextScan {
    /// Paths `.dockerignore` lets through, in the walk's order; nil when there are no patterns. A
    /// list, not a set: a no-op rebuild never asks for it (``ContextScanner/included()`` makes the set).
    var includedPaths: [String]?
    /// nil when the context changed while (or just before) it was walked, or could not be walked.
    var fingerprint: Digest?
    /// Every path the walk reported (as `includedPaths`, also without patterns) with its `lstat`
    /// stamp, for ``IncrementalCopyPlanner``; nil when the walk failed.
    var listing: ContextListing? = nil
    /// The fingerprint even when unsettled, and the listed paths that made it unsettled (ctime
    /// within the settle window): a memo recorded under it holds what those paths were
    /// (``CopyPlanMemo``), re-read before it is trusted.
    var candidate: Digest? = nil
    var racyPaths: [String] = []

    /// Filesystem times come from a coarse clock (a jiffy or so behind); this is far above it.
    static let settleNanoseconds: Int64 = 100_000_000

    /// Walks `root`. With `matcher`, excluded paths are left out exactly as ``LegacyContextWalk``
    /// leaves them out, and a walk error is thrown; without, a walk error only drops the fingerprint.
    static func scan(root: String, matcher: PatternMatcher?) throws -> ContextScan {
        let started = SnapshotLinks.now()
        let settledBefore = started - settleNanoseconds
        var hasher = Digester()
        var settled = true
        var included: [String] = []
        var stamps: [SourceStamp] = []
        var racy: [String] = []
        // Each entry's record — path bytes, NUL, then the lstat fields as fixed-width little-endian
        // integers — goes into one reusable buffer, hashed 64 KiB at a time (no text per entry).
        var pending: [UInt8] = []
        pending.reserveCapacity(72 * 1024)
        func field<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { pending.append(contentsOf: $0) }
        }
        func flush() {
            pending.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            pending.removeAll(keepingCapacity: true)
        }
        func stamp(_ path: String, _ s: SourceStamp) {
            if s.changed >= settledBefore { settled = false }
            pending.append(contentsOf: path.utf8)
            pending.append(0)
            field(s.mode); field(s.uid); field(s.gid)
            field(s.size); field(s.modified); field(s.changed)
            field(s.inode); field(s.device); field(s.links)
            if pending.count >= 64 * 1024 { flush() }
        }
        hasher.update(Array("kiln-context-scan 2\n\(root)\n".utf8))
        if let matcher {
            for pattern in matcher.patterns { hasher.update(Array("\(pattern.isExclusion ? "!" : "")\(pattern.text)\n".utf8)) }
        }
        do {
            var info = stat()
            guard stat(root, &info) == 0 else { throw ContextWalkError.io(path: root, errno: errno) }
            stamp("", SourceStamp(info))
            // The one context walk (ContextFilter's), by the builder's rule; it hands over each
            // reported entry's lstat, so the fingerprint costs no second stat.
            let walker = ContextWalker(matcher: try matcher ?? PatternMatcher([]), rule: LegacyContextWalk.rule)
            try walker.walkStamps(root) { path, source in
                included.append(path)
                stamps.append(source)
                if source.changed >= settledBefore { racy.append(path) }
                stamp(path, source)
            }
        } catch {
            if matcher != nil { throw error }
            return ContextScan(includedPaths: nil, fingerprint: nil)
        }
        flush()
        let candidate = hasher.finalize()
        return ContextScan(includedPaths: matcher == nil ? nil : included,
                           fingerprint: settled ? candidate : nil,
                           listing: ContextListing(paths: included, stamps: stamps, scanStarted: started),
                           candidate: candidate, racyPaths: racy)
    }
}

/// The build context's scan, made once per build on first use (stages ask from parallel tasks).
final class ContextScanner: @unchecked Sendable {
    private let root: String?
    private let patterns: [String]
    private let trace: BuildTrace?
    private let lock = NSLock()
    private var result: Result<ContextScan, Error>?
    private var includedSet: Set<String>??

    init(root: String?, patterns: [String], trace: BuildTrace? = nil) {
        self.root = root
        self.patterns = patterns
        self.trace = trace
    }

    /// The scan; throws ``BuildError`` when the `.dockerignore` walk fails.
    func scan() throws -> ContextScan {
        try lock.withLock {
            if let result { return try result.get() }
            let made: Result<ContextScan, Error>
            let started = DispatchTime.now().uptimeNanoseconds
            defer { trace?.record("context-scan", step: "build", start: started) }
            if let root {
                made = Result {
                    do {
                        let matcher = patterns.isEmpty ? nil : try PatternMatcher(patterns)
                        // No wait when a file changed just before the build (a script that writes,
                        // then builds): the scan is then unsettled (no fingerprint), so this build
                        // neither uses nor records a fingerprint memo — a second change in the same
                        // clock tick could hide behind equal stamps. Its context COPYs still plan
                        // incrementally (IncrementalCopyPlanner): the record they leave holds this
                        // scan's start, and the next plan re-reads every entry whose ctime is within
                        // the settle window of that start (racy), so the hidden change is read. The
                        // next unchanged rebuild then costs that small plan (not a full one), finds
                        // the layer by its checksum and records the fingerprint memo.
                        return try ContextScan.scan(root: root, matcher: matcher)
                    } catch {
                        throw BuildError("failed to read the build context with its .dockerignore: \(error)")
                    }
                }
            } else {
                made = .success(ContextScan(includedPaths: nil, fingerprint: nil))
            }
            result = made
            return try made.get()
        }
    }

    /// The context paths `.dockerignore` lets through as a set (nil: nothing excluded), made once.
    func included() throws -> Set<String>? {
        let paths = try scan().includedPaths
        return lock.withLock {
            if let includedSet { return includedSet }
            let made = paths.map { Set($0) }
            includedSet = .some(made)
            return made
        }
    }
}
