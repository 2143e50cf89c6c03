import Distribution
import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import Images
import XCTest

final class RoundTripTests: ArchiveTestCase {
    func testBusyboxFixtureLoadsFromLayoutFolder() async throws {
        let store = try makeStore("a")
        let images = try await ImageLoader(store: store).load(from: Self.busyboxFixture)
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0].manifestDescriptor.digest.description, "sha256:e18e8acfca9d134497745905c6f95b163537a278ffacac2270a708727f2b52e1")
        XCTAssertEqual(images[0].references, [], "a bare ref.name tag names nothing")
        XCTAssertTrue(try store.list().isEmpty)
        let healthystore = try await store.check(); XCTAssertTrue(healthystore.isHealthy, "\(healthystore.problems)")
    }

    func testOCIRoundTripKeepsManifestDigest() async throws {
        let (a, image) = try await storeWithBusybox()
        let file = path("busybox-oci.tar")
        try await ImageExporter(store: a).export([image], format: .oci, to: file)
        let names = try Self.tarNames(file)
        XCTAssertTrue(names.contains("oci-layout") && names.contains("index.json") && names.contains("blobs/sha256/" + image.manifestDescriptor.digest.hex))

        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: file)
        XCTAssertEqual(loaded.map(\.manifestDescriptor.digest), [image.manifestDescriptor.digest])
        XCTAssertEqual(loaded[0].references, [Self.busyboxRef])
        XCTAssertEqual(try b.resolve(Self.busyboxRef)?.digest, image.manifestDescriptor.digest)
        let healthyb = try await b.check(); XCTAssertTrue(healthyb.isHealthy, "\(healthyb.problems)")
    }

    func testDockerRoundTripKeepsConfigAndDiffIDs() async throws {
        let (a, image) = try await storeWithBusybox()
        let file = path("busybox-docker.tar")
        try await ImageExporter(store: a).export([image], format: .docker, to: file)

        let b = try makeStore("b")
        let loaded = try await ImageLoader(store: b).load(from: file)
        XCTAssertEqual(loaded.count, 1)
        XCTAssertEqual(loaded[0].references, [Self.busyboxRef])
        let idA = try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor)
        let idB = try ArchiveImageResolver(store: b).imageID(of: loaded[0].manifestDescriptor)
        XCTAssertEqual(idA, idB)
        let config = try JSONDecoder().decode(ImageConfig.self, from: b.read(idB))
        let original = try JSONDecoder().decode(ImageConfig.self, from: a.read(idA))
        XCTAssertEqual(config.rootfs.diffIDs, original.rootfs.diffIDs)
        let healthyb = try await b.check(); XCTAssertTrue(healthyb.isHealthy, "\(healthyb.problems)")

        // And back out of store B as OCI, then into C: still the same image ID.
        let again = path("again.tar")
        try await ImageExporter(store: b).export(loaded, format: .oci, to: again)
        let c = try makeStore("c")
        let loadedC = try await ImageLoader(store: c).load(from: again)
        XCTAssertEqual(try ArchiveImageResolver(store: c).imageID(of: loadedC[0].manifestDescriptor), idA)
    }

    func testDockerArchiveLayout() async throws {
        let (a, image) = try await storeWithBusybox()
        let file = path("layout.tar")
        try await ImageExporter(store: a).export([image], format: .docker, to: file)
        let names = try Self.tarNames(file)
        XCTAssertEqual(names, names.sorted(), "entries are in lexical order like Docker's")
        XCTAssertTrue(names.contains("manifest.json"))
        XCTAssertTrue(names.contains("repositories"))
        let id = try ArchiveImageResolver(store: a).imageID(of: image.manifestDescriptor)
        XCTAssertTrue(names.contains(id.hex + ".json"))
        let layerDirs = names.filter { $0.hasSuffix("/layer.tar") }
        XCTAssertEqual(layerDirs.count, 1)
        let dir = String(layerDirs[0].dropLast("layer.tar".count))
        XCTAssertTrue(names.contains(dir + "VERSION") && names.contains(dir + "json") && names.contains(dir))
        // The v1 ID Docker 20.10.24 `docker save` gives the busybox fixture's layer.
        XCTAssertEqual(dir, "73ab92182016d4c9717cc12b8c098667f60349b72e79748b9ae8d3b92bbcfcb6/")

        let extracted = scratch.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
        XCTAssertEqual(try runTool(["tar", "-xf", file, "-C", extracted.path])?.0, 0)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: extracted.appendingPathComponent("manifest.json"))) as! [[String: Any]]
        XCTAssertEqual(manifest[0]["RepoTags"] as? [String], ["busybox:latest"])
        XCTAssertEqual(manifest[0]["Config"] as? String, id.hex + ".json")
        XCTAssertEqual(manifest[0]["Layers"] as? [String], [layerDirs[0]])
        let repositories = try JSONSerialization.jsonObject(with: Data(contentsOf: extracted.appendingPathComponent("repositories"))) as! [String: [String: String]]
        XCTAssertEqual(repositories["busybox"]?["latest"], String(dir.dropLast()))
        XCTAssertEqual(try String(contentsOf: extracted.appendingPathComponent(dir + "VERSION"), encoding: .utf8), "1.0")
        // Byte for byte what Docker 20.10.24 writes for these files.
        let manifestText = try String(contentsOf: extracted.appendingPathComponent("manifest.json"), encoding: .utf8)
        XCTAssertEqual(manifestText, #"[{"Config":"\#(id.hex).json","RepoTags":["busybox:latest"],"Layers":["\#(layerDirs[0])"]}]"# + "\n")
        let v1 = try String(contentsOf: extracted.appendingPathComponent(dir + "json"), encoding: .utf8)
        XCTAssertTrue(v1.hasPrefix(#"{"id":"73ab92182016d4c9717cc12b8c098667f60349b72e79748b9ae8d3b92bbcfcb6","created":"1970-01-01T00:00:00Z","container_config":{"Hostname":"","Domainname":""#), v1)
        // layer.tar is the uncompressed layer: its sha256 is the diffID.
        let layer = try Data(contentsOf: extracted.appendingPathComponent(layerDirs[0]))
        let config = try JSONDecoder().decode(ImageConfig.self, from: a.read(id))
        XCTAssertEqual(Digest.sha256(of: layer), config.rootfs.diffIDs[0])
    }

    func testSaveByIDHasNoRepoTagsAndResolverFindsPrefixes() async throws {
        let (a, image) = try await storeWithBusybox()
        let resolver = ArchiveImageResolver(store: a)
        let registry = RegistryClient()
        let service = ImageService(store: a, registry: registry, progress: SilentProgress())
        defer { Task { try? await registry.shutdown() } }
        let id = try resolver.imageID(of: image.manifestDescriptor)
        let byID = try await resolver.resolve([String(id.hex.prefix(12))], with: service)
        XCTAssertEqual(byID.map(\.references), [[]])
        XCTAssertEqual(byID.map(\.manifestDescriptor.digest), [image.manifestDescriptor.digest])
        let byName = try await resolver.resolve(["busybox"], with: service)
        XCTAssertEqual(byName.map(\.references), [[Self.busyboxRef]])
        let both = try await resolver.resolve(["busybox:latest", id.description], with: service)
        XCTAssertEqual(both.count, 1)
        // A full manifest digest names the manifest even when nothing tags it.
        let byManifest = try await resolver.resolve([image.manifestDescriptor.digest.description], with: service)
        XCTAssertEqual(byManifest.map(\.references), [[]])
        do {
            _ = try await resolver.resolve(["nosuch:tag"], with: service)
            XCTFail("expected imageNotFound")
        } catch let error as ArchiveError {
            XCTAssertEqual(error.code, .imageNotFound)
            XCTAssertEqual(error.message, "No such image: nosuch:tag")
        }
    }

    func testExportToStdoutPathAndNoLeftoversOnFailure() async throws {
        let (a, image) = try await storeWithBusybox()
        var broken = image
        broken.manifestDescriptor.digest = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        let file = path("never.tar")
        do {
            try await ImageExporter(store: a).export([broken], format: .docker, to: file)
            XCTFail("expected an error")
        } catch {}
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains("never") }, [])
    }
}
