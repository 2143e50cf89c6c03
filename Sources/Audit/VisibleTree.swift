import LayerArchive

/// One layer's version of a path.
struct PathVersion: Sendable {
    var layer: Int
    var size: Int64
    var type: TarEntryType
    var mode: UInt32
}

/// The filesystem as the layers seen so far stack up (overlayfs semantics: whiteouts, opaque
/// directories, a non-directory replacing a directory). Every version that stops being visible is
/// handed to `hidden`, with the layer that hid it, so callers can count hidden bytes and mark
/// findings "deleted but still downloadable".
struct VisibleTree {
    private(set) var nodes: [String: PathVersion] = [:]
    private var children: [String: Set<String>] = [:]

    typealias Hidden = (_ path: String, _ version: PathVersion) -> Void

    /// Applies one entry of layer `layer`.
    mutating func apply(_ effect: EntryEffect, path: String, version: PathVersion, hidden: Hidden) {
        switch effect {
        case .put:
            if let old = nodes[path] {
                if old.type == .directory, version.type == .directory {
                    // A directory entry again: its metadata changes, its contents stay.
                    nodes[path] = version
                    return
                }
                hidden(path, old)
                if old.type == .directory { removeDescendants(of: path, below: Int.max, hidden: hidden) }
            }
            insert(path, version)
        case .whiteout(let target):
            if let old = nodes[target], old.layer < version.layer {
                hidden(target, old)
                nodes[target] = nil
                children[ImagePath.parent(of: target)]?.remove(target)
            }
            removeDescendants(of: target, below: version.layer, hidden: hidden)
        case .opaque(let directory):
            removeDescendants(of: directory, below: version.layer, hidden: hidden)
        }
    }

    private mutating func insert(_ path: String, _ version: PathVersion) {
        nodes[path] = version
        var child = path
        while true {
            let parent = ImagePath.parent(of: child)
            let (inserted, _) = children[parent, default: []].insert(child)
            if !inserted || parent.isEmpty { break }
            child = parent
        }
    }

    /// Removes every path under `directory` put by a layer before `layer`.
    private mutating func removeDescendants(of directory: String, below layer: Int, hidden: Hidden) {
        guard let names = children[directory] else { return }
        for child in names {
            removeDescendants(of: child, below: layer, hidden: hidden)
            if let old = nodes[child], old.layer < layer {
                hidden(child, old)
                nodes[child] = nil
            }
            if nodes[child] == nil, children[child]?.isEmpty ?? true {
                children[directory]?.remove(child)
                children[child] = nil
            }
        }
    }
}
