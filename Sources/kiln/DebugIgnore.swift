import ArgumentParser
import ContextFilter

/// `kiln debug ignore [--pattern P]... -- PATH...`: prints `PATH true|false` for each path, where
/// `true` means "excluded from the build context". Paths are checked the way a context walk checks
/// them (``PatternMatcher/matchesWalking(_:)``: each ancestor directory first, handing its
/// `MatchInfo` down). A bad pattern, at compile or at match time, exits with status 2.
struct DebugIgnore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ignore",
        abstract: "Show whether paths are excluded from the build context by .dockerignore patterns."
    )

    @Option(name: .customLong("pattern"), help: "A .dockerignore pattern. Repeatable, in order.")
    var patterns: [String] = []

    @Argument(help: "Paths relative to the context root.")
    var paths: [String] = []

    func run() throws {
        let matcher: PatternMatcher
        do {
            matcher = try PatternMatcher(patterns)
        } catch {
            printError("error: invalid pattern: \(error.description)")
            throw ExitCode(2)
        }
        var lines: [String] = []
        for path in paths {
            do {
                lines.append("\(path) \(try matcher.matchesWalking(path))")
            } catch {
                printError("error: matching \(path): \(error.description)")
                throw ExitCode(2)
            }
        }
        for line in lines { print(line) }
    }
}
