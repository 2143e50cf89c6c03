import ArgumentParser
import ShellWords

struct DebugExpand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expand",
        abstract: "Expand a word the way BuildKit expands Dockerfile arguments."
    )

    @Option(name: .customLong("env"), help: "Set a variable, NAME=VALUE ('NAME=' sets it empty). Repeatable.")
    var env: [String] = []

    @Flag(help: "Split the result into words, one per line.")
    var words = false

    @Option(help: "The escape token (\\ or `).")
    var escape: String = "\\"

    @Argument(help: "The word to expand.")
    var word: String

    func run() throws {
        var environment = ShellEnvironment()
        for pair in env {
            guard let eq = pair.firstIndex(of: "=") else {
                throw ValidationError("--env takes NAME=VALUE, got '\(pair)'")
            }
            environment[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        guard escape.count == 1, let token = escape.first else {
            throw ValidationError("--escape takes one character")
        }
        let lexer = ShellLexer(escapeToken: token)
        do {
            if words {
                for w in try lexer.processWords(word, env: environment) { print(w) }
            } else {
                print(try lexer.processWord(word, env: environment))
            }
        } catch {
            printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }
}
