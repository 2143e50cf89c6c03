import ImageSpec
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// Plans a build-context `COPY <dir> <dest>` again after a change by re-reading only the changed
/// paths: every other entry comes from the record of the previous plan of the same step
/// (``PlanRecordFile``). The result — entries, their order, headers, the checksum — is the one
/// ``CopyPlanner/plan(_:from:destinationRoot:scratch:now:)`` makes; tests compare the two.
///
/// How it is the same plan:
/// - The *frame* (the destination's missing or existing parents, the destination directory and
///   its time, an opaque marker) is planned by ``CopyPlanner`` itself, walking only the operand's
///   top level (which decides whether the destination gains names and so is dated now).
/// - Below it a full plan adds one entry per visible context path, in the walk's order, made from
///   that path's `lstat` and `security.capability` alone (``SourceHeaders/entry``); a directory
///   fails when the destination holds a non-directory there. So each entry depends only on its
///   own source path and the destination filesystem, which the step's record key fixes.
/// - The paths and their order are the context scan's (``ContextListing``), with `.dockerignore`
///   visibility (a path is copied when it and its parents are listed). An entry is reused when
///   its stamp (device, inode, size, mtime, ctime, type and mode, owner, link count) equals the one
///   recorded *and* its ctime is older than the recorded scan's start minus the settle window:
///   a change in the same filesystem clock tick as the recorded state keeps every stamp field, but
///   then that state's ctime is within a tick of the change, which came after the recording scan
///   started (or the scan would have seen it), so the entry is "racy" and is read again. Every
///   write, chmod, chown, xattr change, rename or new link changes ctime; adding or removing a
///   path changes the listing.
/// - Anything else plans in full (nil): not the context, several or wildcard operands,
///   `--parents`, `--exclude`, a non-directory operand, hard links (their first name depends on
///   the whole set), a path that changes type or vanishes while planned, a destination conflict
///   (the full plan then reports it), a listing out of order, a damaged or foreign record.
public enum IncrementalCopyPlanner {
    public struct Outcome: Sendable {
        public var plan: CopyPlan
        /// The record to keep for the next plan of this step (encoded on demand: a caller may do it
        /// off the build's critical path).
        let recordFile: PlanRecordFile
        public func record() -> [UInt8] { recordFile.encode() }
        /// False when the record read is still right (every entry as recorded, none added or
        /// removed): it need not be written again. Its racy entries then stay racy (read again
        /// next time), which costs a few reads, never a wrong reuse.
        public var recordChanged: Bool
        /// The checksum records of the entries made from the `racy` paths (in order), and those
        /// paths: what ``racyDigest(_:from:destinationRoot:scratch:paths:)`` must find again.
        public var racyDigest: Digest
        public var racyPaths: [String]
        /// Entries taken from the previous record, and read from the context.
        public var reused: Int
        public var derived: Int
    }

