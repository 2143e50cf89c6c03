import ContextFilter
import Foundation

/// The context paths Docker 20.10's BuildKit sends (fsutil of that era): each path is matched
/// with the deprecated `PatternMatcher.Matches`; an excluded directory is still sent (and walked)
/// only when an exception pattern's text starts with `dir/`, otherwise it is skipped whole —
/// so `!**/x` does not reach into an excluded directory, and `!dir/sub/file` keeps `dir` itself.
/// The walk is ``ContextScan``'s (which also fingerprints the context).
enum LegacyContextWalk {
    static func included(root: String, matcher: PatternMatcher) throws -> Set<String> {
        try ContextScan.scan(root: root, matcher: matcher).included ?? []
    }
}
