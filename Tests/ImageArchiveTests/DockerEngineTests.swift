import Foundation
import ImageArchive
import ImageSpec
import XCTest

/// `docker load` reads kiln's docker-archive and `docker save` output loads into kiln. Needs a
/// reachable Docker engine (e.g. `eval "$(shared/tools/reference-docker start)"`); skipped otherwise.
final class DockerEngineTests: ArchiveTestCase {
    func testDockerLoadsKilnArchiveAndKilnLoadsDockerSave() async throws {
        guard let (status, _) = try runTool(["docker", "version"]), status == 0 else {
            throw XCTSkip("no Docker engine reachable (set DOCKER_HOST, see shared/tools/reference-docker)")
        }
        let (a, image) = try await storeWithBusybox()
        let name = "kiln-archive-test-\(UUID().uuidString.prefix(8).lowercased()):v1"
        let reference = try ImageReference(parsing: name)
        try await a.tag(reference, image.manifestDescriptor)
        let file = path("to-docker.tar")
        try await ImageExporter(store: a).export([ArchiveImage(manifestDescriptor: image.manifestDescriptor, references: [reference])], format: .docker, to: file)
        defer { _ = try? runTool(["docker", "rmi", name]) }
        let load = try XCTUnwrap(try runTool(["docker", "load", "-i", file]))
        XCTAssertEqual(load.0, 0, load.1)
        XCTAssertTrue(load.1.contains("Loaded image: \(name)"), load.1)
        let id = try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor)
        let inspect = try XCTUnwrap(try runTool(["docker", "image", "inspect", "--format", "{{.Id}}", name]))
        XCTAssertEqual(inspect.1.trimmingCharacters(in: .whitespacesAndNewlines), id.description)

        let saved = path("from-docker.tar")
        XCTAssertEqual(try runTool(["docker", "save", "-o", saved, name])?.0, 0)
        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: saved)
        XCTAssertEqual(loaded.first?.references, [reference])
        XCTAssertEqual(try ArchiveImageResolver(store: b).imageID(of: loaded[0].manifestDescriptor), id)
        // Docker's own archive and kiln's are the same bytes apart from tar header mode bits.
        let ours = try Self.tarNames(file), theirs = try Self.tarNames(saved)
        XCTAssertEqual(ours, theirs)
    }
}
