#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// One entry of a filtered build context.
public struct ContextEntry: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case file, directory, symlink, other
    }

    /// Slash-separated path relative to the context root (no leading `./` or `/`).
    public var path: String
    public var kind: Kind
    /// `lstat` size in bytes (for a symlink: the length of its target).
    public var size: Int64
    /// Permission bits of `st_mode` (`0o7777`: rwx plus setuid, setgid, sticky).
    public var mode: UInt32
    /// The link's target, for a symlink (never followed).
    public var linkTarget: String?

    public init(path: String, kind: Kind, size: Int64, mode: UInt32, linkTarget: String? = nil) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.linkTarget = linkTarget
    }

    public var description: String {
        let octal = String(mode, radix: 8)
        return "\(kind.rawValue) \(path) size=\(size) mode=\(octal)" + (linkTarget.map { " -> \($0)" } ?? "")
    }
}

/// A failed context walk.
public enum ContextWalkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A pattern failed at match time (for example `[l-O]`).
    case pattern(PatternError)
    /// The context root is missing or not a directory.
    case notADirectory(String)
    /// A directory could not be listed or an entry could not be examined.
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .pattern(let error): return error.description
        case .notADirectory(let path): return "\(path) is not a directory"
        case .io(let path, let code): return "\(path): \(String(cString: strerror(code)))"
        }
    }
}

/// How a context walk matches paths and which excluded directories it still enters: the two rules
/// kiln follows, chosen by the caller (the builder chooses in `LegacyContextWalk`, `kiln check` in
/// `CheckContext`).
public enum ContextExclusionRule: Sendable, Hashable {
    /// BuildKit's fsutil today: each path is matched with its parent's results
    /// (``PatternMatcher/matchesUsingParentResults(_:parent:)``); an excluded directory is entered
    /// when some exception (`!`) pattern could match inside it
    /// (``ContextWalker/mayReinclude(insideExcludedDirectory:)``), and is reported only when
    /// something below it is included.
    case parentResults
    /// Docker 20.10's BuildKit (fsutil of that era, the builder's reference engine): each path is
    /// matched alone with the deprecated ``PatternMatcher/matches(_:)``; an excluded directory is
    /// entered only when an exception pattern's text is the directory or starts with `dir/`, and
    /// is then reported itself, included below it or not. So `!**/x` does not reach into an
    /// excluded directory, and `!dir/sub/file` keeps `dir` itself.
    case docker2010
}

/// Walks a build context like BuildKit's fsutil walker and returns what gets sent.
///
/// The rules below are those of ``ContextExclusionRule/parentResults`` (the default); see
/// ``ContextExclusionRule/docker2010`` for how Docker 20.10 differs.
///
/// * Depth-first; the entries of each directory in byte-wise name order; a directory comes before
///   its contents. Symlinks are reported as links and never followed (the root itself is followed).
/// * Each entry is checked with ``PatternMatcher/matchesUsingParentResults(_:parent:)``, handing
///   each directory's ``MatchInfo`` to its children (top-level entries get `MatchInfo()`).
/// * **Directory skipping rule.** An excluded directory `D` is not descended into unless some
///   exclusion (`!`) pattern could match a path strictly inside `D`, see
///   ``mayReinclude(insideExcludedDirectory:)``. Skipping is only an optimisation: a child of an
///   excluded directory stays excluded unless an exclusion pattern matches it, so the rule never
///   changes which entries are included.
/// * An excluded directory that was descended into is reported only if something below it is
///   included, right before the first such entry (so every included entry's parent directories
///   are present).
/// * File names are read and opened as raw bytes; in ``ContextEntry/path`` (and for matching) a
///   name that is not valid UTF-8 has its bad bytes replaced by U+FFFD.
public struct ContextWalker: Sendable {
    public let matcher: PatternMatcher
    public let rule: ContextExclusionRule

    public init(matcher: PatternMatcher, rule: ContextExclusionRule = .parentResults) {
        self.matcher = matcher
        self.rule = rule
    }

