import DockerfileSyntax
import Foundation
import ImageSpec
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension Builder {
    /// Downloads an `ADD` URL into `directory` under the URL path's last component; verifies
    /// `--checksum=sha256:…` when given (before anything is written). Returns the file name.
    func download(_ source: String, into directory: URL, checksum: Digest?, range: SourceRange) async throws -> String {
        guard let url = URL(string: source) else { throw BuildError.at(range, "invalid URL \(source)") }
        let data: Data
        do {
            let (body, response) = try await URLSession.shared.data(from: url)
            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                throw BuildError.at(range, "failed to load \(source): invalid response status \(http.statusCode)")
            }
            data = body
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError.at(range, "failed to load \(source): \(error.localizedDescription)")
        }
        if let checksum {
            var digester = Digester(algorithm: checksum.algorithm)
            digester.update(data)
            let actual = digester.finalize()
            guard actual == checksum else {
                // BuildKit's http source words it "digest mismatch <actual>: <expected>".
                throw BuildError.at(range, "digest mismatch for \(source): expected \(checksum) (--checksum), got \(actual)")
            }
        }
        var name = url.lastPathComponent
        if name.isEmpty || name == "/" { name = "index.html" }
        try data.write(to: directory.appendingPathComponent(name))
        // BuildKit's http source writes the file 0600 (a symbolic --chmod starts from it).
        _ = chmod(directory.appendingPathComponent(name).path, 0o600)
        return name
    }
}
