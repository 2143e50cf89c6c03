import XCTest
@testable import BuildChecks

final class CasingRulesTests: LintTestCase {
    func testStageNameCasing() throws {
        XCTAssertEqual(try messages("StageNameCasing", "FROM alpine AS Builder\n"), ["Stage name 'Builder' should be lowercase"])
        XCTAssertEqual(try messages("StageNameCasing", "FROM alpine AS builder\nFROM builder\n"), [])
    }

    func testFromAsCasing() throws {
        XCTAssertEqual(try messages("FromAsCasing", "FROM alpine as builder\n"), ["'as' and 'FROM' keywords' casing do not match"])
        XCTAssertEqual(try messages("FromAsCasing", "from alpine AS builder\n"), ["'AS' and 'from' keywords' casing do not match"])
        XCTAssertEqual(try messages("FromAsCasing", "FROM alpine AS builder\nfrom alpine as b2\nFrom alpine as b3\n"), [])
    }

    func testNoEmptyContinuation() throws {
        let findings = try run("NoEmptyContinuation", "FROM alpine\nRUN echo a \\\n\n  && echo b\n")
        XCTAssertEqual(findings.map(\.message), ["Empty continuation line"])
        XCTAssertEqual(try messages("NoEmptyContinuation", "FROM alpine\nRUN echo a \\\n  && echo b\n"), [])
    }

    func testConsistentInstructionCasing() throws {
        XCTAssertEqual(
            try messages("ConsistentInstructionCasing", "FROM alpine\nRUN a\nrun b\nRun c\n"),
            ["Command 'run' should match the case of the command majority (uppercase)",
             "Command 'Run' should match the case of the command majority (uppercase)"])
        XCTAssertEqual(
            try messages("ConsistentInstructionCasing", "from alpine\nrun a\nRUN b\n"),
            ["Command 'RUN' should match the case of the command majority (lowercase)"])
        XCTAssertEqual(try messages("ConsistentInstructionCasing", "FROM alpine\nRUN a\nCMD b\n"), [])
    }
}