    /// - Throws: a pattern error from ``PatternMatcher/init(_:)``.
    public init(patterns: [String], rule: ContextExclusionRule = .parentResults) throws(PatternError) {
        self.matcher = try PatternMatcher(patterns)
        self.rule = rule
    }

    /// Whether the walk enters the excluded directory `directory` (relative, slash-separated),
    /// by the walker's rule.
    public func entersExcluded(directory: String) -> Bool {
        switch rule {
        case .parentResults:
            return mayReinclude(insideExcludedDirectory: directory)
        case .docker2010:
            return matcher.patterns.contains { $0.isExclusion && ($0.text == directory || $0.text.hasPrefix(directory + "/")) }
        }
    }

    /// Whether the walk must still descend into the excluded directory `directory` (relative,
    /// slash-separated): true when some exclusion pattern could match a path inside it.
    ///
    /// For an exclusion pattern without wildcards (an exact pattern), that means its text starts
    /// with `directory/`. Otherwise take its literal lead, the text before the first `*`, `?`, `[`,
    /// `]`, `\` or `^`. Every path the pattern matches starts with that lead, so it can match inside
    /// `directory` only if the lead starts with `directory/` or `directory/` starts with the lead.
    /// (A pattern that begins with `**` has an empty lead and always forces a descent.)
    public func mayReinclude(insideExcludedDirectory directory: String) -> Bool {
        guard matcher.hasExclusions else { return false }
        let dirSlash = Array(directory.utf8) + [GoPath.slash]
        for pattern in matcher.patterns where pattern.isExclusion {
            let text = Array(pattern.text.utf8)
            if pattern.matchType == .exact {
                if text.starts(with: dirSlash) { return true }
                continue
            }
            let specials: Set<UInt8> = Set("*?[]\\^".utf8)
            let lead = text.prefix { !specials.contains($0) }
            if lead.starts(with: dirSlash) || dirSlash.starts(with: lead) { return true }
        }
        return false
    }

    /// Walks the context at `root`. See the type's documentation for the order and the rules.
    public func walk(_ root: URL) throws(ContextWalkError) -> [ContextEntry] {
        try walk(root.path)
    }

    /// Walks the context at the path `root`.
    public func walk(_ root: String) throws(ContextWalkError) -> [ContextEntry] {
        var entries: [ContextEntry] = []
        try walk(root) { entry, _ in entries.append(entry) }
        return entries
    }

    /// Walks the context at the path `root`, handing each reported entry, in the order ``walk(_:)``
    /// returns them, to `visit` with the `lstat` it was made from (so a caller can fingerprint the
    /// context from the same walk, without a second `lstat` per entry).
    public func walk(_ root: String, visit: (ContextEntry, stat) -> Void) throws(ContextWalkError) {
        try walk(root, as: EntryWithStat.self) { visit($0.entry, $0.info) }
    }

    /// Walks the context at the path `root` like ``walk(_:visit:)``, handing each reported entry's
    /// path and `lstat` identity to `visit` (a symlink's target is not read): what a fingerprint of
    /// the context needs, made on the core that examined the entry, nothing more.
    public func walkStamps(_ root: String, visit: (String, ContextStatStamp) -> Void) throws(ContextWalkError) {
        try walk(root, as: PathAndStamp.self) { visit($0.path, $0.stamp) }
    }

