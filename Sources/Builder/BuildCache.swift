import Foundation
import ImageSpec
import ImageStore

/// Layer cache: a record per step key (`kiln/cache/<key>.json`, written atomically) naming the
/// layer blob and diffID the step produced. Survives restarts; a record whose blob is gone misses.
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
              store.contains(record.layer.digest) else { return nil }
        if record.created == nil {
            record.created = Timestamp(Date())
            save(key, record)
        }
        return record
    }

    func save(_ key: String, _ record: Record) {
        guard let data = try? JSONEncoder().encode(record) else { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temp = directory.appendingPathComponent(".\(key).\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: temp)
            if rename(temp.path, directory.appendingPathComponent(key + ".json").path) != 0 {
                try? FileManager.default.removeItem(at: temp)
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
        }
    }
}
