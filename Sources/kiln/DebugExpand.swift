import ArgumentParser
import ShellWords

/// `kiln debug expand [--env NAME=VALUE]... [--words] [--escape C] -- WORD`: prints the expansion
/// (with `--words`, one word per line). An expansion error goes to stderr with exit status 1.
struct DebugExpand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Expand a word the way BuildKit expands Dockerfile arguments."
    )

    @Option(name: .customLong("env"), help: "Set a variable, NAME=VALUE ('NAME=' sets it empty). Repeatable; the last one wins.")
    var env: [String] = []

    @Flag(help: "Split the result into words, one per line.")
    var words = false

    @Option(help: "The escape token (\\ or `).")
    var escape: String = "\\"

    @Argument(help: "The word to expand.")
    var word: String

    func validate() throws {
        for pair in env where !pair.contains("=") {
            throw ValidationError("--env takes NAME=VALUE, got '\(pair)'")
        }
        guard escape.unicodeScalars.count == 1 else {
            throw ValidationError("--escape takes one character")
        }
    }

    func run() throws {
        let lexer = ShellLexer(escapeToken: Character(escape))
        let environment = ShellEnvironment(entries: env)
        do {
            if words {
                for w in try lexer.processWords(word, env: environment) { print(w) }
            } else {
                print(try lexer.processWord(word, env: environment))
            }
        } catch {
            printError("error: \(error.description)")
            throw ExitCode(1)
        }
    }
}
