import ContextFilter
import Foundation

/// The context paths Docker 20.10's BuildKit sends (fsutil of that era): each path is matched
/// with the deprecated `PatternMatcher.Matches`; an excluded directory is still sent (and walked)
/// only when an exception pattern's text starts with `dir/`, otherwise it is skipped whole —
/// so `!**/x` does not reach into an excluded directory, and `!dir/sub/file` keeps `dir` itself.
enum LegacyContextWalk {
    static func included(root: String, matcher: PatternMatcher) throws -> Set<String> {
        var result = Set<String>()
        let exceptions = matcher.patterns.filter(\.isExclusion).map { $0.text + "/" }
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let names = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
            for name in names {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(root + "/" + path, &info) == 0 else { continue }
                let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
                if try matcher.matches(path) {
                    guard isDirectory, exceptions.contains(where: { $0.hasPrefix(path + "/") }) else { continue }
                }
                result.insert(path)
                if isDirectory { try walk(path) }
            }
        }
        try walk("")
        return result
    }
}
