/// Go-style lexical path helpers (`path/filepath` on Linux: separator `/`).
///
/// Everything here works on UTF-8 bytes, never on `Character`s, so that a `/` followed by a
/// combining mark is still a separator and no Unicode normalisation sneaks in.
enum GoPath {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// Go `filepath.Clean`: collapse runs of `/`, drop `.` elements, resolve `..` against earlier
    /// elements (a `..` right after the root of an absolute path is dropped), drop a trailing `/`.
    /// An empty result is `.`.
    static func clean(_ path: String) -> String {
        String(decoding: clean(Array(path.utf8)), as: UTF8.self)
    }

    /// Byte version of ``clean(_:)-swift.type.method``.
    static func clean(_ path: [UInt8]) -> [UInt8] {
        if path.isEmpty { return [dot] }
        let rooted = path[0] == slash
        var kept: [ArraySlice<UInt8>] = []
        var leadingDotDots = 0  // ".." elements that could not be resolved (relative paths only)
        for element in path.split(separator: slash, omittingEmptySubsequences: true) {
            if element.count == 1 && element.first == dot { continue }
            if element.count == 2 && element.allSatisfy({ $0 == dot }) {
                if kept.count > leadingDotDots {
                    kept.removeLast()
                } else if !rooted {
                    kept.append(element)
                    leadingDotDots += 1
                }
                continue
            }
            kept.append(element)
        }
        var out: [UInt8] = rooted ? [slash] : []
        for (i, element) in kept.enumerated() {
            if i > 0 { out.append(slash) }
            out.append(contentsOf: element)
        }
        return out.isEmpty ? [dot] : out
    }

    /// Go `filepath.Dir`: everything up to and including the last `/`, then cleaned.
    /// `Dir("file")` is `.`, `Dir("file/")` is `file`, `Dir("/")` is `/`.
    static func dir(_ path: [UInt8]) -> [UInt8] {
        guard let last = path.lastIndex(of: slash) else { return [dot] }
        // The context walk's paths are clean already: then the parent is the text before the last
        // `/`, with no cleaning (and no allocation per element).
        if last > 0 && isClean(path[..<last]) { return Array(path[..<last]) }
        return clean(Array(path[...last]))
    }

    /// Whether `clean` would return `path` unchanged: non-empty, no empty, `.` or `..` element, no
    /// trailing `/` (a leading `/` is allowed).
    static func isClean(_ path: ArraySlice<UInt8>) -> Bool {
        guard !path.isEmpty, path.last != slash else { return path.count == 1 && path.first == slash }
        var elementStart = path.startIndex
        var index = path.startIndex
        if path[index] == slash {
            index += 1
            elementStart = index
        }
        while true {
            let end = index == path.endIndex || path[index] == slash
            if end {
                let length = index - elementStart
                if length == 0 { return false }
                if length <= 2 && path[elementStart..<index].allSatisfy({ $0 == dot }) { return false }
                if index == path.endIndex { return true }
                elementStart = index + 1
            }
            index += 1
        }
    }

    /// The ancestor prefixes the matchers try for `path`: `Dir(path)` split on `/`, joined back
    /// one element at a time (`a`, `a/b`, …). Empty when `Dir(path)` is `.`.
    /// For `/x/y` this is `""`, `/x` (Go splits the leading `/` into an empty element).
    static func ancestorPrefixes(_ path: [UInt8]) -> [[UInt8]] {
        let parent = dir(path)
        if parent == [dot] { return [] }
        var prefixes: [[UInt8]] = []
        var current: [UInt8] = []
        for (i, element) in parent.split(separator: slash, omittingEmptySubsequences: false).enumerated() {
            if i > 0 { current.append(slash) }
            current.append(contentsOf: element)
            prefixes.append(current)
        }
        return prefixes
    }

    /// Number of `/`-separated elements (Go `len(strings.Split(s, "/"))`).
    static func elementCount(_ path: [UInt8]) -> Int {
        path.reduce(1) { $1 == slash ? $0 + 1 : $0 }
    }

    /// Go `strings.TrimSpace`: trims Unicode White_Space scalars at both ends.
    static func trimSpace(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? start
        return String(scalars[start...end])
    }
}

/// The ancestor prefixes the matchers retry for a path: `Dir(path)` split on `/` and joined back
/// one element at a time (`a`, `a/b`, …; for `/x/y` that is `""` and `/x`, as Go splits the
/// leading `/` into an empty element). Stored as one parent path plus the end offset of each
/// prefix, so a deep path costs O(length), not O(length²).
struct Ancestors {
    /// `Dir(path)` as bytes, and the end of each prefix in it (ascending).
    let bytes: [UInt8]
    let byteEnds: [Int]
    /// The same, as Unicode scalars for regexp matching.
    let scalars: [Unicode.Scalar]
    let scalarEnds: [Int]

    /// No prefixes when `Dir(path)` is `.`.
    var isEmpty: Bool { byteEnds.isEmpty }

    init(of path: [UInt8]) {
        let parent = GoPath.dir(path)
        if parent == [GoPath.dot] {
            (bytes, byteEnds, scalars, scalarEnds) = ([], [], [], [])
            return
        }
        let units = Array(String(decoding: parent, as: UTF8.self).unicodeScalars)
        bytes = parent
        byteEnds = parent.indices.filter { parent[$0] == GoPath.slash } + [parent.count]
        scalars = units
        scalarEnds = units.indices.filter { units[$0] == "/" } + [units.count]
    }
}
