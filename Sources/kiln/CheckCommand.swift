import ArgumentParser
import BuildChecks
import DockerfileSyntax
import Foundation
import ImageSpec

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a Dockerfile and its build context for mistakes, cache killers and leaked secrets.",
        discussion: """
            Runs BuildKit's build checks plus kiln's own (RootUser, MissingDockerignore, SecretFileInContext, \
            SecretInDockerfile, CacheBustingCopyOrder, UnpinnedBaseImage, BuildToolsInFinalImage). \
            Skip rules with a '# check=skip=Rule1,Rule2' directive at the top of the Dockerfile; \
            '# check=error=true' makes findings fail the check. With --platform P1,P2, base images \
            found in the local store (never pulled) are checked against those platforms (InvalidBaseImagePlatform).
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

    @Option(help: ArgumentHelp("The build's platforms (comma-separated), for InvalidBaseImagePlatform against local base images", valueName: "P1,P2"))
    var platform: String?

    @OptionGroup var store: StoreOptions

    @Argument(help: "The build context directory.")
    var context: String = "."

    func run() async throws {
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
        var input = CheckInput(tree: tree, source: source, context: listing)
        if let platform {
            var platforms: [Platform] = []
            for text in platform.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
                do { platforms.append(try Platform(parsing: text)) } catch {
                    printError("error: invalid --platform \"\(text)\": \(error)")
                    throw ExitCode(1)
                }
            }
            let uses = input.baseImages
            input.basePlatforms = try await ImageCommandSupport.withService(store) { service in
                CheckBasePlatforms.find(uses, platforms: platforms, service: service)
            }
        }
        let findings = Linter(config: config).run(input)
        let report = CheckReport(file: path, source: source, findings: findings)
        switch format {
        case .text: report.printText()
        case .json: print(report.json())
        }
        if !findings.isEmpty, failOnWarnings || config.failOnFindings { throw ExitCode(1) }
    }
}
