import Foundation
import ImageSpec

/// The file format the build's per-step records share (`SnapshotLinks`, `LayerResume`): a header line,
/// a binary body, and the SHA-256 hex of both at the end. A record is written to a temp file and renamed
/// into place without fsync: a torn or lost one fails its check when read, which costs only the
/// speed-up it carried, never a wrong layer.
struct CheckedRecordFile {
    let directory: URL

    /// Writes `header` (a line, newline added) and `body` as record `key` (best effort).
    func save(_ key: String, header: String, body: [UInt8]) {
        var bytes = Array((header + "\n").utf8)
        bytes.reserveCapacity(bytes.count + body.count + 64)
        bytes.append(contentsOf: body)
        var digester = Digester()
        bytes.withUnsafeBytes { digester.update(bufferPointer: $0) }
        bytes.append(contentsOf: digester.finalize().hex.utf8)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temp = directory.appendingPathComponent(".\(key).\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard (try? Data(bytes).write(to: temp)) != nil else { return }
        if rename(temp.path, directory.appendingPathComponent(key).path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }

    /// Record `key`'s header line and body, given to `parse`, when the file checks; else nil.
    func load<T>(_ key: String, _ parse: (_ header: String, _ body: UnsafeRawBufferPointer) -> T?) -> T? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(key)), data.count > 64 else { return nil }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> T? in
            let checked = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 64)])
            var digester = Digester()
            digester.update(bufferPointer: checked)
            guard Array(digester.finalize().hex.utf8) == Array(raw[(raw.count - 64)...]),
                  let newline = checked.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let header = String(decoding: checked[0..<newline], as: UTF8.self)
            return parse(header, UnsafeRawBufferPointer(rebasing: checked[(newline + 1)...]))
        }
    }

    /// Whether record `key` exists (checked or not).
    func exists(_ key: String) -> Bool {
        access(directory.appendingPathComponent(key).path, F_OK) == 0
    }
}
