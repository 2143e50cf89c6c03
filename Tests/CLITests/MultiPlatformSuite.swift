import Foundation
import TestVectors
import XCTest

/// What the multi-platform CLI suites share: the kiln binary as a process, a seeded local registry
/// (shared/tools/local-registry, with the busybox-multi fixture) started on a free port at first use
/// and stopped by the suite's class tearDown, and readers of an OCI layout's blobs.
protocol MultiPlatformSuite: XCTestCase {}

/// The running registry's port (one at a time: a suite stops it before the next starts one).
nonisolated(unsafe) private var multiPlatformRegistryPort: Int?

extension MultiPlatformSuite {
    var kiln: String { KilnProcess.executable.path }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try HostileInputTests.runProcess(kiln, arguments)
    }

    /// The seeded registry's port, starting it on a free port at first use.
    func registry() throws -> Int {
        if let port = multiPlatformRegistryPort { return port }
        let found = try HostileInputTests.runProcess("/usr/bin/python3", ["-c", "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])"])
        let port = Int(found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let tool = Vectors.shared.appendingPathComponent("tools/local-registry").path
        let started = try HostileInputTests.runProcess(tool, ["start", "\(port)"])
        guard started.status == 0, try HostileInputTests.runProcess(tool, ["seed", "\(port)"]).status == 0 else {
            throw XCTSkip("local registry unavailable: \(started.stderr)")
        }
        multiPlatformRegistryPort = port
        return port
    }

    /// Stops the registry `registry()` started, if any (from the suite's class tearDown).
    static func stopRegistry() {
        guard let port = multiPlatformRegistryPort else { return }
        _ = try? HostileInputTests.runProcess(Vectors.shared.appendingPathComponent("tools/local-registry").path, ["stop", "\(port)"])
        multiPlatformRegistryPort = nil
    }

    /// The text of blob `digest` in the OCI layout at `layout`.
    func blob(_ layout: URL, _ digest: String?) throws -> String {
        let hex = try XCTUnwrap(digest?.split(separator: ":").last)
        return try String(contentsOf: layout.appendingPathComponent("blobs/sha256/\(hex)"), encoding: .utf8)
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }
}
