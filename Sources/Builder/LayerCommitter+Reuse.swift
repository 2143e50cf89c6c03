import Containers
import Foundation
import ImageSpec
import ImageStore
import LayerArchive

/// A COPY's snapshot made out of the one the last build of the same step left, when nothing uses
/// that one any more: its folder is taken out of the store (``ContentStore/takeSnapshot(_:unlessIn:)``,
/// as a prune would remove it) and patched — the entries that went are deleted, the new and changed
/// ones applied from the new blob, the directories around them given their times again — and
/// committed as the new layer's snapshot. One changed file of 27k then costs one file, where
/// hard links to the earlier snapshot (``SnapshotLinks``) cost a link per file and a mkdir per folder.
///
/// The earlier snapshot is the earlier blob (``LayerCommitter/ResumedWrite/earlier``) unpacked, and an
/// entry of the new layer with the same fingerprint as one of the earlier (the same header bytes
/// and an unchanged, settled source file) is that same entry: so the patched folder is exactly
/// what unpacking the new blob would make. Files are never changed in place (a changed one is
/// written as a new inode: the earlier snapshot's files may be hard links shared with others).
/// Layers with hardlinks, whiteout names or a changed folder whose xattrs could stay behind are
/// left to the other ways. The earlier image's snapshot, if it is ever needed again, is unpacked
/// from its blob as any missing snapshot is.
extension LayerCommitter {
    /// Makes the snapshot `chainID` of `entries`, just written as `blob` by `write`, out of the
    /// snapshot of the earlier blob `write` took its bytes from (on the same parent,
    /// `parentDiffIDs`). Returns what it did, for the trace, or nil when it did nothing (the snapshot
    /// is then made another way): no earlier snapshot, one in use, or a layer it does not handle.
    func reuseEarlierSnapshot(_ entries: [LayerEntry], write: ResumedWrite, blob: Descriptor,
                              parentDiffIDs: [Digest], as chainID: Digest) throws -> String? {
        guard let earlier = write.earlier, write.sources.count == entries.count,
              let earlierChain = ChainID.compute(diffIDs: parentDiffIDs + [earlier.blob]), earlierChain != chainID,
              !store.hasSnapshot(chainID), store.hasSnapshot(earlierChain) else { return nil }

        // The new layer's entries not in the earlier one, and the earlier ones kept.
        var kept = [Bool](repeating: false, count: earlier.entryCount)
        var changed: [Int] = []
        var changedPaths = Set<String>()
        var keptFolders: [(index: Int, path: String)] = []
        for (index, entry) in entries.enumerated() {
            guard [.regular, .directory, .symlink].contains(entry.header.type) else { return nil }
            let source = write.sources[index]
            if source >= 0 {
                kept[source] = true
                if entry.header.type == .directory { keptFolders.append((index, try Self.cleanPath(entry.header.path))) }
                continue
            }
            let path = try Self.cleanPath(entry.header.path)
            guard !path.isEmpty, !Self.baseName(path).hasPrefix(".wh.") else { return nil }
            changed.append(index)
            changedPaths.insert(path)
        }

        // The earlier entries not kept: gone, unless the new layer has their path.
        let oldBlob = try FileDescriptor.open(reading: store.open(earlier.blob).path)
        var removed: [String] = []
        for old in 0..<earlier.entryCount where !kept[old] {
            var reader = TarReader(PiecesSource([.range(oldBlob, earlier.offsets[old], earlier.end(of: old)), .zeros(1024)]))
            guard let header = try reader.next() else { return nil }
            let path = try Self.cleanPath(header.path)
            guard !path.isEmpty, !Self.baseName(path).hasPrefix(".wh."),
                  header.type == .regular || header.type == .symlink || (header.type == .directory && header.xattrs.isEmpty) else { return nil }
            if !changedPaths.contains(path) { removed.append(path) }
        }

        // Folders kept whose content changes get their entry applied again, for their times.
        var parents = Set<String>()
        for path in changedPaths.union(removed) {
            if let slash = path.lastIndex(of: "/") { parents.insert(String(path[..<slash])) }
        }
        let patch = (changed + keptFolders.filter { parents.contains($0.path) }.map(\.index)).sorted()

        // Whiteouts first, then the entries' own bytes from the new blob.
        var pieces: [PiecesSource.Piece] = []
        for path in removed {
            let slash = path.lastIndex(of: "/")
            let whiteout = slash.map { String(path[..<$0]) + "/.wh." + String(path[path.index(after: $0)...]) } ?? ".wh." + path
            pieces.append(.bytes(try TarWriter<DiscardingSink>.headerBytes(TarHeader(path: whiteout, type: .regular))))
        }
        let newBlob = try FileDescriptor.open(reading: store.open(blob.digest).path)
        for index in patch {
            pieces.append(.range(newBlob, write.record.offsets[index], write.record.end(of: index)))
        }
        pieces.append(.zeros(1024))

        let inUse = { Set(ContainerStore(location: self.store.location).all().flatMap(\.lowerDirs)) }
        guard let folder = try store.takeSnapshot(earlierChain, unlessIn: inUse) else { return nil }
        do {
            var reader = TarReader(PiecesSource(pieces))
            try LayerApplier(target: folder.path, options: LayerApplyOptions(whiteouts: .delete)).apply(&reader)
            try store.commitSnapshot(chainID, from: folder)
        } catch {
            // The earlier snapshot is gone with it: the caller unpacks the new one from its blob.
            try? FileManager.default.removeItem(at: folder)
            return nil
        }
        return "made from the earlier snapshot: \(changed.count) entries written, \(removed.count) removed, \(patch.count - changed.count) folders' times set"
    }

