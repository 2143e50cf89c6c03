#if canImport(Glibc)
import Glibc
#endif

/// The rules every entry of a layer must pass, judged before the layer enters the store (`kiln load`,
/// `kiln import`) exactly as `LayerApplier` judges them when it unpacks: the same `TarReader` (checksums,
/// sizes, PAX header limits, entry types) and the same name rules. A layer an unpack would refuse for what
/// its own bytes say is refused when it arrives, naming the entry, so it never sits in the store.
///
/// What only the unpack can tell (a hard link to a file of a lower layer that is not there, a component
/// that a lower layer made a file) is still the applier's to refuse.
public enum LayerEntryRules {
    /// The longest name of one path component (Linux's NAME_MAX).
    public static let maxComponentLength = 255

    /// Throws `LayerArchiveError` naming the entry when `header` would be refused by an unpack.
    public static func check(_ header: TarHeader) throws {
        let components = try LayerPath.cleanComponents(header.path)
        for component in components where component.utf8.count > maxComponentLength {
            throw LayerArchiveError(.unsafeEntry, "File name too long: a path component has \(component.utf8.count) bytes (at most \(maxComponentLength))",
                                    entry: header.path)
        }
        guard let base = components.last else {
            guard header.type == .directory else {
                throw LayerArchiveError(.unsafeEntry, "a non-directory entry names the target directory itself", entry: header.path)
            }
            return
        }
        if base.hasPrefix(".wh.") && !base.hasPrefix(".wh..wh.") {
            let victim = base.dropFirst(4)
            guard !victim.isEmpty, victim != ".", victim != ".." else {
                throw LayerArchiveError(.unsafeEntry, "whiteout names no sibling entry", entry: header.path)
            }
        }
        if header.type == .hardlink {
            guard try !LayerPath.cleanComponents(header.linkName).isEmpty else {
                throw LayerArchiveError(.unsafeEntry, "hardlink to the target directory itself", entry: header.path)
            }
        }
    }

    /// Reads every entry of `reader` (content skipped) and checks it; the reader is left after the
    /// end-of-archive marker.
    public static func checkAll<Source: ByteSource>(_ reader: inout TarReader<Source>) throws {
        while let header = try reader.next() {
            do { try check(header) } catch let error as LayerArchiveError { throw error.naming(header.path) }
        }
    }
}