    /// The walk, handing each reported entry on as a `Record`, in the order ``walk(_:)`` returns the
    /// entries.
    ///
    /// The directories `splitDepth` levels below the root are walked on every core (each by the same
    /// loop, into a list of its own), then everything is handed to `visit` in walk order; an error
    /// is the first one in walk order, as a walk on one core would meet it.
    private func walk<Record: ContextWalkRecord>(_ root: String, as: Record.Type, visit: (Record) -> Void) throws(ContextWalkError) {
        var rootStat = stat()
        guard stat(root, &rootStat) == 0, (rootStat.st_mode & S_IFMT) == S_IFDIR else {
            throw .notADirectory(root)
        }
        var rootBytes = Array(root.utf8)
        while rootBytes.count > 1 && rootBytes.last == GoPath.slash { rootBytes.removeLast() }
        let rootFD = Self.withCString(rootBytes) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard rootFD >= 0 else { throw .io(path: root, errno: errno) }
        let names: DirectoryNames
        do { names = try DirectoryNames(listing: rootFD, path: rootBytes) } catch {
            close(rootFD)
            throw error
        }
        let top = Frame<Record>(fd: rootFD, relative: [], absolute: rootBytes, info: MatchInfo(), names: names, pending: nil)
        // The directories a job opens stay open until every job ran (at most the root and, below a root
        // of few entries, its directories): a job opens its own directory relative to them, never by path.
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        var jobs: [Job<Record>] = []
        let plan = try split(top, depth: 0, splitDepth: names.count <= 64 ? 2 : 1, jobs: &jobs, held: &held)
        // The jobs run on every core while their records are handed on here, each job's as soon as
        // it is done, in walk order.
        let walker = self
        let shared = SendableBox(jobs)
        let results = ContextWalkJobs<Record>(count: jobs.count, width: min(ProcessInfo.processInfo.activeProcessorCount, 8)) {
            walker.subtree(shared.value[$0])
        }
        defer { results.finish() }
        var failure: ContextWalkError?
        func emit(_ items: [Item<Record>]) -> Bool {
            for item in items {
                switch item {
                case .entry(let made): visit(made)
                case .job(let index):
                    switch results.result(index) {
                    case .success(let visits): for made in visits { visit(made) }
                    case .failure(let error): failure = error; return false
                    }
                case .directory(let pending, let children):
                    // An excluded directory that was entered: reported only before something below it.
                    if let pending, children.contains(where: { !isEmpty($0) }) { visit(pending) }
                    if !emit(children) { return false }
                }
            }
            return true
        }
        func isEmpty(_ item: Item<Record>) -> Bool {
            switch item {
            case .entry: return false
            case .job(let index): return (try? results.result(index).get().isEmpty) ?? false
            case .directory(_, let children): return children.allSatisfy(isEmpty)
            }
        }
        _ = emit(plan)
        if let failure { throw failure }
    }

    /// What the top of the walk is made of, in walk order: entries reported, subtrees walked as a
    /// job, and directories split further (with their own entry when it waits for an included child).
    private indirect enum Item<Record> {
        case entry(Record)
        case job(Int)
        case directory(pending: Record?, children: [Item])
    }

    /// A directory whose subtree one worker walks: opened relative to its parent's open descriptor.
    private struct Job<Record> {
        let parent: Int32
        let name: [UInt8]
        let absolute: [UInt8]
        let relative: [UInt8]
        let info: MatchInfo
        let pending: Record?
    }

    /// Examines the entries of `frame` (whose descriptor goes to `held`), recursing into directories
    /// above `splitDepth` and making a job of each directory at it. A walk error stops at once (the
    /// first met here; a job's errors are reported in walk order after).
    private func split<Record: ContextWalkRecord>(_ frame: Frame<Record>, depth: Int, splitDepth: Int,
                               jobs: inout [Job<Record>], held: inout [Int32]) throws(ContextWalkError) -> [Item<Record>] {
        held.append(frame.fd)
        var items: [Item<Record>] = []
        for index in 0..<frame.names.count {
            guard let (entry, made) = try frame.names.withName(index, { name, length throws(ContextWalkError) in
                try Self.examine(name, length, in: frame.fd, relative: frame.relative, absolute: frame.absolute, as: Record.self)
            }) else { continue }
            let (excluded, info) = try match(entry.path, parent: frame.info)
            var pending: Record? = nil
            if !excluded {
                items.append(.entry(made))
                guard entry.kind == .directory else { continue }
            } else if let reportedNow = entersExcluded(entry) {
                if reportedNow { items.append(.entry(made)) } else { pending = made }
            } else {
                continue
            }
            let name = frame.names.name(index)
            let relative = frame.relative.isEmpty ? name : frame.relative + [GoPath.slash] + name
            if depth + 1 < splitDepth {
                var stack: [Frame<Record>] = []
                try Self.enter(name, of: frame, relative: relative, info: info, pending: nil, into: &stack)
                items.append(.directory(pending: pending, children: try split(stack[0], depth: depth + 1, splitDepth: splitDepth,
                                                                              jobs: &jobs, held: &held)))
            } else {
                jobs.append(Job(parent: frame.fd, name: name, absolute: frame.absolute + [GoPath.slash] + name, relative: relative,
                                info: info, pending: pending))
                items.append(.job(jobs.count - 1))
            }
        }
        return items
    }

