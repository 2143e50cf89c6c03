import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What is left running or mounted on the host, for the tests that kill kiln and then check that
/// nothing of it stayed behind. Test-only.
public enum HostState {
    /// Live processes (zombies excluded) other than this one whose environment holds `text`.
    public static func processes(withEnvironment text: String) -> [Int32] {
        processes { pid in FileManager.default.contents(atPath: "/proc/\(pid)/environ").map { String(decoding: $0, as: UTF8.self).contains(text) } ?? false }
    }

    /// Live processes (zombies excluded) other than this one whose command line holds `text` (runc runs
    /// with `--root STORE/kiln/runc`, pasta with the namespace file in the store's scratch).
    public static func processes(withCommandLine text: String) -> [Int32] {
        processes { pid in FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self).contains(text) } ?? false }
    }

    /// How many mounts of this mount namespace lie below `path`.
    public static func mounts(under path: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains(" \(path)/") }.count
    }

    /// Live processes (zombies excluded) other than this one for which `matches(pid)` holds.
    public static func processes(where matches: (Int32) -> Bool) -> [Int32] {
        let own = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
            guard pid != own, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"), !stat[close...].hasPrefix(") Z") else { return false }
            return matches(pid)
        }
    }
}
