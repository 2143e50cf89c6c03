import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Scratch folders in `kiln/tmp` that a process owns while it runs (a build's RUN and COPY work
/// folders, which may hold overlay mounts). Their names carry the owner's pid (and start time), so a folder a killed
/// process left behind can be told from one a live process still uses, and is unmounted before it
/// is removed (deleting through a mount would reach into the snapshots it shows).
extension ContentStore {
    /// A new scratch folder `kiln/tmp/<prefix>-<pid>-s<start>-<random>`, `<start>` being this
    /// process's start time: a pid alone names a process only until it is reused.
    public nonisolated func makeScratchDirectory(_ prefix: String) throws -> URL {
        let start = Self.ownStart.map { "s\($0)-" } ?? ""
        let url = location.tempDirectory.appendingPathComponent("\(prefix)-\(getpid())-\(start)\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The pid a scratch folder's name carries, nil for other temp entries.
    nonisolated static func scratchOwner(_ name: String) -> pid_t? {
        scratchOwnerAndStart(name)?.pid
    }

    /// The pid a temp entry's name carries (`…-<pid>-<random>` or `…-<pid>-s<start>-<random>`), and
    /// the owner's start time when the name has it.
    nonisolated static func scratchOwnerAndStart(_ name: String) -> (pid: pid_t, start: UInt64?)? {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, UInt64(parts[parts.count - 1]) != nil else { return nil }
        if parts.count >= 4, parts[parts.count - 2].hasPrefix("s"), let start = UInt64(parts[parts.count - 2].dropFirst()),
           let pid = Int32(parts[parts.count - 3]), pid > 0 {
            return (pid, start)
        }
        guard let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
        return (pid, nil)
    }

    /// Whether a temp entry belongs to a process that is still running: its pid is alive and, when
    /// the name records it, that pid's start time is the owner's (not a later process given the pid).
    nonisolated static func isInUse(_ url: URL) -> Bool {
        guard let (pid, start) = scratchOwnerAndStart(url.lastPathComponent) else { return false }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let start, let running = processStart(pid) else { return true }
        return running == start
    }

    /// This process's start time (`processStart(getpid())`).
    nonisolated static let ownStart: UInt64? = processStart(getpid())

    /// The start time of process `pid` in clock ticks after boot (/proc/PID/stat, field 22), nil
    /// when it cannot be read.
    nonisolated static func processStart(_ pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name: field 3 (state) onwards; field 22 is the 20th of those.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Removes the scratch folders and temp files of processes that are gone (a killed build or
    /// pull: work folders, partial blobs, half-unpacked snapshots), unmounting what is mounted
    /// inside them first, and their leases. Returns the removed paths.
    @discardableResult
    public nonisolated func removeAbandonedScratch() -> [String] {
        _ = liveLeases()  // deletes the lease files of dead processes
        var removed: [String] = []
        for name in FileSystem.list(location.tempDirectory) where Self.scratchOwner(name) != nil {
            let url = location.tempDirectory.appendingPathComponent(name)
            if !Self.isInUse(url), Self.removeUnmounting(url) { removed.append(url.path) }
        }
        return removed
    }

    /// Detaches every mount at or below `url` (deepest first), then deletes `url`. False when
    /// something stayed mounted or could not be deleted.
    nonisolated static func removeUnmounting(_ url: URL) -> Bool {
        let root = url.standardizedFileURL.path
        let mounted = mountPoints().filter { $0 == root || $0.hasPrefix(root + "/") }
        for point in mounted.sorted(by: { $0.count > $1.count }) where umount2(point, Int32(MNT_DETACH)) != 0 {
            return false
        }
        return (try? FileManager.default.removeItem(at: url)) != nil
    }

    /// The mount points of this mount namespace (/proc/self/mountinfo, octal escapes decoded).
    nonisolated static func mountPoints() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? decodeMountPath(String(fields[4])) : nil
        }
    }

    private nonisolated static func decodeMountPath(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
