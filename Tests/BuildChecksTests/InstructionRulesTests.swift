import XCTest
@testable import BuildChecks

final class InstructionRulesTests: LintTestCase {
    func testJSONArgsRecommended() throws {
        XCTAssertEqual(try messages("JSONArgsRecommended", "FROM alpine\nCMD echo hi\nENTRYPOINT run.sh\n"), [
            "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
            "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
        ])
        XCTAssertEqual(try messages("JSONArgsRecommended", "FROM alpine\nCMD [\"echo\", \"hi\"]\n"), [])
        XCTAssertEqual(try messages("JSONArgsRecommended", "FROM alpine\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo hi\n"), [])
        XCTAssertEqual(try messages("JSONArgsRecommended", "FROM alpine AS a\nSHELL [\"/bin/bash\", \"-c\"]\nFROM a\nCMD echo hi\n"), [])
    }

    func testMaintainerDeprecated() throws {
        XCTAssertEqual(try messages("MaintainerDeprecated", "FROM alpine\nMAINTAINER me@example.com\n"),
                       ["Maintainer instruction is deprecated in favor of using label"])
        XCTAssertEqual(try messages("MaintainerDeprecated", "FROM alpine\nLABEL org.opencontainers.image.authors=me\n"), [])
    }

    func testWorkdirRelativePath() throws {
        XCTAssertEqual(try messages("WorkdirRelativePath", "FROM alpine\nWORKDIR app\nWORKDIR sub\n"),
                       ["Relative workdir \"app\" can have unexpected results if the base image changes"])
        XCTAssertEqual(try messages("WorkdirRelativePath", "FROM alpine\nWORKDIR /app\nWORKDIR sub\n"), [])
        XCTAssertEqual(try messages("WorkdirRelativePath", "FROM alpine AS a\nWORKDIR /app\nFROM a\nWORKDIR sub\n"), [])
    }

    func testLegacyKeyValueFormat() throws {
        XCTAssertEqual(try messages("LegacyKeyValueFormat", "FROM alpine\nENV key value\nLABEL k v\n"), [
            "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
            "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format",
        ])
        XCTAssertEqual(try messages("LegacyKeyValueFormat", "FROM alpine\nENV key=value a=\"b c\"\nLABEL k=v\n"), [])
    }

    func testExposeProtoCasing() throws {
        XCTAssertEqual(try messages("ExposeProtoCasing", "FROM alpine\nEXPOSE 80/TcP 443\n"),
                       ["Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"])
        XCTAssertEqual(try messages("ExposeProtoCasing", "FROM alpine\nEXPOSE 80/tcp 53/udp 8080\n"), [])
    }

    func testExposeInvalidFormat() throws {
        XCTAssertEqual(try messages("ExposeInvalidFormat", "FROM alpine\nEXPOSE 127.0.0.1:80:80 8080:80\n"), [
            "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'",
            "EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'",
        ])
        XCTAssertEqual(try messages("ExposeInvalidFormat", "FROM alpine\nEXPOSE 80 443/tcp\n"), [])
    }
}
