import CopyPlanner
import DockerfileSyntax
import Foundation

/// The cache-key part of `RUN --mount=type=bind` (no `from`): the content of the bind-mounted
/// context path, digested exactly as `COPY` digests its sources (names, types, modes, sizes, link
/// targets, contents; never times), so changing a mounted file re-runs the step. BuildKit keys an
/// exec's input mounts by the content hash of the mounted selector path
/// (solver/llbsolver/ops/exec.go: `ContentBasedHash` → `NewContentHashFunc(selectors)`).
extension Builder {
    func contextMountDigest(_ source: String, range: SourceRange) throws -> String {
        guard let context = options.contextDirectory else { throw BuildError.at(range, "no build context for the bind mount") }
        let clean = try Self.cleanSource(source, range: range)
        var tree = Self.contextTree(context, included: try contextIncluded)
        tree.checksumCache = contextChecksums
        let scratch = try committer.scratchDirectory("mount-key")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            let plan = try CopyPlanner.plan(CopyRequest(sources: [clean], destination: "/mount"), from: tree,
                                            destinationRoot: nil, scratch: scratch.path)
            return plan.sourceDigest.description
        } catch let error as CopyError where error.kind == .notFound {
            throw BuildError.at(range, "mount source \(GoQuote.quote(source)) not found in the build context")
        } catch {
            throw BuildError.at(range, "mount source \(GoQuote.quote(source)): \(error)")
        }
    }
}
