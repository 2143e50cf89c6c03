import Foundation
import LayerArchive
#if canImport(Glibc)
import Glibc
#endif

/// Where an archive is written: standard output (`-`), or a file that appears only when complete.
///
/// For a file, bytes go to a hidden temp file next to it; ``commit()`` fsyncs and renames it into
/// place, ``discard()`` (or deinit without commit) removes it, so a failed export leaves nothing.
final class ArchiveOutput: ByteSink {
    private let descriptor: FileDescriptor
    private let temp: String?
    private let final: String?
    private var done = false

    init(path: String) throws {
        if path == "-" {
            descriptor = FileDescriptor(fd: 1, owned: false)
            temp = nil
            final = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var template = Array((dir + "/." + url.lastPathComponent + ".kiln-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw ArchiveError(.io, "cannot create a file in \(dir) for \(path); check that the folder exists and is writable",
                               cause: String(cString: strerror(errno)))
        }
        fchmod(fd, 0o644)
        descriptor = FileDescriptor(fd: fd)
        temp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        final = path
    }

    deinit { discard() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try descriptor.write(bytes)
        } catch {
            throw ArchiveError(.io, "cannot write the archive to \(final ?? "standard output")", cause: "\(error)")
        }
    }

    /// Makes the file visible under its name (no-op for standard output).
    func commit() throws {
        done = true
        guard let temp, let final else { return }
        guard fsync(descriptor.fd) == 0, rename(temp, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw ArchiveError(.io, "cannot move the finished archive to \(final)", cause: reason)
        }
    }

    /// Removes the unfinished file.
    func discard() {
        guard !done else { return }
        done = true
        if let temp { unlink(temp) }
    }
}
