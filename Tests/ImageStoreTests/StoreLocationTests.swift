import Foundation
import XCTest
@testable import ImageStore

final class StoreLocationTests: XCTestCase {
    func testPrecedence() throws {
        let env = ["KILN_ROOT": "/srv/kiln", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"]
        XCTAssertEqual(try StoreLocation.resolve(explicit: "/explicit", environment: env, isRoot: true).root.path, "/explicit")
        XCTAssertEqual(try StoreLocation.resolve(explicit: nil, environment: env, isRoot: true).root.path, "/srv/kiln")
        XCTAssertEqual(try StoreLocation.resolve(explicit: "", environment: ["HOME": "/root"], isRoot: true).root.path, "/var/lib/kiln")
        XCTAssertEqual(try StoreLocation.resolve(environment: ["XDG_DATA_HOME": "/xdg", "HOME": "/home/u"], isRoot: false).root.path, "/xdg/kiln")
        XCTAssertEqual(try StoreLocation.resolve(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"], isRoot: false).root.path, "/home/u/.local/share/kiln")
        XCTAssertEqual(try StoreLocation.resolve(environment: ["HOME": "/home/u", "KILN_ROOT": ""], isRoot: false).root.path, "/home/u/.local/share/kiln")
        XCTAssertThrowsError(try StoreLocation.resolve(environment: [:], isRoot: false)) { error in
            XCTAssertEqual((error as? StoreError)?.code, .invalidRoot)
        }
    }

    func testPaths() throws {
        let location = StoreLocation(root: URL(fileURLWithPath: "/s"))
        XCTAssertEqual(location.indexFile.path, "/s/index.json")
        XCTAssertEqual(location.layoutFile.path, "/s/oci-layout")
        XCTAssertEqual(location.lockFile.path, "/s/kiln/lock")
        let digest = Digest.sha256(of: Data())
        XCTAssertEqual(location.blobPath(digest).path, "/s/blobs/sha256/\(digest.hex)")
    }
}

import ImageSpec
