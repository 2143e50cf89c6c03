import Foundation
import KilnFuzz
import TestVectors
import XCTest

/// Replays every input the fuzzer found (Tests/FuzzCorpus/regressions) and the seeds: none may crash
/// or hang. A crash fails the whole test process, which is the point.
final class FuzzRegressionTests: XCTestCase {
    func testCorpusReplaysWithoutCrashing() throws {
        let corpus = Vectors.repositoryRoot.appendingPathComponent("Tests/FuzzCorpus")
        var count = 0
        for folder in ["regressions", "seeds"] {
            let dir = corpus.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let data = try Data(contentsOf: dir.appendingPathComponent(name))
                let start = Date()
                FrontendFuzz.run(Array(data))
                XCTAssertLessThan(Date().timeIntervalSince(start), 5, "\(folder)/\(name) took too long")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "no corpus inputs found under \(corpus.path)")
    }
}
