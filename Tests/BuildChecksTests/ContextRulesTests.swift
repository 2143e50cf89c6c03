import XCTest
@testable import BuildChecks

final class ContextRulesTests: LintTestCase {
    func testMissingDockerignore() throws {
        for source in [".", "./", "*", "/"] {
            XCTAssertEqual(try lines("MissingDockerignore", "FROM alpine\nCOPY \(source) /app\n", files: ["a"]), [2], source)
        }
        XCTAssertEqual(try messages("MissingDockerignore", "FROM alpine\nCOPY . /app\n", files: ["a"], ignore: [".git"]), [])
        XCTAssertEqual(try messages("MissingDockerignore", "FROM alpine\nCOPY src /app\n", files: ["a"]), [])
        XCTAssertEqual(try messages("MissingDockerignore", "FROM alpine AS b\nFROM alpine\nCOPY --from=b . /app\n", files: ["a"]), [])
        XCTAssertEqual(try messages("MissingDockerignore", "FROM alpine\nCOPY . /app\n"), [], "no context given")
    }

    func testCopyIgnoredFile() throws {
        XCTAssertEqual(try messages("CopyIgnoredFile", "FROM alpine\nCOPY secret.txt /x\nADD ./docs /d\n", files: [], ignore: ["secret.txt", "docs"]), [
            "Attempting to Copy file \"secret.txt\" that is excluded by .dockerignore",
            "Attempting to Add file \"./docs\" that is excluded by .dockerignore",
        ])
        XCTAssertEqual(try messages("CopyIgnoredFile", "FROM alpine\nCOPY app.py /x\nCOPY . /y\n", files: [], ignore: ["secret.txt"]), [])
    }

    func testCopyIgnoredFileWholeContextAndExceptions() throws {
        XCTAssertEqual(try messages("CopyIgnoredFile", "FROM alpine\nCOPY . /y\n", files: [], ignore: ["*"]),
                       ["Attempting to Copy file \".\" that is excluded by .dockerignore"])
        XCTAssertEqual(try messages("CopyIgnoredFile", "FROM alpine\nCOPY a /y\n", files: [], ignore: ["a", "!a/b"]), [])
    }
}
