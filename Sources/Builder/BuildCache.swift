import Foundation
import ImageSpec
import ImageStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Layer cache: a record per step key (`kiln/cache/<key>.json`, renamed into place, not fsynced) naming the
/// layer blob and diffID the step produced. Survives restarts; a record whose blob is gone misses.
/// The store's garbage collection keeps the blobs records name (ImageStore's `buildCacheEntries`).
///
/// Each build also notes the keys it used (hits and new records) under the image it made,
/// `kiln/cache/builds/<image-id hex>.json` (a JSON array of keys): while that image is in the store
/// its records are in use, not dangling — `kiln builder prune` and `kiln system prune` keep them,
/// so the builder stages of a multistage image stay cached.
struct BuildCache {
    struct Record: Codable {
        var layer: Descriptor
        var diffID: Digest
        /// When the layer was first made: the `created` time of its history entry in every build
        /// that reuses it, so a fully cached rebuild gives the same config and image ID (BuildKit
        /// takes it from the cache record). Records written before kiln kept it get one on first use.
        var created: Timestamp?

        init(layer: Descriptor, diffID: Digest, created: Timestamp = Timestamp(Date())) {
            self.layer = layer
            self.diffID = diffID
            self.created = created
        }
    }

    let store: ContentStore
    let enabled: Bool
    /// The keys this build looked up with a hit or saved.
    let used = UsedKeys()

    final class UsedKeys: Sendable {
        private let keys = Mutex<Set<String>>([])
        func insert(_ key: String) { _ = keys.withLock { $0.insert(key) } }
        var all: [String] { keys.withLock { $0.sorted() } }
    }

    var directory: URL { store.location.stateDirectory.appendingPathComponent("cache") }

    /// `sha256(parent + "\n" + parts…)`, hex.
    static func key(_ parent: String, _ parts: [String]) -> String {
        var hasher = Digester()
        hasher.update(Data(parent.utf8))
        for part in parts {
            hasher.update(Data([0x0A]))
            hasher.update(Data(part.utf8))
        }
        return hasher.finalize().hex
    }

    func lookup(_ key: String) -> Record? {
        guard enabled,
              let data = try? Data(contentsOf: directory.appendingPathComponent(key + ".json")),
              var record = try? JSONDecoder().decode(Record.self, from: data),
              // Held first, then checked: a prune in another process cannot take the layer meanwhile.
              (try? store.hold(blobs: [record.layer.digest])) != nil,
              store.contains(record.layer.digest) else { return nil }
        used.insert(key)
        if record.created == nil {
            record.created = Timestamp(Date())
            save(key, record)
        }
        return record
    }

    func save(_ key: String, _ record: Record) {
        guard let data = try? JSONEncoder().encode(record) else { return }
        used.insert(key)
        write(data, to: directory.appendingPathComponent(key + ".json"))
    }

    /// Notes the keys this build used under the image it produced (best effort).
    func recordBuild(of imageID: Digest) {
        guard let data = try? JSONEncoder().encode(used.all.sorted()) else { return }
        let note = directory.appendingPathComponent("builds/\(imageID.hex).json")
        // A no-op rebuild writes nothing: the note of the same image with the same keys stays as it is.
        if (try? Data(contentsOf: note)) == data { return }
        write(data, to: note)
    }

    /// Writes `data` to a temp file beside `url` and renames it over `url`, without fsync: a record
    /// checks itself when read (it must decode and its blob must be in the store, and the blob was
    /// made durable before the record was written), so one that a power loss tore or lost is a
    /// cache miss, never a wrong layer. An fsync here was one of the few disk flushes of every RUN
    /// and COPY step (bench/results/20261204-runcommit.md).
    private func write(_ data: Data, to url: URL) {
        let folder = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let complete = data.withUnsafeBytes { bytes -> Bool in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        close(fd)
        if !complete || rename(temp.path, url.path) != 0 { unlink(temp.path) }
    }
}
