import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock on a file (`flock(2)`), shared by every kiln process using one store.
///
/// `flock` locks belong to an open file description, so two opens in one process exclude each other
/// too. The lock is released when the body returns or throws, and by the kernel if the process dies.
/// Blocks the calling thread while waiting: keep bodies short and synchronous.
enum FileLock {
    /// Runs `body` while holding an exclusive lock on `url` (created if missing).
    static func withExclusiveLock<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("open the lock file", url.path, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io("lock", url.path, errno: errno) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
