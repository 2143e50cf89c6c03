import XCTest
import TestVectors
@testable import ContextFilter

final class IgnoreFileTests: XCTestCase {
    func testIgnoreFileVectors() throws {
        let records = try Vectors.records("dockerignore/ignorefile.json")
        var passed = 0
        for record in records {
            let id = record["id"] as? Int ?? -1
            let content = record["content"] as? String  // null: no reader
            let expected = record["patterns"] as? [String] ?? []
            do {
                let actual = try IgnoreFile.read(Array((content ?? "").utf8))
                if actual == expected {
                    passed += 1
                } else {
                    XCTFail("ignorefile id \(id) content \(String(describing: content)): expected \(expected), actual \(actual)")
                }
            } catch {
                XCTFail("ignorefile id \(id): unexpected error \(error)")
            }
        }
        print("dockerignore/ignorefile.json: ReadAll \(passed)/\(records.count)")
    }

    func testBOMOnlyOnFirstLine() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        XCTAssertEqual(try IgnoreFile.read(bom + Array("a\n".utf8) + bom + Array("b".utf8)), ["a", "\u{FEFF}b"])
        XCTAssertEqual(try IgnoreFile.read(bom + Array("# comment\nx".utf8)), ["x"])
    }

    func testCommentsOnlyAtColumnZero() throws {
        XCTAssertEqual(try IgnoreFile.read(Array("# c\n  # x\nfoo # not a comment\n".utf8)), ["# x", "foo # not a comment"])
    }

    func testCRLFAndTrimming() throws {
        XCTAssertEqual(try IgnoreFile.read(Array("a\r\n\t b/ \r\n\r\n!  /c/../d\r".utf8)), ["a", "b", "!d"])
    }

    func testCleanAndLeadingSlash() throws {
        XCTAssertEqual(try IgnoreFile.read(Array("/\n//a//b/\n./x\n../y\n!/\n!\n! \n".utf8)),
                       ["/", "a/b", "x", "../y", "!/", "!", "!"])
    }

    func testLineLengthLimit() throws {
        let ok = [UInt8](repeating: UInt8(ascii: "a"), count: IgnoreFile.maxLineLength)
        XCTAssertEqual(try IgnoreFile.read(ok + [10]).first?.utf8.count, IgnoreFile.maxLineLength)
        XCTAssertThrowsError(try IgnoreFile.read(Array("x\n".utf8) + ok + [UInt8(ascii: "a"), 10])) { error in
            XCTAssertEqual((error as? IgnoreFile.ReadError)?.line, 2)
        }
    }

    func testEmptyAndBlank() throws {
        XCTAssertEqual(try IgnoreFile.read([]), [])
        XCTAssertEqual(try IgnoreFile.read(Array("\n\n   \n".utf8)), [])
    }

    func testLocatePrefersDockerfileSpecificFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-ignore-locate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let sub = root.appendingPathComponent("build")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let dockerfile = sub.appendingPathComponent("Dockerfile2")
        try Data("FROM scratch\n".utf8).write(to: dockerfile)

        XCTAssertNil(IgnoreFile.locate(contextDirectory: root, dockerfile: dockerfile))
        XCTAssertEqual(try IgnoreFile.load(contextDirectory: root, dockerfile: dockerfile).patterns, [])

        try Data("foo\n".utf8).write(to: root.appendingPathComponent(".dockerignore"))
        XCTAssertEqual(IgnoreFile.locate(contextDirectory: root, dockerfile: dockerfile)?.lastPathComponent, ".dockerignore")
        XCTAssertEqual(try IgnoreFile.load(contextDirectory: root, dockerfile: nil).patterns, ["foo"])

        try Data("\nbar\n".utf8).write(to: sub.appendingPathComponent("Dockerfile2.dockerignore"))
        XCTAssertEqual(IgnoreFile.locate(contextDirectory: root, dockerfile: dockerfile)?.lastPathComponent, "Dockerfile2.dockerignore")
        XCTAssertEqual(try IgnoreFile.load(contextDirectory: root, dockerfile: dockerfile).patterns, ["bar"])
        // Another Dockerfile in the same folder does not use it.
        XCTAssertEqual(try IgnoreFile.load(contextDirectory: root, dockerfile: sub.appendingPathComponent("Dockerfile")).patterns, ["foo"])
    }
}
