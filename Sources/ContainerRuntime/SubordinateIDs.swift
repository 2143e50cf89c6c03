import Foundation

/// The uid and gid maps of kiln's rootless user namespace, from /etc/subuid and /etc/subgid.
///
/// Inside the namespace the user is root (0 ↦ the user's own id) and, when the user has a
/// subordinate range, 1…count ↦ that range, as Podman and Buildah map it: files owned by uid
/// 0…65535 in an image are stored under real, distinct ids and read back as the same ids, so a
/// layer unpacked and repacked there gives the same diff ID as under root. Without a range only id
/// 0 exists inside (the single-id map): images holding files owned by any other user cannot be
/// unpacked. Pure: parsing and planning only.
public struct SubordinateIDs: Sendable, Equatable {
    /// One line of /etc/subuid or /etc/subgid: `NAME-OR-ID:START:COUNT`.
    public struct Range: Sendable, Equatable {
        public var start: UInt32
        public var count: UInt32
        public init(start: UInt32, count: UInt32) {
            self.start = start
            self.count = count
        }
    }

    /// One mapping line: ids `inside…inside+count-1` are `outside…` on the host.
    public struct Mapping: Sendable, Equatable {
        public var inside: UInt32
        public var outside: UInt32
        public var count: UInt32
        public init(inside: UInt32, outside: UInt32, count: UInt32) {
            self.inside = inside
            self.outside = outside
            self.count = count
        }
    }

    /// The first range of /etc/subuid- or /etc/subgid-style `text` for the user named `name` or with
    /// numeric id `id` (both spellings are accepted, as shadow's newuidmap does). Comments, blank
    /// and malformed lines and empty ranges are skipped.
    public static func range(in text: String, name: String?, id: UInt32) -> Range? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { continue }
            let owner = String(fields[0])
            if owner == name || owner == String(id) { return Range(start: start, count: count) }
        }
        return nil
    }

    /// The map for a user with host id `id`: 0 ↦ `id`, then 1… ↦ `range` when there is one.
    public static func mappings(id: UInt32, range: Range?) -> [Mapping] {
        var result = [Mapping(inside: 0, outside: id, count: 1)]
        if let range { result.append(Mapping(inside: 1, outside: range.start, count: range.count)) }
        return result
    }

    /// newuidmap/newgidmap's arguments after the pid: `inside outside count` per mapping.
    public static func helperArguments(_ mappings: [Mapping]) -> [String] {
        mappings.flatMap { ["\($0.inside)", "\($0.outside)", "\($0.count)"] }
    }
}
