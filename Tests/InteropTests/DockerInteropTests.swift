import Foundation
import TestVectors
import XCTest

/// kiln and a real Docker engine exchanging images (issue 3): `kiln save` → `docker load` → `docker run`,
/// and `docker save` → `kiln load` → the same history as `docker history`.
///
/// The engine is shared/tools/reference-docker (Debian's docker.io 20.10, no bridge, no iptables); it is
/// installed and started on first use. Skipped when not root or when KILN_SKIP_DOCKER is set.
final class DockerInteropTests: XCTestCase {
    private var shell = Shell()
    private var work: URL!

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root (a Docker engine)") }
        guard ProcessInfo.processInfo.environment["KILN_SKIP_DOCKER"] == nil else { throw XCTSkip("KILN_SKIP_DOCKER is set") }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try shell.startReferenceDocker()
        shell.environment["KILN_ROOT"] = work.appendingPathComponent("store").path
        try shell.check("\(Shell.tools)/local-registry start 5000 && \(Shell.tools)/local-registry seed 5000")
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func testKilnSaveIsLoadedAndRunByDocker() throws {
        let tar = work.appendingPathComponent("kiln-saved.tar").path
        try shell.check("\(Shell.kiln) pull -q 127.0.0.1:5000/busybox:latest")
        try shell.check("\(Shell.kiln) tag 127.0.0.1:5000/busybox:latest kiln-interop/saved:1")
        try shell.check("\(Shell.kiln) save -o \(tar) kiln-interop/saved:1")
        let loaded = try shell.check("/usr/bin/docker load -i \(tar)")
        XCTAssertTrue(loaded.contains("Loaded image: kiln-interop/saved:1"), loaded)
        defer { _ = try? shell.run("/usr/bin/docker rmi -f kiln-interop/saved:1") }
        let ran = try shell.check("/usr/bin/docker run --rm --network=none kiln-interop/saved:1 echo hello-from-a-kiln-image")
        XCTAssertTrue(ran.contains("hello-from-a-kiln-image"), ran)
        // Same image ID (config digest) on both sides.
        let dockerID = try shell.check("/usr/bin/docker image inspect --format '{{.Id}}' kiln-interop/saved:1")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let kilnInspect = try shell.check("\(Shell.kiln) inspect kiln-interop/saved:1")
        XCTAssertTrue(kilnInspect.contains(dockerID), "docker's ID \(dockerID) not in kiln inspect:\n\(kilnInspect)")
    }

    func testDockerSaveLoadsIntoKilnWithTheSameHistory() throws {
        let context = work.appendingPathComponent("ctx")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try "interop\n".write(to: context.appendingPathComponent("note.txt"), atomically: true, encoding: .utf8)
        try """
        FROM 127.0.0.1:5000/busybox:latest
        ENV GREETING=hello
        RUN echo "$GREETING" > /greeting && mkdir -p /srv/app
        COPY note.txt /srv/app/
        WORKDIR /srv/app
        LABEL org.example.kind=interop
        CMD ["cat", "/greeting"]

        """.write(to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        let tar = work.appendingPathComponent("docker-saved.tar").path
        try shell.check("/usr/bin/docker build -q --network=host -t kiln-interop/built:1 \(context.path)")
        defer { _ = try? shell.run("/usr/bin/docker rmi -f kiln-interop/built:1") }
        try shell.check("/usr/bin/docker save -o \(tar) kiln-interop/built:1")
        let loaded = try shell.check("\(Shell.kiln) load -i \(tar)")
        XCTAssertTrue(loaded.contains("kiln-interop/built:1"), loaded)

        let dockerRows = try shell.check("/usr/bin/docker history --no-trunc --format '{{.CreatedBy}}\t{{.Size}}' kiln-interop/built:1")
            .split(separator: "\n").map(String.init)
        let kilnRows = try historyRows(try shell.check("\(Shell.kiln) history --no-trunc --format json kiln-interop/built:1"))
        XCTAssertEqual(kilnRows.count, dockerRows.count, "kiln: \(kilnRows)\ndocker: \(dockerRows)")
        for (kilnRow, dockerRow) in zip(kilnRows, dockerRows) {
            let parts = dockerRow.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(kilnRow.createdBy, parts[0])
            XCTAssertEqual(kilnRow.size == "0B", parts[1] == "0B", "empty-layer mismatch: kiln \(kilnRow), docker \(dockerRow)")
        }
    }

    /// Rows of `kiln history --format json`: JSON lines (docker's `{{json .}}` style) or one JSON array.
    private func historyRows(_ output: String) throws -> [(createdBy: String, size: String)] {
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        var objects: [[String: Any]] = []
        if trimmed.hasPrefix("[") {
            objects = (try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]]) ?? []
        } else {
            for line in trimmed.split(separator: "\n") {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { objects.append(object) }
            }
        }
        return objects.map { object in
            let createdBy = (object["CreatedBy"] ?? object["createdBy"] ?? object["created_by"]) as? String ?? ""
            let size = (object["Size"] ?? object["size"]).map { "\($0)" } ?? ""
            return (createdBy, size)
        }
    }
}
