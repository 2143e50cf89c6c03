/// The rules for one raw 512-byte tar header block, shared by `TarReader` and by code that copies a tar
/// stream block by block (CopyPlanner's `TarNormalizer`), so every entry point judges a header the same way:
/// a verified checksum, a size field that is octal or base-256, not negative and at most 1 EiB, and the end
/// of the archive at the first all-zero block.
public enum TarBlock {
    public static let size = tarBlockSize

    /// Whether `block` is all zeros: the end-of-archive marker (what follows it is not part of the archive).
    public static func isEndMarker(_ block: [UInt8]) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Throws `.corruptArchive` unless the stored checksum matches (unsigned or signed sum, as Go accepts).
    public static func verifyChecksum(_ block: [UInt8]) throws {
        guard block.count == tarBlockSize, let stored = HeaderField.number(block, UstarField.checksum) else {
            throw LayerArchiveError(.corruptArchive, "bad header checksum field (not a tar archive?)")
        }
        let (unsigned, signed) = HeaderField.checksums(block)
        guard stored == unsigned || stored == signed else {
            throw LayerArchiveError(.corruptArchive, "header checksum mismatch (not a tar archive, or corrupt)")
        }
    }

    /// The size field of a verified header block: how many content bytes follow it (before padding).
    /// Throws `.corruptArchive` naming the entry for a field that is not a number, negative, or above 1 EiB.
    public static func contentSize(_ block: [UInt8]) throws -> Int64 {
        let name = HeaderField.string(block, UstarField.name)
        guard let size = HeaderField.number(block, UstarField.size) else {
            throw LayerArchiveError(.corruptArchive, "bad size field", entry: name)
        }
        guard size >= 0 else { throw LayerArchiveError(.corruptArchive, "negative entry size \(size)", entry: name) }
        guard size <= tarMaxEntrySize else {
            throw LayerArchiveError(.corruptArchive, "entry size \(size) is implausibly large", entry: name)
        }
        return size
    }

    /// How many whole blocks hold `size` bytes of content.
    public static func blocks(forContentSize size: Int64) -> Int64 {
        tarPadded(size) / Int64(tarBlockSize)
    }
}
