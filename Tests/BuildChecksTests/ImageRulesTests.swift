import XCTest
@testable import BuildChecks

final class ImageRulesTests: LintTestCase {
    func testRootUser() throws {
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nRUN true\n"), [1])
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nUSER app\nUSER root\n"), [3])
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nUSER 0:0\n"), [2])
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nUSER root:staff\n"), [2])
        XCTAssertEqual(try lines("RootUser", "FROM alpine AS build\nUSER app\nFROM alpine\nCMD [\"x\"]\n"), [3])
    }

    func testNonRootUser() throws {
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nUSER root\nRUN x\nUSER app\n"), [])
        XCTAssertEqual(try lines("RootUser", "FROM alpine AS base\nUSER 10001\nFROM base\n"), [])
        XCTAssertEqual(try lines("RootUser", "FROM alpine\nUSER rootless\n"), [])
    }

    func testUnpinnedBaseImage() throws {
        XCTAssertEqual(try messages("UnpinnedBaseImage", "FROM alpine\nFROM ubuntu:latest\n"), [
            "Base image 'alpine' has no tag (it means :latest)",
            "Base image 'ubuntu:latest' uses the :latest tag",
        ])
        XCTAssertEqual(try messages("UnpinnedBaseImage", "ARG IMG=node\nFROM $IMG\n"), ["Base image 'node' has no tag (it means :latest)"])
    }

    func testPinnedBaseImages() throws {
        let df = """
            FROM alpine:3.20 AS build
            FROM scratch
            FROM build
            FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            FROM registry.example.com:5000/team/app:1.2

            """
        XCTAssertEqual(try messages("UnpinnedBaseImage", df), [])
    }

    func testBuildToolsInFinalImage() throws {
        XCTAssertEqual(try messages("BuildToolsInFinalImage", "FROM alpine:3.20\nRUN apk add --no-cache build-base git\n"),
                       ["The final image ships build tools installed here: build-base"])
        XCTAssertEqual(try messages("BuildToolsInFinalImage", "FROM debian:12\nRUN apt-get update && apt-get install -y gcc=4:12.2 g++-12 make curl\n"),
                       ["The final image ships build tools installed here: gcc, g++-12, make"])
        XCTAssertEqual(try messages("BuildToolsInFinalImage", "FROM golang:1.22\nRUN go build -o /app .\n"),
                       ["The final image is based on the build toolchain image 'golang:1.22'"])
    }

    func testMultistageBuildKeepsToolsOut() throws {
        let df = """
            FROM alpine:3.20 AS build
            RUN apk add --no-cache build-base
            FROM alpine:3.20
            COPY --from=build /src/app /app
            RUN apk add --no-cache curl

            """
        XCTAssertEqual(try messages("BuildToolsInFinalImage", df), [])
        XCTAssertEqual(try messages("BuildToolsInFinalImage", "FROM eclipse-temurin:21-jre\n"), [])
    }
}
