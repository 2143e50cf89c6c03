import ImageSpec

/// Chain IDs name a stack of layers by their uncompressed digests (diffIDs), per the OCI image spec:
/// `ChainID(L0) = DiffID(L0)` and `ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))`.
/// Unpacked snapshots are shared between images by chain ID.
public enum ChainID {
    /// The chain ID of each prefix of `diffIDs`: element `i` names layers `0...i`. Empty for no layers.
    public static func computeAll(diffIDs: [Digest]) -> [Digest] {
        var result: [Digest] = []
        result.reserveCapacity(diffIDs.count)
        for diffID in diffIDs {
            if let previous = result.last {
                result.append(.sha256(of: Array("\(previous) \(diffID)".utf8)))
            } else {
                result.append(diffID)
            }
        }
        return result
    }

    /// The chain ID of the whole stack, or `nil` for no layers.
    public static func compute(diffIDs: [Digest]) -> Digest? {
        computeAll(diffIDs: diffIDs).last
    }
}
