import XCTest
@testable import BuildChecks

final class StageRulesTests: LintTestCase {
    func testDuplicateStageName() throws {
        let df = "FROM alpine AS base\nFROM alpine AS BASE\nFROM alpine AS other\n"
        XCTAssertEqual(try messages("DuplicateStageName", df), ["Duplicate stage name \"base\", stage names should be unique"])
        XCTAssertEqual(try lines("DuplicateStageName", df), [2])
        XCTAssertEqual(try messages("DuplicateStageName", "FROM alpine AS a\nFROM alpine AS b\n"), [])
    }

    func testReservedStageName() throws {
        XCTAssertEqual(try messages("ReservedStageName", "FROM alpine AS scratch\nFROM alpine AS context\n"), [
            "Stage name should not use the same name as reserved stage \"scratch\"",
            "Stage name should not use the same name as reserved stage \"context\"",
        ])
        XCTAssertEqual(try messages("ReservedStageName", "FROM scratch AS base\n"), [])
    }

    func testMultipleInstructionsDisallowed() throws {
        let df = "FROM alpine\nCMD [\"a\"]\nENTRYPOINT [\"x\"]\nCMD [\"b\"]\nHEALTHCHECK NONE\nFROM alpine\nCMD [\"c\"]\n"
        XCTAssertEqual(try messages("MultipleInstructionsDisallowed", df),
                       ["Multiple CMD instructions should not be used in the same stage because only the last one will be used"])
        XCTAssertEqual(try lines("MultipleInstructionsDisallowed", df), [2])
        XCTAssertEqual(try messages("MultipleInstructionsDisallowed", "FROM alpine\nCMD [\"a\"]\nFROM alpine\nCMD [\"b\"]\n"), [])
    }

    func testInvalidDefinitionDescription() throws {
        let bad = "# this is the builder\nFROM alpine AS builder\n# the version\nARG VERSION=1\n"
        XCTAssertEqual(try messages("InvalidDefinitionDescription", bad), [
            "Comment for build stage should follow the format: `# builder <description>`",
            "Comment for build argument should follow the format: `# VERSION <description>`",
        ])
        let good = "# builder compiles the app\nFROM alpine AS builder\n# VERSION of the app\nARG VERSION=1\nARG A B\n"
        XCTAssertEqual(try messages("InvalidDefinitionDescription", good), [])
    }

    func testInvalidDefinitionDescriptionIsExperimental() throws {
        let df = "# this is the builder\nFROM alpine AS builder\n"
        let tree = try input(df).tree
        XCTAssertFalse(Linter().run(CheckInput(tree: tree)).contains { $0.rule == "InvalidDefinitionDescription" })
        let config = try CheckConfig(directive: "experimental=InvalidDefinitionDescription")
        XCTAssertTrue(Linter(config: config).run(CheckInput(tree: tree)).contains { $0.rule == "InvalidDefinitionDescription" })
    }
}
