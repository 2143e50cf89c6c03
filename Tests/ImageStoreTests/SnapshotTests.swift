import Foundation
import XCTest
import ImageSpec
@testable import ImageStore

final class SnapshotTests: StoreTestCase {
    func testChainIDKnownValues() throws {
        // diffIDs: sha256 of "a", "b", "c"; expected values computed with sha256sum.
        let a = try Digest(parsing: "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
        let b = try Digest(parsing: "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d")
        let c = try Digest(parsing: "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6")
        XCTAssertNil(ChainID.compute(diffIDs: []))
        XCTAssertEqual(ChainID.compute(diffIDs: [a]), a)
        let ab = try Digest(parsing: "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676")
        let abc = try Digest(parsing: "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106")
        XCTAssertEqual(ChainID.compute(diffIDs: [a, b]), ab)
        XCTAssertEqual(ChainID.computeAll(diffIDs: [a, b, c]), [a, ab, abc])
    }

    func testPrepareCommitRemove() throws {
        let chain = Digest.sha256(of: Data("chain".utf8))
        XCTAssertFalse(store.hasSnapshot(chain))
        let temp = try store.prepareSnapshot(chain)
        try Data("x".utf8).write(to: temp.appendingPathComponent("file"))
        let path = try store.commitSnapshot(chain, from: temp)
        XCTAssertEqual(path, store.snapshotPath(chain))
        XCTAssertTrue(store.hasSnapshot(chain))
        XCTAssertEqual(try Data(contentsOf: path.appendingPathComponent("file")), Data("x".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: temp.path))
        XCTAssertEqual(store.snapshots(), [chain])

        // A second commit of the same chain keeps the first and discards the newcomer.
        let late = try store.prepareSnapshot(chain)
        try Data("y".utf8).write(to: late.appendingPathComponent("file"))
        XCTAssertEqual(try store.commitSnapshot(chain, from: late), path)
        XCTAssertEqual(try Data(contentsOf: path.appendingPathComponent("file")), Data("x".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: late.path))

        XCTAssertTrue(try store.removeSnapshot(chain))
        XCTAssertFalse(store.hasSnapshot(chain))
        XCTAssertFalse(try store.removeSnapshot(chain))
        XCTAssertEqual(tempNames(), [])
    }

    func testEmptySnapshotRaceKeepsOne() throws {
        let chain = Digest.sha256(of: Data("empty".utf8))
        let first = try store.prepareSnapshot(chain)
        let second = try store.prepareSnapshot(chain)
        try store.commitSnapshot(chain, from: first)
        try store.commitSnapshot(chain, from: second)
        XCTAssertTrue(store.hasSnapshot(chain))
        XCTAssertEqual(tempNames(), [])
    }
}