    /// - Parameters:
    ///   - previous: the record the last plan of this step left (nil: none; every entry is read).
    ///   - settleNanoseconds: the racy window (see the type's documentation).
    /// - Returns: nil when the copy is not one this planner makes; the caller plans in full.
    public static func plan(_ request: CopyRequest, from source: CopySourceTree, destinationRoot: String?, scratch: String,
                            listing: ContextListing, previous: [UInt8]?, settleNanoseconds: Int64,
                            racy: Set<String> = [], now: TarTime? = nil) throws -> Outcome? {
        guard listing.paths.count == listing.stamps.count,
              let (operand, frame, destination, policy) = try directoryCopy(request, from: source, destinationRoot: destinationRoot,
                                                                            scratch: scratch, now: now) else { return nil }
        let identity = [request.sources[0], request.destination, request.workingDirectory,
                        String(describing: request.owner), String(describing: request.mode), request.symbolicMode ?? "",
                        "\(request.isAdd)", source.root, operand.joined(separator: "/"), destination.joined(separator: "/"),
                        "\(destinationRoot != nil)"].joined(separator: "\u{1}")
        let old = previous.flatMap(PlanRecordFile.decode).flatMap { $0.identity == identity ? $0 : nil }
        // The record is in the same order as the listing: one pass finds each path's old entry.
        var oldAt = 0
        func oldEntry(_ sub: String) -> PlanRecordFile.Entry? {
            guard let old else { return nil }
            while oldAt < old.entries.count, componentOrderPrecedes(old.entries[oldAt].sub, sub) { oldAt += 1 }
            return oldAt < old.entries.count && old.entries[oldAt].sub.utf8.elementsEqual(sub.utf8) ? old.entries[oldAt] : nil
        }
        let racyFrom = (old?.scanStarted ?? .min) &- settleNanoseconds

        let listingPrefix = operand.isEmpty ? "" : operand.joined(separator: "/") + "/"
        let headerPrefix = destination.isEmpty ? "" : destination.joined(separator: "/") + "/"
        let sourceBase = ConfinedResolver.join(source.root, operand)
        var visibleDirectories = Set<String>()
        var topNames = Set<String>()
        var sourceEntries: [LayerEntry] = []
        var contents: [String?] = []
        var records: [PlanRecordFile.Entry] = []
        sourceEntries.reserveCapacity(listing.paths.count)
        contents.reserveCapacity(listing.paths.count)
        records.reserveCapacity(listing.paths.count)
        var reused = 0, derived = 0
        var unchanged = old != nil
        var lastSub: String?
        var racyRecords: [UInt8] = []
        var racyPaths: [String] = []

        for (i, path) in listing.paths.enumerated() {
            guard listingPrefix.isEmpty || path.utf8.starts(with: listingPrefix.utf8) else { continue }
            let sub = listingPrefix.isEmpty ? path : String(path.utf8.dropFirst(listingPrefix.utf8.count))!
            guard !sub.isEmpty else { continue }
            let slash = sub.utf8.lastIndex(of: UInt8(ascii: "/"))
            if let slash, !visibleDirectories.contains(String(sub[..<slash])) { continue }
            if let lastSub, !componentOrderPrecedes(lastSub, sub) { return nil }
            lastSub = sub
            let stamp = listing.stamps[i]
            let isDirectory = stamp.mode & UInt32(S_IFMT) == UInt32(S_IFDIR)
            if isDirectory { visibleDirectories.insert(sub) }
            if slash == nil { topNames.insert(sub) }

            var header: TarHeader
            var contentPath: String?
            var content: String?
            if let record = oldEntry(sub), record.stamp == stamp, stamp.changed < racyFrom,
               (record.header.type == .directory) == isDirectory {
                header = record.header
                contentPath = record.hasContentPath ? sourceBase + "/" + sub : nil
                content = record.content.isEmpty ? nil : record.content
                reused += 1
            } else {
                switch try derive(sourceBase + "/" + sub, sub: sub, isDirectory: isDirectory, policy: policy,
                                  destination: destination, destinationRoot: destinationRoot) {
                case .giveUp: return nil
                case .none: continue
                case .entry(let h, let path):
                    header = h
                    contentPath = path
                }
                derived += 1
            }
            header.path = headerPrefix + sub + (header.type == .directory ? "/" : "")
            let entry = LayerEntry(header: header, contentPath: contentPath)
            if SourceChecksum.hasContent(entry) {
                if content == nil, let contentPath {
                    // Read when a previous record exists (a handful of changed files): the checksum
                    // cache is then neither consulted nor rewritten.
                    if old == nil, let cache = source.checksumCache {
                        content = try cache.digest(of: contentPath, compute: SourceChecksum.contentDigest).description
                    } else {
                        content = try SourceChecksum.contentDigest(contentPath).description
                    }
                }
                guard content != nil else { return nil }
            } else {
                content = nil
            }
            var kept = header
            kept.path = ""
            let made = PlanRecordFile.Entry(sub: sub, stamp: stamp, header: kept, hasContentPath: contentPath != nil, content: content ?? "")
            if unchanged, oldEntry(sub) != made { unchanged = false }
            records.append(made)
            sourceEntries.append(entry)
            contents.append(content)
            if racy.contains(path) {
                SourceChecksum.appendRecord(entry.header, content: content, to: &racyRecords)
                racyPaths.append(path)
            }
        }

        // The frame: the top-level plan's entries that are not the operand's own content.
        var entries: [LayerEntry] = []
        entries.reserveCapacity(sourceEntries.count + frame.entries.count)
        if topNames.contains(".wh..wh..opq") { return nil }
        for entry in frame.entries {
            var path = Substring(entry.header.path)
            if path.hasSuffix("/") { path = path.dropLast() }
            if path.hasPrefix(headerPrefix) {
                let rest = path.dropFirst(headerPrefix.count)
                if !rest.isEmpty, !rest.contains("/"), topNames.contains(String(rest)) { continue }
            }
            entries.append(entry)
        }
        var digester = Digester()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 * 1024)
        func flush() {
            bytes.withUnsafeBytes { digester.update(bufferPointer: $0) }
            bytes.removeAll(keepingCapacity: true)
        }
        for entry in entries {
            let content = SourceChecksum.hasContent(entry) ? try SourceChecksum.contentDigest(entry.contentPath!).description : nil
            SourceChecksum.appendRecord(entry.header, content: content, to: &bytes)
        }
        for (entry, content) in zip(sourceEntries, contents) {
            SourceChecksum.appendRecord(entry.header, content: content, to: &bytes)
            if bytes.count >= 60 * 1024 { flush() }
        }
        flush()
        entries.append(contentsOf: sourceEntries)
        let record = PlanRecordFile(identity: identity, scanStarted: listing.scanStarted, entries: records)
        return Outcome(plan: CopyPlan(entries: entries, sourceDigest: digester.finalize()), recordFile: record,
                       recordChanged: !(unchanged && records.count == old?.entries.count),
                       racyDigest: Digest.sha256(of: racyRecords), racyPaths: racyPaths,
                       reused: reused, derived: derived)
    }

    private enum Derived {
        case entry(TarHeader, contentPath: String?)
        /// A type a layer cannot hold: no entry, as in the full plan.
        case none
        /// Something the full plan must decide (a hard link, a vanished path, a conflict).
        case giveUp
    }

    /// One source path's entry read from the context, as the full plan's walk makes it.
    private static func derive(_ full: String, sub: String, isDirectory: Bool, policy: OwnershipPolicy,
                               destination: [String], destinationRoot: String?) throws -> Derived {
        guard let info = SourceHeaders.lstatInfo(full), SourceHeaders.isDirectory(info) == isDirectory else { return .giveUp }
        guard let planned = try SourceHeaders.entry(path: full, info: info, policy: policy) else { return .none }
        guard planned.inode == nil else { return .giveUp }
        if isDirectory, let destinationRoot {
            switch ConfinedResolver.kind(root: destinationRoot, destination + sub.split(separator: "/").map(String.init)) {
            case .symlink, .other: return .giveUp
            case .missing, .directory: break
            }
        }
        return .entry(planned.header, contentPath: planned.header.type == .regular ? planned.contentPath : nil)
    }

    /// The copy this planner makes — one context directory operand, no wildcard, `--parents` or
    /// `--exclude` — laid out: the operand's path, the planned frame (destination and parents), the
    /// destination's components and the ownership policy; nil for any other copy.
    private static func directoryCopy(_ request: CopyRequest, from source: CopySourceTree, destinationRoot: String?, scratch: String,
                                      now: TarTime?) throws -> ([String], (entries: [LayerEntry], destination: [String]?), [String], OwnershipPolicy)? {
        guard source.isContext, request.sources.count == 1, !request.parents, request.excludePatterns.isEmpty,
              !ConfinedResolver.clean(request.sources[0]).contains(where: GoMatch.hasWildcards) else { return nil }
        let view = SourceView(tree: source)
        guard let matches = try? view.matches(request.sources[0]), matches.count == 1,
              let info = SourceHeaders.lstatInfo(ConfinedResolver.join(source.root, matches[0].resolved)),
              SourceHeaders.isDirectory(info) else { return nil }
        let frame = try CopyPlanner.layOut(request, from: source, destinationRoot: destinationRoot, scratch: scratch,
                                           now: now, depthLimit: 1)
        guard let destination = frame.destination else { return nil }
        let policy = OwnershipPolicy(chown: request.owner.map { (Int($0.uid), Int($0.gid)) }, zeroOwners: true, mode: request.mode,
                                     symbolic: try request.symbolicMode.map(SymbolicMode.init(parsing:)))
        return (matches[0].resolved, frame, destination, policy)
    }

    /// The racy paths of an earlier plan (``Outcome/racyPaths``) read again from the context, as
    /// that plan's ``Outcome/racyDigest``: equal when each still gives the entry it gave then. nil
    /// when the copy is not one this planner makes or a path no longer gives an entry.
    public static func racyDigest(_ request: CopyRequest, from source: CopySourceTree, destinationRoot: String?, scratch: String,
                                  paths: [String]) throws -> Digest? {
        guard let (operand, _, destination, policy) = try directoryCopy(request, from: source, destinationRoot: destinationRoot,
                                                                        scratch: scratch, now: nil) else { return nil }
        let listingPrefix = operand.isEmpty ? "" : operand.joined(separator: "/") + "/"
        let headerPrefix = destination.isEmpty ? "" : destination.joined(separator: "/") + "/"
        let sourceBase = ConfinedResolver.join(source.root, operand)
        var records: [UInt8] = []
        for path in paths {
            guard listingPrefix.isEmpty || path.utf8.starts(with: listingPrefix.utf8) else { return nil }
            let sub = listingPrefix.isEmpty ? path : String(path.utf8.dropFirst(listingPrefix.utf8.count))!
            guard !sub.isEmpty, let info = SourceHeaders.lstatInfo(sourceBase + "/" + sub) else { return nil }
            guard case .entry(var header, let contentPath) = try derive(sourceBase + "/" + sub, sub: sub,
                                                                        isDirectory: SourceHeaders.isDirectory(info), policy: policy,
                                                                        destination: destination, destinationRoot: destinationRoot)
            else { return nil }
            header.path = headerPrefix + sub + (header.type == .directory ? "/" : "")
            let entry = LayerEntry(header: header, contentPath: contentPath)
            let content = SourceChecksum.hasContent(entry) ? try SourceChecksum.contentDigest(contentPath!).description : nil
            SourceChecksum.appendRecord(header, content: content, to: &records)
        }
        return Digest.sha256(of: records)
    }

    /// Whether `a` comes before `b` in component-wise byte order (the walk's and the layer's).
    static func componentOrderPrecedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let n = min(x.count, y.count)
                var i = 0
                while i < n, x[i] == y[i] { i += 1 }
                if i == n { return x.count < y.count }
                return (x[i] == 0x2F ? 0 : x[i]) < (y[i] == 0x2F ? 0 : y[i])
            }
        }
        if let fast, let answer = fast { return answer }
        var x = a.utf8.makeIterator(), y = b.utf8.makeIterator()
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (p?, q?):
                if p != q { return (p == 0x2F ? 0 : p) < (q == 0x2F ? 0 : q) }
            }
        }
    }
}
