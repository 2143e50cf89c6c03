import XCTest
import TestVectors
@testable import DockerfileSyntax

/// Every parser vector in shared/vectors: AST dumps, negative cases, heredocs, JSON, words, lines.
final class ParserVectorTests: XCTestCase {
    /// `parser/<case>/Dockerfile` must parse and `dump() + "\n"` must equal `result` byte for byte.
    func testDumpCases() throws {
        let cases = try Vectors.cases(in: "parser")
        XCTAssertFalse(cases.isEmpty, "no parser vectors found")
        var passed = 0
        for name in cases {
            let source = Array(try Vectors.data("parser/\(name)/Dockerfile"))
            let expected = try Vectors.text("parser/\(name)/result")
            do {
                let actual = try DockerfileParser.parse(source).dump() + "\n"
                if actual == expected {
                    passed += 1
                } else {
                    XCTFail("parser/\(name): dump differs\n\(firstDifference(expected: expected, actual: actual))")
                }
            } catch {
                XCTFail("parser/\(name): unexpected error \(error) at \(String(describing: error.range))")
            }
        }
        print("parser dump vectors: \(passed)/\(cases.count) passed")
    }

    func testNegativeCases() throws {
        let cases = try Vectors.cases(in: "parser-negative")
        XCTAssertFalse(cases.isEmpty)
        for name in cases {
            let source = Array(try Vectors.data("parser-negative/\(name)/Dockerfile"))
            do {
                let tree = try DockerfileParser.parse(source)
                XCTFail("parser-negative/\(name): parsed, expected an error; dump:\n\(tree.dump())")
            } catch {
                XCTAssertNotNil(error.range, "parser-negative/\(name): error without location")
            }
        }
    }

    func testHeredocParse() throws {
        for record in try Vectors.records("parser-extra/heredoc_parse.json") {
            let test = record["test"] as? String ?? "?"
            let dockerfile = try XCTUnwrap(record["dockerfile"] as? String)
            let tree: SyntaxTree
            do {
                tree = try DockerfileParser.parse(dockerfile)
            } catch {
                XCTFail("\(test): unexpected error \(error)")
                continue
            }
            for child in record["children"] as? [[String: Any]] ?? [] {
                let index = try XCTUnwrap(child["child_index"] as? Int)
                guard tree.nodes.indices.contains(index) else {
                    XCTFail("\(test): no child \(index) (have \(tree.nodes.count))")
                    continue
                }
                let expected = (child["heredocs"] as? [[String: Any]] ?? []).map { h in
                    Heredoc(
                        name: h["Name"] as? String ?? "", content: h["Content"] as? String ?? "",
                        expand: h["Expand"] as? Bool ?? false, chomp: h["Chomp"] as? Bool ?? false,
                        fileDescriptor: h["FileDescriptor"] as? Int ?? 0)
                }
                XCTAssertEqual(tree.nodes[index].heredocs, expected,
                               "\(test) child \(index) `\(tree.nodes[index].original)`")
            }
        }
    }

    func testHeredocHelpers() throws {
        for record in try Vectors.records("parser-extra/heredoc_helpers.json") {
            let input = record["input"] as? String ?? ""
            switch record["fn"] as? String {
            case "ParseHeredoc":
                let outcome: String
                var name: String?
                do {
                    if let marker = try DockerfileParser.parseHeredocWord(Array(input.utf8)) {
                        outcome = "heredoc"
                        name = String(decoding: marker.name, as: UTF8.self)
                    } else {
                        outcome = "none"
                    }
                } catch {
                    outcome = "error"
                }
                XCTAssertEqual(outcome, record["result"] as? String, "ParseHeredoc(\(input.debugDescription))")
                if let expectedName = record["name"] as? String {
                    XCTAssertEqual(name, expectedName, "ParseHeredoc(\(input.debugDescription)) name")
                }
            case "heredocsFromLine":
                let bytes = Array(input.utf8)
                let names = try DockerfileParser.heredocMarkers(bytes, 0..<bytes.count)
                    .map { String(decoding: $0.name, as: UTF8.self) }
                XCTAssertEqual(names, record["names"] as? [String] ?? [], "heredocsFromLine(\(input.debugDescription))")
            case "ChompHeredocContent":
                XCTAssertEqual(Heredoc.chomp(input), record["output"] as? String)
            default:
                XCTFail("unknown record \(record)")
            }
        }
    }

    func testJSONArrays() throws {
        for record in try Vectors.records("parser-extra/json_arrays.json") {
            let input = try XCTUnwrap(record["input"] as? String)
            let outcome = JSONArgs.parse(input)
            if let expected = record["result"] as? [String] {
                XCTAssertEqual(outcome, .strings(expected.map { Array($0.utf8) }), "JSON \(input.debugDescription)")
            } else {
                XCTAssertEqual(outcome, .notStringArray, "JSON \(input.debugDescription)")
            }
        }
    }

    func testParseWords() throws {
        for record in try Vectors.records("parser-extra/parse_words.json") {
            let input = try XCTUnwrap(record["input"] as? String)
            XCTAssertEqual(DockerfileParser.splitWords(input), record["words"] as? [String], "parseWords(\(input.debugDescription))")
        }
    }

    func testLineNumbers() throws {
        let json = try JSONSerialization.jsonObject(with: try Vectors.data("parser-extra/testfile-line/expected.json"))
        let expected = try XCTUnwrap(json as? [String: Any])
        let tree = try DockerfileParser.parse(Array(try Vectors.data("parser-extra/testfile-line/Dockerfile")))
        XCTAssertEqual(tree.range?.start.line, expected["ast_start_line"] as? Int, "AST start line")
        XCTAssertEqual(tree.range?.end.line, expected["ast_end_line"] as? Int, "AST end line")
        let children = try XCTUnwrap(expected["children"] as? [[Int]])
        XCTAssertEqual(tree.nodes.count, children.count)
        for (i, pair) in children.enumerated() where tree.nodes.indices.contains(i) {
            let node = tree.nodes[i]
            XCTAssertEqual([node.range.start.line, node.range.end.line], pair, "child \(i) `\(node.original)`")
        }
    }

    /// The first differing line, as "expected" / "actual", for a readable failure.
    private func firstDifference(expected: String, actual: String) -> String {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? String(e[i]) : "<none>"
            let al = i < a.count ? String(a[i]) : "<none>"
            if el != al { return "line \(i + 1):\n  expected: \(el)\n  actual:   \(al)" }
        }
        return "(only trailing bytes differ)"
    }
}
