import Containers
import Foundation
import ImageStore
import XCTest

/// `docker logs` over a container's json-file log, through the module (no binary, no container).
final class ContainerLogReaderTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("containers-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    func testTimesTailAndFollowOfAnExitedContainer() throws {
        let containers = ContainerStore(location: StoreLocation(root: root))
        let id = String(repeating: "c", count: 64)
        try FileManager.default.createDirectory(at: containers.folder(id), withIntermediateDirectories: true)
        let lines = [
            #"{"log":"one\n","stream":"stdout","time":"2024-01-02T10:00:00.5Z"}"#,
            #"{"log":"two\n","stream":"stderr","time":"2024-01-02T11:00:00Z"}"#,
            "not json",
            #"{"log":"three\n","stream":"stdout","time":"2024-01-02T12:00:00.25Z"}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: containers.logFile(id))
        try containers.write(ContainerState(status: "exited"), id: id)
        let reader = ContainerLogReader(containers: containers, id: id)
        func read(since: Date? = nil, until: Date? = nil, tail: Int? = nil, follow: Bool = false) -> [String] {
            var seen: [String] = []
            reader.read(since: since, until: until, tail: tail, follow: follow) { seen.append($0.stream + ":" + $0.log) }
            return seen
        }
        XCTAssertEqual(read(), ["stdout:one\n", "stderr:two\n", "stdout:three\n"])
        XCTAssertEqual(read(tail: 1), ["stdout:three\n"])
        let tenThirty = ISO8601DateFormatter().date(from: "2024-01-02T10:30:00Z")!
        XCTAssertEqual(read(since: tenThirty), ["stderr:two\n", "stdout:three\n"])
        XCTAssertEqual(read(until: tenThirty), ["stdout:one\n"])
        // Following an exited container returns after what is there.
        XCTAssertEqual(read(follow: true), ["stdout:one\n", "stderr:two\n", "stdout:three\n"])
    }
}
