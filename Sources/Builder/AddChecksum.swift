import Foundation
import ImageSpec

extension Builder {
    /// The digest `ADD --checksum=` expects of a download, validated as BuildKit's frontend does
    /// before anything runs (frontend/dockerfile/dockerfile_addchecksum_test.go): only for HTTP(S)
    /// sources (git sources take a commit hash, see ``dispatchAddGit``), `algorithm:hex` with a
    /// supported algorithm (sha256, sha512) and the algorithm's length. The value is expanded
    /// (`--checksum=${DIGEST}`).
    func addChecksum(_ op: CopyOperands, _ state: StageState) throws -> Digest? {
        guard let raw = op.checksum else { return nil }
        let range = op.range
        let text = try expand(raw, state, range)
        let sources = try op.sources.map { try expand($0, state, range) }
        guard op.isAdd, op.contents.isEmpty, !sources.isEmpty, sources.allSatisfy(CopyOperands.isURL) else {
            throw BuildError.at(range, "checksum requires HTTP(S) or Git sources")
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw BuildError.at(range, "invalid checksum digest format: \"\(text)\" (expected <algorithm>:<hex>, e.g. sha256:…)")
        }
        let algorithm = String(text[..<colon])
        guard DigestAlgorithm(rawValue: algorithm) != nil else {
            throw BuildError.at(range, "unsupported digest algorithm \"\(algorithm)\" in --checksum (kiln supports sha256 and sha512)")
        }
        do {
            return try Digest(parsing: text)
        } catch {
            throw BuildError.at(range, "invalid checksum \(text): \(error)")
        }
    }
}
