import ArgumentParser

/// Entry points that tests and conformance tools call. Part of the product's test surface.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Inspect how kiln reads Dockerfiles, words and .dockerignore patterns.",
        subcommands: [DebugParse.self, DebugExpand.self, DebugIgnore.self]
    )
}
