import XCTest
import TestVectors

final class CLITests: XCTestCase {
    func testVersion() throws {
        let result = try KilnProcess.run(["version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.hasPrefix("kiln version "), result.stdout)
    }

    func testEveryCommandHasHelp() throws {
        for command in [[], ["version"], ["check"], ["debug"], ["debug", "parse"], ["debug", "expand"], ["debug", "ignore"]] {
            let result = try KilnProcess.run(command + ["--help"])
            XCTAssertEqual(result.status, 0, "\(command) --help: \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE:"), "\(command) --help printed no usage")
        }
    }
}
