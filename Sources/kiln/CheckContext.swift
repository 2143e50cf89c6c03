import ArgumentParser
import BuildChecks
import ContextFilter
import Foundation

/// Lists a build context for `kiln check`: its ignore file and the files left after filtering.
enum CheckContext {
    /// The filtered listing of `context`, or an error (exit status 1) when it cannot be read.
    static func listing(context: String, dockerfile: String) throws -> ContextListing {
        let root = URL(fileURLWithPath: context)
        let ignoreURL = IgnoreFile.locate(contextDirectory: root, dockerfile: URL(fileURLWithPath: dockerfile))
        let patterns: [String]
        let matcher: PatternMatcher
        do {
            patterns = try IgnoreFile.load(contextDirectory: root, dockerfile: URL(fileURLWithPath: dockerfile)).patterns
            matcher = try PatternMatcher(patterns)
        } catch {
            printError("error: \(ignoreURL?.path ?? ".dockerignore"): \(error)")
            throw ExitCode(1)
        }
        let entries: [ContextEntry]
        do {
            // What today's BuildKit sends (the builder follows Docker 20.10's rule: LegacyContextWalk).
            entries = try ContextWalker(matcher: matcher, rule: .parentResults).walk(root)
        } catch {
            printError("error: cannot read build context: \(error)")
            throw ExitCode(1)
        }
        let files = entries.filter { $0.kind != .directory }.map(\.path)
        let ignore = ignoreURL.map { url in
            IgnoreFileInfo(name: url.lastPathComponent, patterns: patterns) { path in
                (try? matcher.matchesOrParentMatches(path)) ?? false
            }
        }
        return ContextListing(files: files, ignoreFile: ignore)
    }
}
