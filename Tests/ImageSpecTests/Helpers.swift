import Foundation
import XCTest
@testable import ImageSpec

/// Asserts that `body` throws an ``ImageSpecError`` with `code` whose message contains `fragment`.
func assertImageSpecError<T>(
    _ code: ImageSpecError.Code, _ fragment: String = "", _ label: String = "",
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        let value = try body()
        XCTFail("\(label): expected \(code) error, got \(value)", file: file, line: line)
    } catch let error as ImageSpecError {
        XCTAssertEqual(error.code, code, "\(label): \(error.message)", file: file, line: line)
        if !fragment.isEmpty {
            XCTAssertTrue(error.message.contains(fragment), "\(label): message \"\(error.message)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("\(label): expected ImageSpecError, got \(error)", file: file, line: line)
    }
}

func json(_ text: String) -> Data { Data(text.utf8) }

func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

let hex64a = String(repeating: "a", count: 64)
let hex64b = String(repeating: "b", count: 64)
let sha256a = try! Digest(parsing: "sha256:" + hex64a)
let sha256b = try! Digest(parsing: "sha256:" + hex64b)
