import XCTest
import DockerfileSyntax
@testable import BuildChecks

final class LinterTests: LintTestCase {
    func testCheckDirectiveParsing() throws {
        let config = try CheckConfig(directive: "skip=JSONArgsRecommended,StageNameCasing;error=true;experimental=all")
        XCTAssertEqual(config.skip, ["JSONArgsRecommended", "StageNameCasing"])
        XCTAssertTrue(config.failOnFindings)
        XCTAssertTrue(config.experimentalAll)
        XCTAssertTrue(try CheckConfig(directive: " skip = all ").skipAll)
        XCTAssertThrowsError(try CheckConfig(directive: "skip"))
        XCTAssertThrowsError(try CheckConfig(directive: "error=maybe"))
        XCTAssertThrowsError(try CheckConfig(directive: "bogus=1"))
    }

    func testSkipAppliesToBuildKitAndKilnRules() throws {
        let df = "# check=skip=StageNameCasing,RootUser\nFROM alpine:3.20 AS Builder\nCMD [\"x\"]\n"
        let tree = try DockerfileParser.parse(df)
        let rules = Linter(config: try Linter.config(for: tree)).run(CheckInput(tree: tree)).map(\.rule)
        XCTAssertFalse(rules.contains("StageNameCasing"))
        XCTAssertFalse(rules.contains("RootUser"))
        let all = Linter().run(CheckInput(tree: tree)).map(\.rule)
        XCTAssertTrue(all.contains("StageNameCasing") && all.contains("RootUser"))
        XCTAssertEqual(Linter(config: try CheckConfig(directive: "skip=all")).run(CheckInput(tree: tree)), [])
    }

    func testErrorTrueMakesFindingsErrors() throws {
        let tree = try DockerfileParser.parse("# check=error=true\nFROM alpine\n")
        let findings = Linter(config: try Linter.config(for: tree)).run(CheckInput(tree: tree))
        XCTAssertFalse(findings.isEmpty)
        XCTAssertTrue(findings.allSatisfy { $0.severity == .error })
    }

    func testFindingsAreSortedByLocation() throws {
        let tree = try DockerfileParser.parse("FROM alpine AS Builder\nMAINTAINER me\nCMD x\nFROM builder\n")
        let findings = Linter().run(CheckInput(tree: tree))
        let starts = findings.compactMap { $0.range?.start }
        XCTAssertEqual(starts, starts.sorted())
    }

    func testRuleCatalog() {
        XCTAssertEqual(Linter.buildkitRules.count, 22)
        XCTAssertEqual(Linter.kilnRules.count, 7)
        XCTAssertEqual(Set(Linter.allRules.map(\.info.name)).count, 29)
        XCTAssertEqual(Linter.rule(named: "JSONArgsRecommended")?.info.url, "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/")
        XCTAssertEqual(Linter.allRules.filter(\.info.experimental).map(\.info.name), ["InvalidDefinitionDescription"])
    }
}
