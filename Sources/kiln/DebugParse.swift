import ArgumentParser
import DockerfileSyntax
import Foundation

struct DebugParse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print a Dockerfile's syntax tree in BuildKit's dump format.",
        discussion: "Parser warnings (such as NoEmptyContinuation) are printed to standard error."
    )

    @Argument(help: "The Dockerfile to parse ('-' for standard input).")
    var file: String

    func run() throws {
        let data = try readInput(file)
        let text = String(decoding: data, as: UTF8.self)
        do {
            let tree = try DockerfileParser.parse(data)
            print(tree.dump())
            for warning in tree.warnings {
                printError(DiagnosticRenderer.render(
                    file: file, source: text, range: warning.range, severity: .warning,
                    message: "\(warning.message) [\(warning.rule)]"))
            }
        } catch {
            printError(DiagnosticRenderer.render(file: file, source: text, error: error))
            throw ExitCode(1)
        }
    }
}
