import XCTest
import TestVectors
@testable import BuildChecks

final class BuildChecksSmokeTests: XCTestCase {
    func testVectorsAreReachable() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Vectors.root.path), "shared/vectors not found at \(Vectors.root.path)")
    }
}