    /// The reported entries of `job`'s subtree (its own entry included, when it is a pending
    /// excluded directory and something below it is included), in walk order.
    private func subtree<Record: ContextWalkRecord>(_ job: Job<Record>) -> Result<[Record], ContextWalkError> {
        var visits: [Record] = []
        var stack: [Frame<Record>] = []
        defer { for frame in stack { close(frame.fd) } }
        do throws(ContextWalkError) {
            let fd = Self.withCString(job.name) { openat(job.parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard fd >= 0 else { throw ContextWalkError.io(path: String(decoding: job.absolute, as: UTF8.self), errno: errno) }
            let names: DirectoryNames
            do { names = try DirectoryNames(listing: fd, path: job.absolute) } catch {
                close(fd)
                throw error
            }
            stack.append(Frame(fd: fd, relative: job.relative, absolute: job.absolute, info: job.info, names: names, pending: job.pending))
            try walkFrames(&stack) { visits.append($0) }
        } catch {
            return .failure(error)
        }
        return .success(visits)
    }

    /// For an excluded entry: nil when the walk leaves it out, else it is a directory the walk enters,
    /// and whether it is reported now (Docker 20.10's rule) rather than held until something below it is
    /// included.
    private func entersExcluded(_ entry: ExaminedEntry) -> Bool? {
        guard entry.kind == .directory, entersExcluded(directory: entry.path) else { return nil }
        return rule == .docker2010
    }

    /// Matches `path` by the walker's rule, with its parent directory's results. Without patterns
    /// nothing is excluded and nothing is matched (both rules agree), so nothing is called.
    private func match(_ path: String, parent: MatchInfo) throws(ContextWalkError) -> (Bool, MatchInfo) {
        if matcher.patterns.isEmpty { return (false, MatchInfo()) }
        do {
            switch rule {
            case .parentResults: return try matcher.matchesUsingParentResults(path, parent: parent)
            case .docker2010: return (try matcher.matches(path), MatchInfo())
            }
        } catch {
            throw .pattern(error)
        }
    }

    /// The walk's loop over the open directories of `stack` (its last frame the innermost),
    /// depth-first, until the stack is empty; popped frames are closed.
    private func walkFrames<Record: ContextWalkRecord>(_ stack: inout [Frame<Record>], visit: (Record) -> Void) throws(ContextWalkError) {
        // Whether some frame may hold a pending (excluded, entered, not yet reported) directory.
        var mayHavePending = stack.contains { $0.pending != nil }
        frames: while !stack.isEmpty {
            // The innermost frame's fields, taken once each time it becomes the innermost (not per entry).
            let top = stack.count - 1
            let (fd, relative, absolute, names, parentInfo) = (stack[top].fd, stack[top].relative, stack[top].absolute,
                                                               stack[top].names, stack[top].info)
            while stack[top].next < names.count {
                let index = stack[top].next
                stack[top].next += 1
                let examined = try names.withName(index) { name, length throws(ContextWalkError) in
                    try Self.examine(name, length, in: fd, relative: relative, absolute: absolute, as: Record.self)
                }
                guard let (entry, made) = examined else { continue }
                let (excluded, info) = try match(entry.path, parent: parentInfo)
                if !excluded {
                    if mayHavePending {
                        for index in stack.indices {
                            if let pending = stack[index].pending {
                                visit(pending)
                                stack[index].pending = nil
                            }
                        }
                        mayHavePending = false
                    }
                    visit(made)
                    guard entry.kind == .directory else { continue }
                    let name = names.name(index)
                    try Self.enter(name, of: stack[top], relative: relative.isEmpty ? name : relative + [GoPath.slash] + name,
                                   info: info, pending: nil, into: &stack)
                    continue frames
                } else if let reportedNow = entersExcluded(entry) {
                    if reportedNow { visit(made) } else { mayHavePending = true }
                    let name = names.name(index)
                    try Self.enter(name, of: stack[top], relative: relative.isEmpty ? name : relative + [GoPath.slash] + name,
                                   info: info, pending: reportedNow ? nil : made, into: &stack)
                    continue frames
                }
            }
            close(stack.removeLast().fd)
        }
    }

    /// Opens the directory `name` of `parent` and pushes its frame.
    private static func enter<Record>(_ name: [UInt8], of parent: Frame<Record>, relative: [UInt8], info: MatchInfo,
                                      pending: Record?, into stack: inout [Frame<Record>]) throws(ContextWalkError) {
        let absolute = parent.absolute + [GoPath.slash] + name
        let fd = withCString(name) { openat(parent.fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw .io(path: String(decoding: absolute, as: UTF8.self), errno: errno) }
        do {
            let names = try DirectoryNames(listing: fd, path: absolute)
            stack.append(Frame(fd: fd, relative: relative, absolute: absolute, info: info, names: names, pending: pending))
        } catch {
            close(fd)
            throw error
        }
    }

    /// One directory being walked.
    private struct Frame<Record> {
        /// The open directory (closed when the frame is popped).
        var fd: Int32
        var relative: [UInt8]
        var absolute: [UInt8]
        var info: MatchInfo
        var names: DirectoryNames
        var next = 0
        /// The directory's own entry (made into its record), not yet reported because it is excluded.
        var pending: Record?

        init(fd: Int32, relative: [UInt8], absolute: [UInt8], info: MatchInfo, names: DirectoryNames, pending: Record?) {
            self.fd = fd
            self.relative = relative
            self.absolute = absolute
            self.info = info
            self.names = names
            self.pending = pending
        }
    }

    /// `lstat`s the entry `name` (NUL-terminated, `length` bytes) of the directory open at `fd`
    /// (`relative` to the context root, at `absolute`) and makes its record; nil if it vanished since
    /// the directory was listed. Its path is made once, straight from the bytes; a symlink's target
    /// is read only if the record keeps it.
    private static func examine<Record: ContextWalkRecord>(
        _ name: UnsafePointer<CChar>, _ length: Int, in fd: Int32, relative: [UInt8], absolute: [UInt8], as: Record.Type
    ) throws(ContextWalkError) -> (ExaminedEntry, Record)? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            let code = errno
            let bytes = UnsafeRawBufferPointer(start: name, count: length)
            throw .io(path: String(decoding: absolute + [GoPath.slash] + bytes, as: UTF8.self), errno: code)
        }
        let kind: ContextEntry.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        let entry = ExaminedEntry(path: path(relative, name, length), kind: kind, info: info)
        return (entry, Record(entry, linkTarget: { linkTarget(name, in: fd) }))
    }

    /// The target of the symlink `name` in the directory open at `fd` (never followed); nil when it
    /// cannot be read.
    private static func linkTarget(_ name: UnsafePointer<CChar>, in fd: Int32) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(PATH_MAX) + 1) { buffer in
            let count = readlinkat(fd, name, UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                                   buffer.count - 1)
            return count >= 0 ? String(decoding: UnsafeBufferPointer(rebasing: buffer.prefix(count)), as: UTF8.self) : nil
        }
    }

    /// `relative/name` (or `name` at the top) as a String, bad UTF-8 replaced by U+FFFD.
    private static func path(_ relative: [UInt8], _ name: UnsafePointer<CChar>, _ length: Int) -> String {
        let nameBytes = UnsafeRawBufferPointer(start: name, count: length)
        if relative.isEmpty { return String(decoding: nameBytes, as: UTF8.self) }
        let total = relative.count + 1 + length
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
            relative.withUnsafeBufferPointer { source in
                _ = UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(source))
            }
            buffer[relative.count] = GoPath.slash
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[(relative.count + 1)...]).copyMemory(from: nameBytes)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    /// Calls `body` with `bytes` as a NUL-terminated C string (file names need not be UTF-8).
    private static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}

/// A value handed to concurrent workers that only read it.
private struct SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}


