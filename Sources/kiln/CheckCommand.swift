import ArgumentParser

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a Dockerfile and its build context for mistakes, cache killers and leaked secrets."
    )

    @Option(name: .shortAndLong, help: "The Dockerfile (default: CONTEXT/Dockerfile).")
    var file: String?

    @Argument(help: "The build context directory.")
    var context: String = "."

    func run() throws {
        printError("kiln check: not implemented yet")
        throw ExitCode(1)
    }
}
