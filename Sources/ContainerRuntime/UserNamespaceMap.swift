import Foundation

/// This process's user namespace as its /proc/self/uid_map and gid_map describe it: the host's
/// (identity over every id) or rootless kiln's, where only the mapped ids exist (a single-id map
/// has only 0: a devpts mount cannot name the tty group, chown to other ids fails).
public struct UserNamespaceMap: Sendable, Equatable {
    /// `inside outside count` lines.
    public var uids: [SubordinateIDs.Mapping]
    public var gids: [SubordinateIDs.Mapping]

    public init(uids: [SubordinateIDs.Mapping], gids: [SubordinateIDs.Mapping]) {
        self.uids = uids
        self.gids = gids
    }

    public static let current = UserNamespaceMap(
        uids: parse((try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8)) ?? ""),
        gids: parse((try? String(contentsOfFile: "/proc/self/gid_map", encoding: .utf8)) ?? ""))

    /// The host's namespace (or no /proc to tell).
    public var isInitial: Bool {
        uids.isEmpty || uids == [SubordinateIDs.Mapping(inside: 0, outside: 0, count: UInt32.max)]
    }

    public func mapsUser(_ id: UInt32) -> Bool { isInitial || Self.covers(uids, id) }
    public func mapsGroup(_ id: UInt32) -> Bool { isInitial || Self.covers(gids, id) }

    static func covers(_ mappings: [SubordinateIDs.Mapping], _ id: UInt32) -> Bool {
        mappings.contains { id >= $0.inside && UInt64(id) < UInt64($0.inside) + UInt64($0.count) }
    }

    public static func parse(_ text: String) -> [SubordinateIDs.Mapping] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 3, let inside = UInt32(fields[0]), let outside = UInt32(fields[1]),
                  let count = UInt32(fields[2]) else { return nil }
            return SubordinateIDs.Mapping(inside: inside, outside: outside, count: count)
        }
    }
}
