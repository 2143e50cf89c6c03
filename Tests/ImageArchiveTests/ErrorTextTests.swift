import Distribution
import ImageArchive
import ImageSpec
import ImageStore
import Images
import LayerArchive
import XCTest

/// The error types share one formatting (ErrorReporting.ReportableError); their text is what each
/// printed before: the message, then the cause after a colon or in parentheses.
final class ErrorTextTests: XCTestCase {
    func testEachTypeKeepsItsText() {
        XCTAssertEqual(ArchiveError(.io, "cannot read x", cause: "No such file").description, "cannot read x: No such file")
        XCTAssertEqual(ArchiveError(.imageNotFound, "No such image: y").description, "No such image: y")
        XCTAssertEqual(StoreError(.io, "cannot open z", cause: "Permission denied").description, "cannot open z (Permission denied)")
        XCTAssertEqual(StoreError(.corruptStore, "bad index").description, "bad index")
        XCTAssertEqual(LayerArchiveError(.io, "write failed", entry: "etc/passwd").description, "write failed (entry \"etc/passwd\")")
        XCTAssertEqual(LayerArchiveError(.io, "write failed").description, "write failed")
        XCTAssertEqual(ImagesError(.noSuchImage, "No such image: busybox").description, "No such image: busybox")
        XCTAssertEqual(ImageSpecError(.invalidDigest, "invalid digest").description, "invalid digest")
        XCTAssertEqual(RegistryError(.unauthorized, "pull access denied", statusCode: 401,
                                     details: [.init(code: "DENIED", message: "no"), .init(code: "X", message: nil)]).description,
                       "pull access denied (registry says: DENIED: no; X)")
        XCTAssertEqual(RegistryError(.unauthorized, "pull access denied").description, "pull access denied")
    }
}
