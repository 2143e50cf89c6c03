import ArgumentParser
import DockerfileSyntax
import Foundation

struct DebugParse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print a Dockerfile's syntax tree in BuildKit's dump format."
    )

    @Argument(help: "The Dockerfile to parse ('-' for standard input).")
    var file: String

    func run() throws {
        let data = try readInput(file)
        do {
            let tree = try DockerfileParser.parse(data)
            print(tree.dump())
        } catch {
            let text = String(decoding: data, as: UTF8.self)
            printError(DiagnosticRenderer.render(file: file, source: text, error: error))
            throw ExitCode(1)
        }
    }
}
