import Foundation
import KilnFuzz
import TestVectors
import XCTest

/// Replays every input the fuzzer found and the seeds, through the body of the target they were
/// found with: `regressions/` and `seeds/` through the Dockerfile frontend, `tar/`, `gzip/` and
/// `documents/` through the tar reader, the gzip reader and the manifest/index/config decoders.
/// None may crash or hang. A crash fails the whole test process, which is the point.
final class FuzzRegressionTests: XCTestCase {
    private func replay(_ folders: [String], target: String) throws -> Int {
        let corpus = Vectors.repositoryRoot.appendingPathComponent("Tests/FuzzCorpus")
        var count = 0
        for folder in folders {
            let dir = corpus.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let data = try Data(contentsOf: dir.appendingPathComponent(name))
                let start = Date()
                FuzzTargets.run(target, Array(data))
                XCTAssertLessThan(Date().timeIntervalSince(start), 5, "\(folder)/\(name) took too long")
                count += 1
            }
        }
        return count
    }

    func testCorpusReplaysWithoutCrashing() throws {
        let count = try replay(["regressions", "seeds"], target: "frontend")
        XCTAssertGreaterThan(count, 0, "no frontend corpus inputs found")
    }

    func testTarReaderCorpusReplaysWithoutCrashing() throws {
        XCTAssertGreaterThan(try replay(["tar"], target: "tar"), 0)
    }

    func testGzipReaderCorpusReplaysWithoutCrashing() throws {
        XCTAssertGreaterThan(try replay(["gzip"], target: "gzip"), 0)
    }

    func testDocumentDecoderCorpusReplaysWithoutCrashing() throws {
        XCTAssertGreaterThan(try replay(["documents"], target: "documents"), 0)
    }
}
