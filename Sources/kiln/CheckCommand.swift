import ArgumentParser
import BuildChecks
import DockerfileSyntax
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a Dockerfile and its build context for mistakes, cache killers and leaked secrets.",
        discussion: """
            Runs BuildKit's build checks plus kiln's own (RootUser, MissingDockerignore, SecretFileInContext, \
            SecretInDockerfile, CacheBustingCopyOrder, UnpinnedBaseImage, BuildToolsInFinalImage). \
            Skip rules with a '# check=skip=Rule1,Rule2' directive at the top of the Dockerfile; \
            '# check=error=true' makes findings fail the check.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .shortAndLong, help: "The Dockerfile (default: CONTEXT/Dockerfile).")
    var file: String?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Flag(name: [.customLong("fail"), .customLong("fail-on-warnings"), .customShort("W")], help: "Exit with status 1 when there is any finding.")
    var failOnWarnings = false

    @Argument(help: "The build context directory.")
    var context: String = "."

    func run() throws {
        let path = file ?? URL(fileURLWithPath: context).appendingPathComponent("Dockerfile").relativePath
        let source = String(decoding: try readInput(path), as: UTF8.self)
        let tree: SyntaxTree
        let config: CheckConfig
        do {
            tree = try DockerfileParser.parse(source)
            _ = try DockerfileProgram.parse(tree)
        } catch {
            printError(DiagnosticRenderer.render(file: path, source: source, error: error))
            throw ExitCode(1)
        }
        do {
            config = try Linter.config(for: tree)
        } catch {
            let range = tree.directives.locations["check"]
            printError(DiagnosticRenderer.render(file: path, source: source, range: range, severity: .error, message: error.message))
            throw ExitCode(1)
        }
        let listing = try CheckContext.listing(context: context, dockerfile: path)
        let input = CheckInput(tree: tree, source: source, context: listing)
        let findings = Linter(config: config).run(input)
        let report = CheckReport(file: path, source: source, findings: findings)
        switch format {
        case .text: report.printText()
        case .json: print(report.json())
        }
        if !findings.isEmpty, failOnWarnings || config.failOnFindings { throw ExitCode(1) }
    }
}
