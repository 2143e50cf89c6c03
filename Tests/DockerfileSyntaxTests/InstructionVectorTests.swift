import Foundation
import XCTest
import TestVectors
@testable import DockerfileSyntax

/// Runs every record of `shared/vectors/instructions/*.json`.
final class InstructionVectorTests: XCTestCase {
    func testParseErrors() throws {
        let records = try Vectors.records("instructions/parse_errors.json")
        XCTAssertEqual(records.count, 19)
        var passed = 0
        for (i, record) in records.enumerated() {
            let text = record["dockerfile"] as? String ?? ""
            let label = "parse_errors[\(i)] \(text.debugDescription)"
            let tree: SyntaxTree
            do { tree = try TreeSource.tree(text) } catch {
                XCTFail("\(label): parser failed: \(error)")
                continue
            }
            guard let node = tree.nodes.first else { XCTFail("\(label): no instruction"); continue }
            do {
                let instruction = try Instruction.parse(node)
                XCTFail("\(label): expected an error, got \(instruction)")
            } catch {
                if let equals = record["error_equals"] as? String {
                    XCTAssertEqual(error.message, equals, label)
                    if error.message == equals { passed += 1 }
                } else if let contains = record["error_contains"] as? String {
                    XCTAssertTrue(error.description.contains(contains), "\(label): \(error.description) lacks \(contains)")
                    if error.description.contains(contains) { passed += 1 }
                }
                XCTAssertNotNil(error.range, "\(label): error without location")
            }
        }
        print("instructions/parse_errors.json: \(passed)/\(records.count) passed (through DockerfileParser)")
    }

    func testParseOK() throws {
        let records = try Vectors.records("instructions/parse_ok.json")
        XCTAssertEqual(records.count, 17)
        var passed = 0
        for (i, record) in records.enumerated() {
            let text = record["dockerfile"] as? String ?? ""
            let label = "parse_ok[\(i)] \(text.debugDescription)"
            guard let expect = record["expect"] as? [String: Any] else { XCTFail(label); continue }
            do {
                let tree = try TreeSource.tree(text)
                let first = try GoView.object(Instruction.parse(tree.nodes[0]))
                let needsProgram = expect.keys.contains { $0.hasPrefix("stages") || $0.hasPrefix("meta") }
                let whole = needsProgram ? GoView.object(try DockerfileProgram.parse(tree)) : [:]
                var ok = true
                for (path, expected) in expect {
                    let root: Any = path.hasPrefix("stages") || path.hasPrefix("meta") ? whole : first
                    let actual = GoView.lookup(path, in: root)
                    if !GoView.matches(expected, actual) {
                        ok = false
                        XCTFail("\(label): \(path) expected \(expected), got \(String(describing: actual))")
                    }
                }
                if ok { passed += 1 }
            } catch {
                XCTFail("\(label): unexpected error \(error)")
            }
        }
        print("instructions/parse_ok.json: \(passed)/\(records.count) passed (through DockerfileParser)")
    }

    func testRunDevice() throws {
        let records = try Vectors.records("instructions/run_device.json")
        XCTAssertEqual(records.count, 8)
        var passed = 0
        for (i, record) in records.enumerated() {
            let input = record["input"] as? String ?? ""
            let label = "run_device[\(i)] \(input)"
            do {
                let device = try DeviceRequest.parse(input)
                guard let expected = record["expected"] as? [String: Any] else {
                    XCTFail("\(label): expected error \(record["error_equals"] ?? ""), got \(device)")
                    continue
                }
                XCTAssertEqual(device.name, expected["Name"] as? String, label)
                XCTAssertEqual(device.required, expected["Required"] as? Bool, label)
                if device.name == expected["Name"] as? String, device.required == expected["Required"] as? Bool { passed += 1 }
            } catch {
                XCTAssertEqual(error.message, record["error_equals"] as? String, label)
                if error.message == record["error_equals"] as? String { passed += 1 }
            }
        }
        print("instructions/run_device.json: \(passed)/\(records.count) passed")
    }

    func testHandleJSONArgs() throws {
        let records = try Vectors.records("instructions/handle_json_args.json")
        XCTAssertEqual(records.count, 4)
        var passed = 0
        for (i, record) in records.enumerated() {
            let args = record["args"] as? [String] ?? []
            let json = record["json"] as? Bool ?? false
            let expected = record["expected"] as? [String] ?? []
            let actual = ShellCommandLine.handleJSONArgs(args, isJSON: json)
            XCTAssertEqual(actual, expected, "handle_json_args[\(i)]")
            if actual == expected { passed += 1 }
        }
        print("instructions/handle_json_args.json: \(passed)/\(records.count) passed")
    }

    func testCopyHeredocContent() throws {
        let records = try Vectors.records("instructions/copy_heredoc_content.json")
        XCTAssertEqual(records.count, 7)
        var passed = 0
        for (i, record) in records.enumerated() {
            let fragment = record["dockerfile_fragment"] as? String ?? ""
            let label = "copy_heredoc_content[\(i)] \(fragment.debugDescription)"
            do {
                let tree = try TreeSource.tree("FROM scratch\n" + fragment)
                guard case .copy(let copy) = try Instruction.parse(tree.nodes[1]),
                      let content = copy.sources.sourceContents.first else {
                    XCTFail("\(label): not a COPY with a heredoc source"); continue
                }
                let quoted = record["delimiter_quoted"] as? Bool ?? false
                XCTAssertEqual(content.path, "EOF", label)
                XCTAssertEqual(copy.sources.destination, record["file"] as? String, label)
                XCTAssertEqual(content.data, record["body"] as? String, label)
                XCTAssertEqual(content.expand, !quoted, label)
                let bytes = try content.expandedData(HeredocTestExpander.expand)
                XCTAssertEqual(bytes, record["expected_file_content"] as? String, label)
                if bytes == record["expected_file_content"] as? String, content.expand == !quoted { passed += 1 }
            } catch {
                XCTFail("\(label): unexpected error \(error)")
            }
        }
        print("instructions/copy_heredoc_content.json: \(passed)/\(records.count) passed (through DockerfileParser)")
    }
}

/// Stand-in for the builder's heredoc expansion (shell lexer with quote processing off, escape `\`),
/// enough for bodies without variables: `\x` gives `x`; quotes are kept.
enum HeredocTestExpander {
    static func expand(_ text: String) throws -> String {
        var out = ""
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped { out.unicodeScalars.append(scalar); escaped = false; continue }
            if scalar == "\\" { escaped = true; continue }
            out.unicodeScalars.append(scalar)
        }
        if escaped { out += "\\" }
        return out
    }
}
