@testable import ContainerRuntime
import Foundation
import XCTest

/// A runtime that passed the probe is remembered for its exact binary only.
final class RuntimeProbeRecordTests: XCTestCase {
    func testARecordNamesTheBinaryAndIsForgottenWhenItChanges() throws {
        guard RuntimeProbeRecord.file() != nil else { throw XCTSkip("no runtime directory for this user") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-probe-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let runtime = dir.appendingPathComponent("runc").path, other = dir.appendingPathComponent("crun").path
        try "#!/bin/sh\n".write(toFile: runtime, atomically: false, encoding: .utf8)
        try "#!/bin/sh\n".write(toFile: other, atomically: false, encoding: .utf8)
        XCTAssertFalse(RuntimeProbeRecord.passed(runtime))
        RuntimeProbeRecord.record(runtime)
        XCTAssertTrue(RuntimeProbeRecord.passed(runtime))
        XCTAssertFalse(RuntimeProbeRecord.passed(other), "another binary is not covered by the record")
        // An upgraded binary (new size and time) is probed again.
        try "#!/bin/sh\nexit 0\n".write(toFile: runtime, atomically: false, encoding: .utf8)
        XCTAssertFalse(RuntimeProbeRecord.passed(runtime))
        XCTAssertFalse(RuntimeProbeRecord.passed(dir.appendingPathComponent("missing").path))
    }
}
