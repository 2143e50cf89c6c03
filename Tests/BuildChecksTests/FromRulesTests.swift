import XCTest
@testable import BuildChecks

final class FromRulesTests: LintTestCase {
    func testUndefinedArgInFrom() throws {
        XCTAssertEqual(try messages("UndefinedArgInFrom", "ARG BASE=alpine\nFROM ${BAS}\n"),
                       ["FROM argument 'BAS' is not declared (did you mean BASE?)"])
        XCTAssertEqual(try messages("UndefinedArgInFrom", "FROM --platform=$PLATFORM alpine\n"),
                       ["FROM argument 'PLATFORM' is not declared"])
        XCTAssertEqual(try messages("UndefinedArgInFrom", "ARG BASE\nFROM --platform=$BUILDPLATFORM ${BASE:-alpine}\n"), [])
    }

    func testInvalidDefaultArgInFrom() throws {
        XCTAssertEqual(try messages("InvalidDefaultArgInFrom", "ARG VERSION\nFROM alpine:$VERSION\n"),
                       ["Default value for ARG alpine:$VERSION results in empty or invalid base image name"])
        XCTAssertEqual(try messages("InvalidDefaultArgInFrom", "ARG IMAGE\nFROM $IMAGE\n"),
                       ["Default value for ARG $IMAGE results in empty or invalid base image name"])
        XCTAssertEqual(try messages("InvalidDefaultArgInFrom", "ARG VERSION=3.20\nFROM alpine:$VERSION\n"), [])
        XCTAssertEqual(try messages("InvalidDefaultArgInFrom", "ARG VERSION\nFROM alpine:${VERSION:-3.20}\n"), [])
    }

    func testRedundantTargetPlatform() throws {
        XCTAssertEqual(try messages("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine\n"),
                       ["Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"])
        XCTAssertEqual(try messages("RedundantTargetPlatform", "FROM --platform=$BUILDPLATFORM alpine\n"), [])
    }

    func testFromPlatformFlagConstDisallowed() throws {
        XCTAssertEqual(try messages("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine AS build\n"),
                       ["FROM --platform flag should not use constant value \"linux/amd64\""])
        XCTAssertEqual(try messages("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine AS build-amd64\n"), [])
        XCTAssertEqual(try messages("FromPlatformFlagConstDisallowed", "FROM --platform=$BUILDPLATFORM alpine\n"), [])
    }

    func testInvalidBaseImagePlatformNeedsResolvedImages() throws {
        let tree = try input("FROM alpine\n").tree
        let rule = try XCTUnwrap(Linter.rule(named: "InvalidBaseImagePlatform"))
        XCTAssertEqual(rule.run(CheckInput(tree: tree)), [])
        let mismatch = BasePlatform(stage: 0, image: "alpine", expected: "linux/amd64", actual: "linux/arm64")
        XCTAssertEqual(rule.run(CheckInput(tree: tree, basePlatforms: [mismatch])).map(\.message),
                       ["Base image alpine was pulled with platform \"linux/arm64\", expected \"linux/amd64\" for current build"])
        let match = BasePlatform(stage: 0, image: "alpine", expected: "linux/amd64", actual: "linux/amd64")
        XCTAssertEqual(rule.run(CheckInput(tree: tree, basePlatforms: [match])), [])
    }
}
