import Foundation
import ImageSpec

/// The source checksums of earlier COPY/ADD steps from the build context, so an unchanged step
/// needs neither a walk of its sources nor a layer plan to find its cache key.
///
/// One small file per step identity (`kiln/cache/plans/<step key>`: the step's inputs — the stage's
/// cache key, operands, flags — without the context), holding the ``ContextScan`` fingerprint the
/// checksum was computed under and the checksum: `"<fingerprint> <checksum>\n"`. A memo is used only
/// when the fingerprint is the current one, so a stale memo costs nothing but a miss; it is written
/// only when it changes (a no-op rebuild writes nothing). Not a cache of layers: the layer is still
/// looked up by its ``BuildCache`` key, and planned in full when that record is gone.
/// Beside it, `<step key>.entries` holds the step's last plan entry by entry, so a changed context
/// re-reads only its changed paths (``IncrementalCopyPlanner``).
/// `--no-cache` builds write memos but read none, as they write cache records (BuildKit's way), so the
/// rebuild after one is a no-op.
struct CopyPlanMemo {
    let directory: URL
    /// Whether lookups may answer (false with --no-cache); saving is always on.
    let enabled: Bool

    /// What a memo holds: the checksum and, for a memo recorded under an unsettled scan's
    /// fingerprint, the racy paths' digest and the paths (``IncrementalCopyPlanner/racyDigest``).
    struct Memo: Equatable {
        var checksum: String
        var racyDigest: String? = nil
        var racyPaths: [String] = []
    }

    /// The remembered checksum of step `key` under `fingerprint`, or nil (also for a memo that
    /// needs its racy paths read again: see ``lookupMemo(_:fingerprint:)``).
    func lookup(_ key: String, fingerprint: Digest) -> String? {
        guard let memo = lookupMemo(key, fingerprint: fingerprint), memo.racyDigest == nil else { return nil }
        return memo.checksum
    }

    /// The memo of step `key` under `fingerprint`, or nil. Format: `"<fingerprint> <checksum>\n"`,
    /// or `"<fingerprint> <checksum> racy <digest>\n"` followed by one racy path a line.
    func lookupMemo(_ key: String, fingerprint: Digest) -> Memo? {
        guard enabled, let data = try? Data(contentsOf: directory.appendingPathComponent(key)) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasSuffix("\n") else { return nil }
        var lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let fields = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2 || (fields.count == 4 && fields[2] == "racy"), fields[0] == fingerprint.description,
              !fields[1].isEmpty else { return nil }
        if fields.count == 2 { return lines.isEmpty ? Memo(checksum: String(fields[1])) : nil }
        return Memo(checksum: String(fields[1]), racyDigest: String(fields[3]), racyPaths: lines.map(String.init))
    }

    /// Remembers `checksum` for step `key` under `fingerprint` (atomically; a failure only costs a
    /// plan next time). `checksum` must not hold a newline.
    func save(_ key: String, fingerprint: Digest, checksum: String) {
        save(key, fingerprint: fingerprint, memo: Memo(checksum: checksum))
    }

    /// Remembers `memo` (not when a field or path holds a newline, or a field a space).
    func save(_ key: String, fingerprint: Digest, memo: Memo) {
        let fields = [memo.checksum] + (memo.racyDigest.map { ["racy", $0] } ?? [])
        guard !fields.contains(where: { $0.isEmpty || $0.contains("\n") || $0.contains(" ") }),
              !memo.racyPaths.contains(where: { $0.isEmpty || $0.contains("\n") }) else { return }
        let text = "\(fingerprint) " + fields.joined(separator: " ") + "\n" + memo.racyPaths.map { $0 + "\n" }.joined()
        let data = Data(text.utf8)
        let file = directory.appendingPathComponent(key)
        if (try? Data(contentsOf: file)) == data { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temp = directory.appendingPathComponent(".\(key).\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard (try? data.write(to: temp)) != nil else { return }
        if rename(temp.path, file.path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }

    /// The entry record the last plan of step `key` left (`<key>.entries`, ``IncrementalCopyPlanner``),
    /// or nil (none, or --no-cache).
    func entries(_ key: String) -> [UInt8]? {
        guard enabled, let data = try? Data(contentsOf: directory.appendingPathComponent(key + ".entries")) else { return nil }
        return [UInt8](data)
    }

    /// Writes of entry records still under way (``saveEntriesInBackground(_:_:)``).
    let writes = DispatchGroup()

    /// Keeps the entry record of step `key`, encoded and written on another thread while the build
    /// goes on; the build waits for it (``waitForWrites()``) before it ends. A record not written
    /// only costs a full plan next time.
    func saveEntriesInBackground(_ key: String, _ encode: @escaping @Sendable () -> [UInt8]) {
        let memo = self
        DispatchQueue.global(qos: .utility).async(group: writes) { memo.saveEntries(key, encode()) }
    }

    func waitForWrites() { writes.wait() }

    /// Keeps the entry record of step `key` (atomically; a failure only costs a full plan next time).
    func saveEntries(_ key: String, _ bytes: [UInt8]) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(key + ".entries")
        let temp = directory.appendingPathComponent(".\(key).\(UInt32.random(in: 0...UInt32.max)).entries.tmp")
        guard (try? Data(bytes).write(to: temp)) != nil else { return }
        if rename(temp.path, file.path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }
}
