import ContainerRuntime
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ContainerRunnerTests: XCTestCase {
    private var runtime: OCIRuntime!
    private var state: String!

    override func setUpWithError() throws {
        runtime = try Fixture.runtime()
        state = try Fixture.scratch("state")
    }

    override func tearDown() {
        if let state { try? FileManager.default.removeItem(atPath: state) }
    }

    private var runner: ContainerRunner { ContainerRunner(runtime: runtime, stateDirectory: state) }

    func testEchoOutputIsCaptured() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["echo", "hi"], in: root.rootfs)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "hi\n")
    }

    func testExitStatusAndStderrMerged() async throws {
        let root = try TestRoot(lowerDirs: try Fixture.layers())
        defer { root.tearDown() }
        let result = try await runner.run(["sh", "-c", "echo out; echo err >&2; exit 3"], in: root.rootfs)
        XCTAssertEqual(result.status, 3)
        // runc copies the two streams through separate pipes, so their relative order may vary.
        XCTAssertEqual(result.output.split(separator: "\n").sorted(), ["err", "out"])
    }
}
