import ArgumentParser
import ContextFilter

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
            printError("error: \(error.message)")
            throw ExitCode(2)
        }
        _ = matcher
        printError("error: not implemented yet")
        throw ExitCode(2)
    }
}
