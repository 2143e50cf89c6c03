import DockerfileSyntax
import Foundation
import ImageSpec
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension Builder {
    /// Downloads an `ADD` URL into `directory` under the URL path's last component; verifies
    /// `--checksum=sha256:…` when given. Returns the file name.
    func download(_ source: String, into directory: URL, checksum: String?, range: SourceRange) async throws -> String {
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
            let actual = Digest.sha256(of: data).description
            guard actual == checksum else {
                throw BuildError.at(range, "digest mismatch \(actual): \(checksum)")
            }
        }
        var name = url.lastPathComponent
        if name.isEmpty || name == "/" { name = "index.html" }
        try data.write(to: directory.appendingPathComponent(name))
        return name
    }
}
