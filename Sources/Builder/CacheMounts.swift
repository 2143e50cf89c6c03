import DockerfileSyntax
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A cache mount's directory in use: where it is and the lock held for its `sharing=` mode.
struct CacheMountLease {
    let path: String
    /// The lock file descriptor (closed by `release`), -1 when none is held.
    let lockFD: Int32

    func release() {
        if lockFD >= 0 { close(lockFD) }
    }
}

/// Persistent `RUN --mount=type=cache` directories under `kiln/cache-mounts` in the store; never
/// part of an image. `kiln prune --cache-mounts` removes them.
public enum CacheMounts {
    public static func directory(stateDirectory: URL) -> URL {
        stateDirectory.appendingPathComponent("cache-mounts")
    }

    /// Removes every cache mount that is not in use; returns how many were removed.
    public static func prune(stateDirectory: URL) -> Int {
        let dir = directory(stateDirectory: stateDirectory).path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return 0 }
        var removed = 0
        for name in names where !name.hasSuffix(".lock") && !name.hasPrefix(".") {
            let lockPath = dir + "/" + name + ".lock"
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // in use by a running build
            try? FileManager.default.removeItem(atPath: dir + "/" + name)
            unlink(lockPath)
            removed += 1
        }
        return removed
    }

    /// Refuses ids that could name a path outside the cache directory (`..` elements). BuildKit
    /// treats the id as an opaque key; kiln hashes it too, but refuses such ids outright.
    static func validate(id: String) -> String? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") { return "cache mount id \(GoQuote.quote(id)) must not contain \"..\" path elements" }
        if id.contains("\0") { return "cache mount id must not contain NUL bytes" }
        return nil
    }

    /// Takes the directory named `base` (a hash) for `sharing`: `shared` uses it alongside others
    /// (a shared lock, so `locked` users wait), `locked` waits for an exclusive lock, `private`
    /// takes the first of `base`, `base-1`, … that no one else uses. `create` makes a missing
    /// directory (at a temporary name, renamed into place).
    static func lease(base: String, in dir: String, sharing: CacheSharing,
                      create: (String) async throws -> Void) async throws -> CacheMountLease {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var attempt = 0
        while true {
            let name = attempt == 0 ? base : "\(base)-\(attempt)"
            let fd = open(dir + "/" + name + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw BuildError("open cache mount lock \(dir)/\(name).lock: \(String(cString: strerror(errno)))") }
            var held = false
            switch sharing {
            case .shared:
                held = flock(fd, LOCK_SH | LOCK_NB) == 0
                while !held {
                    try? await Task.sleep(nanoseconds: 20_000_000)
                    held = flock(fd, LOCK_SH | LOCK_NB) == 0
                }
            case .locked:
                held = flock(fd, LOCK_EX | LOCK_NB) == 0
                while !held {
                    try? await Task.sleep(nanoseconds: 20_000_000)
                    held = flock(fd, LOCK_EX | LOCK_NB) == 0
                }
            case .private:
                held = flock(fd, LOCK_EX | LOCK_NB) == 0
            }
            guard held else {
                close(fd)
                attempt += 1
                continue
            }
            let path = dir + "/" + name
            if access(path, F_OK) != 0 {
                let temp = dir + "/.new-\(name)-\(UInt64.random(in: 0...UInt64.max))"
                do {
                    try await create(temp)
                } catch {
                    try? FileManager.default.removeItem(atPath: temp)
                    close(fd)
                    throw error
                }
                if rename(temp, path) != 0 { try? FileManager.default.removeItem(atPath: temp) }
            }
            return CacheMountLease(path: path, lockFD: fd)
        }
    }
}
