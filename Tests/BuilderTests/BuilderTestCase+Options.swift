import Builder
import Foundation
import LayerArchive
import XCTest

extension BuilderTestCase {
    /// Builds `dockerfile` with the test context and options adjusted by `configure`.
    func build(_ dockerfile: String, configure: (inout BuildOptions) -> Void) async throws -> (BuildResult, [String]) {
        var options = BuildOptions(dockerfileText: dockerfile, contextDirectory: context.path)
        configure(&options)
        let progress = BuildProgress(mode: .quiet)
        let result = try await Builder(options: options, images: service, progress: progress).build()
        return (result, progress.lines)
    }

    /// The built image's filesystem, unpacked (as root: owners kept) into a new directory.
    func unpack(_ result: BuildResult) throws -> URL {
        let dir = root.appendingPathComponent("unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        return dir
    }

    /// `lstat` of `path` under `dir`.
    func info(_ path: String, in dir: URL) -> stat? {
        var s = stat()
        return lstat(dir.appendingPathComponent(path).path, &s) == 0 ? s : nil
    }

    /// Asserts the build fails at `line` with a message containing every one of `fragments`.
    func assertBuildFails(_ dockerfile: String, line: Int, _ fragments: [String], configure: (inout BuildOptions) -> Void = { _ in },
                          file: StaticString = #filePath, lineNumber: UInt = #line) async {
        do {
            _ = try await build(dockerfile, configure: configure)
            XCTFail("expected the build to fail", file: file, line: lineNumber)
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, line, error.message, file: file, line: lineNumber)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "\(error.message) lacks \(fragment)", file: file, line: lineNumber)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: lineNumber)
        }
    }
}