    /// A layer entry's path as the applier resolves it in the tree (``LayerPath/cleanComponents(_:)``),
    /// components joined with `/`; throws for a name that climbs out with `..`.
    static func cleanPath(_ path: String) throws -> String {
        try LayerPath.cleanComponents(path).joined(separator: "/")
    }

    static func baseName(_ path: String) -> Substring {
        path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? Substring(path)
    }
}

/// A byte stream put together from pieces: bytes in memory, ranges of open files (read with
/// `pread` when reached), runs of zeros.
struct PiecesSource: ByteSource {
    enum Piece {
        case bytes([UInt8])
        case range(FileDescriptor, Int64, Int64)
        case zeros(Int)
    }

    private let pieces: [Piece]
    private var index = 0
    /// Bytes of the current piece handed out.
    private var done: Int64 = 0

    init(_ pieces: [Piece]) { self.pieces = pieces }

    mutating func read(upTo maxCount: Int) throws -> [UInt8] {
        guard maxCount > 0 else { return [] }
        while index < pieces.count {
            switch pieces[index] {
            case .bytes(let bytes) where done < Int64(bytes.count):
                let n = min(maxCount, bytes.count - Int(done))
                defer { done += Int64(n) }
                return Array(bytes[Int(done)..<Int(done) + n])
            case .zeros(let count) where done < Int64(count):
                let n = min(maxCount, count - Int(done))
                done += Int64(n)
                return [UInt8](repeating: 0, count: n)
            case .range(let file, let from, let to) where from + done < to:
                let want = Int(min(Int64(maxCount), to - from - done))
                var buffer = [UInt8](repeating: 0, count: want)
                let n = buffer.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress!, want, off_t(from + done)) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    throw n == 0 ? LayerArchiveError(.io, "a layer blob ended early") : LayerArchiveError(.io, "cannot read a layer blob: \(String(cString: strerror(errno)))")
                }
                done += Int64(n)
                if n < want { buffer.removeLast(want - n) }
                return buffer
            default:
                index += 1
                done = 0
            }
        }
        return []
    }
}
