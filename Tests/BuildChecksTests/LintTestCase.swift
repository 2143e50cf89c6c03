import XCTest
import DockerfileSyntax
@testable import BuildChecks

/// Helpers shared by the rule tests: parse a Dockerfile with the real parser and run one rule.
class LintTestCase: XCTestCase {
    func input(_ dockerfile: String, files: [String]? = nil, ignore: [String]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CheckInput {
        let tree = try DockerfileParser.parse(dockerfile)
        var listing: ContextListing?
        if let files {
            let info = ignore.map { patterns in
                IgnoreFileInfo(name: ".dockerignore", patterns: patterns) { path in
                    patterns.contains { !$0.hasPrefix("!") && (GlobMatch.matches($0, path) || path.hasPrefix($0 + "/")) }
                }
            }
            listing = ContextListing(files: files, ignoreFile: info)
        }
        return CheckInput(tree: tree, source: dockerfile, context: listing)
    }

    /// Findings of the rule called `rule` alone (enabled or not by default).
    func run(_ rule: String, _ dockerfile: String, files: [String]? = nil, ignore: [String]? = nil) throws -> [Finding] {
        guard let found = Linter.rule(named: rule) else {
            XCTFail("no rule \(rule)")
            return []
        }
        return found.run(try input(dockerfile, files: files, ignore: ignore))
    }

    func messages(_ rule: String, _ dockerfile: String, files: [String]? = nil, ignore: [String]? = nil) throws -> [String] {
        try run(rule, dockerfile, files: files, ignore: ignore).map(\.message)
    }

    func lines(_ rule: String, _ dockerfile: String, files: [String]? = nil, ignore: [String]? = nil) throws -> [Int] {
        try run(rule, dockerfile, files: files, ignore: ignore).compactMap { $0.range?.start.line }
    }
}
