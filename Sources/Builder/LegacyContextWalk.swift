import ContextFilter
import Foundation

/// The context paths the builder's COPY/ADD see: the one place the builder chooses its context
/// walk's exclusion rule, Docker 20.10's (its reference engine; ContextExclusionRule.docker2010),
/// so `!**/x` does not reach into an excluded directory and `!dir/sub/file` keeps `dir` itself.
/// The walk is ``ContextScan``'s (which also fingerprints the context).
enum LegacyContextWalk {
    static let rule = ContextExclusionRule.docker2010

    static func included(root: String, matcher: PatternMatcher) throws -> Set<String> {
        Set(try ContextScan.scan(root: root, matcher: matcher).includedPaths ?? [])
    }
}
