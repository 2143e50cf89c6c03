/// dive's image efficiency, computed the way dive (github.com/wagoodman/dive, `filetree.Efficiency`)
/// computes it, so users can compare the numbers:
///
/// - Each layer is a tree of its tar entries (missing parent directories added as empty nodes;
///   `.wh..wh..opq` markers ignored). Only its leaves count: nodes with no children in that layer.
/// - A leaf contributes its entry size to its path; a whiteout leaf `.wh.NAME` counts for `NAME`:
///   if the stacked lower layers hold a directory there, the sizes of everything in that directory
///   (the directory included), else 0.
/// - Score = Σ over paths of the smallest contribution ÷ Σ of all contributions (1 when nothing).
///   Wasted bytes = Σ of all contributions of the paths with two or more contributions.
///
/// One deviation: a whiteout naming a path the lower layers do not hold counts 0 here; dive stops
/// counting the rest of that layer there.
struct DiveEfficiency {
    private struct Info { var size: Int64; var isDir: Bool }
    private struct Stats { var count = 0; var cumulative: Int64 = 0; var minimum: Int64 = -1 }

    // The current layer's tree: node key (raw cleaned name, `.wh.` kept) -> explicit entry info (nil: implied parent).
    private var layerNodes: [String: Info?] = [:]
    private var layerParents: Set<String> = []
    // dive's stacked tree of the layers before the current one.
    private var stacked: [String: Info] = [:]
    private var stackedChildren: [String: Set<String>] = [:]
    private var stats: [String: Stats] = [:]

    mutating func add(path: String, size: Int64, isDirectory: Bool) {
        if ImagePath.base(of: path) == ImagePath.opaqueMarker {
            addParents(of: path)
            return
        }
        layerNodes[path] = Info(size: size, isDir: isDirectory)
        addParents(of: path)
    }

    private mutating func addParents(of path: String) {
        var parent = ImagePath.parent(of: path)
        while !parent.isEmpty {
            layerParents.insert(parent)
            if layerNodes[parent] == nil { layerNodes[parent] = .some(nil) }
            parent = ImagePath.parent(of: parent)
        }
    }

    /// Ends the current layer: counts its leaves, then stacks it onto the lower layers.
    mutating func finishLayer() {
        for (key, info) in layerNodes where !layerParents.contains(key) {
            let base = ImagePath.base(of: key)
            var size: Int64
            var path = key
            if base.hasPrefix(ImagePath.whiteoutPrefix) {
                path = ImagePath.join(ImagePath.parent(of: key), base.dropFirst(ImagePath.whiteoutPrefix.count))
                size = 0
                if let lower = stacked[path], lower.isDir { size = subtreeSize(path) }
            } else {
                size = info?.size ?? 0
            }
            var entry = stats[path, default: Stats()]
            entry.count += 1
            entry.cumulative += size
            if entry.minimum < 0 || size < entry.minimum { entry.minimum = size }
            stats[path] = entry
        }
        // Stack: whiteouts remove, every other node (implied parents too) sets its info.
        for key in layerNodes.keys {
            let base = ImagePath.base(of: key)
            guard base.hasPrefix(ImagePath.whiteoutPrefix) else { continue }
            removeStacked(ImagePath.join(ImagePath.parent(of: key), base.dropFirst(ImagePath.whiteoutPrefix.count)))
        }
        for (key, info) in layerNodes where !ImagePath.base(of: key).hasPrefix(ImagePath.whiteoutPrefix) {
            stacked[key] = info ?? Info(size: 0, isDir: false)
            var child = key
            while true {
                let parent = ImagePath.parent(of: child)
                if parent.isEmpty { stackedChildren["", default: []].insert(child); break }
                stackedChildren[parent, default: []].insert(child)
                if stacked[parent] == nil { stacked[parent] = Info(size: 0, isDir: false) }
                child = parent
            }
        }
        layerNodes = [:]
        layerParents = []
    }

    private func subtreeSize(_ path: String) -> Int64 {
        var total = stacked[path]?.size ?? 0
        for child in stackedChildren[path] ?? [] { total += subtreeSize(child) }
        return total
    }

    private mutating func removeStacked(_ path: String) {
        guard stacked[path] != nil else { return }
        for child in stackedChildren[path] ?? [] { removeStacked(child) }
        stacked[path] = nil
        stackedChildren[path] = nil
        stackedChildren[ImagePath.parent(of: path)]?.remove(path)
    }

    /// The score, wasted bytes and the inefficient paths (largest first, at most `limit`).
    func result(limit: Int) -> (efficiency: Double, wasted: Int64, inefficiencies: [PathWaste]) {
        var minimum: Int64 = 0, discovered: Int64 = 0, wasted: Int64 = 0
        var inefficient: [PathWaste] = []
        for (path, entry) in stats {
            minimum += entry.minimum
            discovered += entry.cumulative
            if entry.count >= 2 {
                wasted += entry.cumulative
                inefficient.append(PathWaste(path: ImagePath.absolute(path), count: entry.count, cumulativeSize: entry.cumulative))
            }
        }
        inefficient.sort { ($0.cumulativeSize, $1.path) > ($1.cumulativeSize, $0.path) }
        let score = discovered == 0 ? 1.0 : Double(minimum) / Double(discovered)
        return (score, wasted, Array(inefficient.prefix(limit)))
    }
}
