import Foundation
import ImageArchive
import ImageSpec
import TestVectors
import XCTest

/// Archives read by other tools: the conformance suite's compare.py and skopeo.
final class InteropTests: ArchiveTestCase {
    func testComparePyListsExportedArchives() async throws {
        let (a, image) = try await storeWithBusybox()
        let compare = Vectors.shared.appendingPathComponent("conformance/compare.py").path
        for format in ArchiveFormat.allCases {
            let file = path("busybox-\(format).tar")
            try await ImageExporter(store: a).export([image], format: format, to: file)
            guard let (status, output) = try runTool(["python3", compare, "--list", file]) else {
                throw XCTSkip("python3 is not installed")
            }
            XCTAssertEqual(status, 0, output)
            XCTAssertTrue(output.contains("/bin/busybox"), output)
        }
        // The same image either way.
        let docker = try runTool(["python3", compare, path("busybox-docker.tar"), path("busybox-oci.tar")])
        XCTAssertEqual(docker?.0, 0, docker?.1 ?? "")
    }

    func testSkopeoReadsDockerArchive() async throws {
        let (a, image) = try await storeWithBusybox()
        let file = path("busybox.tar")
        try await ImageExporter(store: a).export([image], format: .docker, to: file)
        guard let (status, output) = try runTool(["skopeo", "inspect", "docker-archive:" + file]) else {
            throw XCTSkip("skopeo is not installed")
        }
        XCTAssertEqual(status, 0, output)
        let id = try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor)
        let config = try XCTUnwrap(try runTool(["skopeo", "inspect", "--config", "docker-archive:" + file]))
        XCTAssertEqual(Digest.sha256(of: Data(config.1.utf8)).description == id.description || config.1.contains("\"diff_ids\""), true)

        let layout = path("copied")
        let copy = try XCTUnwrap(try runTool(["skopeo", "copy", "docker-archive:" + file, "oci:" + layout + ":busybox"]))
        XCTAssertEqual(copy.0, 0, copy.1)
        // skopeo's OCI layout (config converted to OCI's media type) loads back with the same layers.
        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: layout)
        let idB = try ArchiveImageResolver(store: b).imageID(of: loaded[0].manifestDescriptor)
        let configA = try JSONDecoder().decode(ImageConfig.self, from: a.read(id))
        let configB = try JSONDecoder().decode(ImageConfig.self, from: b.read(idB))
        XCTAssertEqual(configA.rootfs.diffIDs, configB.rootfs.diffIDs)
    }

    func testSkopeoReadsOCIArchiveAndWritesDockerArchive() async throws {
        let (a, image) = try await storeWithBusybox()
        let file = path("busybox-oci.tar")
        try await ImageExporter(store: a).export([image], format: .oci, to: file)
        guard let (status, output) = try runTool(["skopeo", "inspect", "oci-archive:" + file + ":latest"]) else {
            throw XCTSkip("skopeo is not installed")
        }
        XCTAssertEqual(status, 0, output)
        // skopeo's own docker-archive loads into kiln.
        let skopeoArchive = path("from-skopeo.tar")
        let copy = try XCTUnwrap(try runTool(["skopeo", "copy", "oci-archive:" + file + ":latest", "docker-archive:" + skopeoArchive + ":busybox:skopeo"]))
        XCTAssertEqual(copy.0, 0, copy.1)
        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: skopeoArchive)
        XCTAssertEqual(loaded.first?.references.map(\.familiar), ["busybox:skopeo"])
        XCTAssertEqual(try ArchiveImageResolver(store: b).imageID(of: loaded[0].manifestDescriptor),
                       try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor))
    }
}
