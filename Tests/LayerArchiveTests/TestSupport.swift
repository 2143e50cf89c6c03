import Foundation
import TestVectors
import XCTest
@testable import LayerArchive

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/kiln-layers-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw LayerArchiveError.system("mkdtemp") }
        path = String(cString: made)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func cleanup() {
        _ = try? runProgram("/bin/rm", ["-rf", path])
    }
}

/// Runs a program; returns its standard output; throws when it exits non-zero.
@discardableResult
func runProgram(_ program: String, _ arguments: [String], cwd: String? = nil, input: Data? = nil) throws -> String {
    // posix_spawn + waitpid (runCapturing): Foundation's Process can miss a child's exit under XCTest.
    let result = try runCapturing(program, arguments, stdin: input, cwd: cwd)
    guard result.status == 0 else {
        throw NSError(domain: "run", code: Int(result.status), userInfo: [
            NSLocalizedDescriptionKey: "\(program) \(arguments) failed: \(String(decoding: result.stderr, as: UTF8.self))",
        ])
    }
    return String(decoding: result.stdout, as: UTF8.self)
}

/// A shell command line (for pipelines and globs).
@discardableResult
func sh(_ command: String, cwd: String? = nil) throws -> String {
    try runProgram("/bin/sh", ["-c", command], cwd: cwd)
}

func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// All entries of a tar (headers and contents) read with `TarReader`.
func readAll<S: ByteSource>(_ reader: inout TarReader<S>) throws -> [(TarHeader, [UInt8])] {
    var out: [(TarHeader, [UInt8])] = []
    while let header = try reader.next() {
        out.append((header, try reader.readAllContent()))
    }
    return out
}

func readAll(_ bytes: [UInt8]) throws -> [(TarHeader, [UInt8])] {
    var reader = TarReader(InMemorySource(bytes))
    return try readAll(&reader)
}

/// A tar made with `TarWriter` from (header, content) pairs.
func makeTar(_ entries: [(TarHeader, [UInt8])]) throws -> [UInt8] {
    var writer = TarWriter([UInt8]())
    for (header, content) in entries { try writer.append(header, content: content) }
    try writer.finish()
    return writer.sink
}

/// Asserts that `body` throws a `LayerArchiveError` of `kind`; returns it.
@discardableResult
func assertThrows<T>(_ kind: LayerArchiveError.Kind, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) -> LayerArchiveError? {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error", file: file, line: line)
    } catch let error as LayerArchiveError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return nil
}

/// A deterministic pseudo-random byte pattern.
func pattern(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E3779B97F4A7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
