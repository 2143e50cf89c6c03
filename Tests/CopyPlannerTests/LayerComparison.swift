import Foundation
import ImageSpec
import LayerArchive
import XCTest

/// Compares planned COPY/ADD layers with what Docker produced for the same case.
enum LayerComparison {
    /// Differences between the planned layers and the reference, as readable lines:
    /// - each planned layer's entry count against the reference layer's entry count;
    /// - every planned entry (the last layer that writes a path wins) against the reference
    ///   file at that path: type, mode, uid, gid, size, sha256, link target (never mtime);
    /// - for `FROM scratch` cases (`exhaustive`), that the reference holds no other file.
    static func differences(planned: [[LayerEntry]], reference: Reference, exhaustive: Bool,
                            skipCopies: Set<Int> = []) throws -> [String] {
        var out: [String] = []
        var merged: [String: (header: TarHeader, content: String?)] = [:]
        for (n, entries) in planned.enumerated() where !skipCopies.contains(n) {
            if let index = reference.layerIndex(ofCopy: n) {
                if reference.layerEntryCounts[index] != entries.count {
                    out.append("COPY/ADD #\(n) (layer \(index)): \(entries.count) entries, Docker's has \(reference.layerEntryCounts[index]): \(entries.map(\.header.path))")
                }
            } else {
                out.append("COPY/ADD #\(n): no such layer in the reference")
            }
            for entry in entries where !(entry.header.path.split(separator: "/").last ?? "").hasPrefix(".wh.") {
                var path = "/" + entry.header.path
                if path.hasSuffix("/") { path.removeLast() }
                var header = entry.header
                var content = entry.contentPath
                if header.type == .hardlink, let target = merged["/" + header.linkName] {
                    header = TarHeader(path: header.path, type: .regular, mode: target.header.mode, uid: target.header.uid,
                                       gid: target.header.gid, size: target.header.size)
                    content = target.content
                }
                merged[path] = (header, content)
            }
        }
        for (path, item) in merged.sorted(by: { $0.key < $1.key }) {
            guard let ref = reference.files[path] else {
                out.append("\(path): planned, not in Docker's image")
                continue
            }
            let got = try attributes(item.header, content: item.content)
            for key in ["type", "mode", "uid", "gid", "size", "sha256", "link"] {
                let want = ref[key].map { "\($0)" }
                if want != got[key] {
                    out.append("\(path): \(key) \(got[key] ?? "-") but Docker has \(want ?? "-")")
                }
            }
        }
        if exhaustive {
            for path in reference.files.keys.sorted() where merged[path] == nil {
                out.append("\(path): in Docker's image, not planned")
            }
        }
        return out
    }

    private static func attributes(_ header: TarHeader, content: String?) throws -> [String: String] {
        var out: [String: String] = ["mode": "\(header.mode)", "uid": "\(header.uid)", "gid": "\(header.gid)"]
        switch header.type {
        case .regular:
            out["type"] = "file"
            out["size"] = "\(header.size)"
            let data = try content.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? Data()
            var digester = Digester()
            digester.update(data)
            out["sha256"] = digester.finalize().hex
        case .directory: out["type"] = "dir"
        case .symlink:
            out["type"] = "symlink"
            out["link"] = header.linkName
        case .hardlink: out["type"] = "hardlink"
        case .characterDevice: out["type"] = "char"
        case .blockDevice: out["type"] = "block"
        case .fifo: out["type"] = "fifo"
        }
        return out
    }
}
