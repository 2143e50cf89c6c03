import Distribution
import DockerfileSyntax
import Foundation
import ImageSpec
import LayerArchive

extension Builder {
    /// Downloads an `ADD` URL into `directory` under the URL path's last component, streamed to the
    /// file; verifies `--checksum=sha256:…` when given (a mismatch removes the file: `directory` is the
    /// step's scratch, nothing is committed). Returns the file name.
    func download(_ source: String, into directory: URL, checksum: Digest?, range: SourceRange) async throws -> String {
        guard let url = URL(string: source) else { throw BuildError.at(range, "invalid URL \(source)") }
        var name = url.lastPathComponent
        if name.isEmpty || name == "/" { name = "index.html" }
        let path = directory.appendingPathComponent(name).path
        // BuildKit's http source writes the file 0600 (a symbolic --chmod starts from it).
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BuildError.at(range, "failed to load \(source): \(String(cString: strerror(errno)))") }
        let file = FileDescriptor(fd: fd)
        var digester = checksum.map { Digester(algorithm: $0.algorithm) }
        do {
            try await URLFetch.get(source) { bytes in
                digester?.update(bufferPointer: bytes)
                try file.write(bytes)
            }
        } catch {
            unlink(path)
            throw BuildError.at(range, "failed to load \(source): \(error)")
        }
        if let checksum, let actual = digester?.finalize(), actual != checksum {
            unlink(path)
            // BuildKit's http source words it "digest mismatch <actual>: <expected>".
            throw BuildError.at(range, "digest mismatch for \(source): expected \(checksum) (--checksum), got \(actual)")
        }
        return name
    }
}
