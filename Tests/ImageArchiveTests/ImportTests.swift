import Foundation
import ImageArchive
import ImageSpec
import ImageStore
import LayerArchive
import XCTest

final class ImportTests: ArchiveTestCase {
    func testImportWithChanges() async throws {
        let rootfs = try Self.layerTar("bin/tool", "#!/bin/sh\n")
        var gz = try GzipCompressor(sink: [UInt8]())
        try gz.write(rootfs)
        try gz.finish()
        let file = try write(gz.sink, "rootfs.tar.gz")
        let store = try makeStore("s")
        let reference = try ImageReference(parsing: "imported:1")
        let image = try await ImageLoader(store: store).importRootfs(
            from: file, reference: reference,
            changes: [#"CMD ["/bin/tool","-v"]"#, "ENV A=b C=d", #"ENV Q="q r" P=$A/x"#, "EXPOSE 80 53/udp", #"LABEL x=y "with space"="$C""#, "USER 1000:1000",
                      "VOLUME /data", "WORKDIR /app", "WORKDIR sub", "ONBUILD RUN echo hi"],
            message: nil, platform: try Platform(os: "linux", architecture: "amd64"))
        XCTAssertEqual(try store.resolve(reference)?.digest, image.manifestDescriptor.digest)
        let id = try ArchiveImageResolver(store: store).imageID(of: image.manifestDescriptor)
        let configBytes = try store.read(id)
        let config = try JSONDecoder().decode(ImageConfig.self, from: configBytes)
        XCTAssertEqual(config.rootfs.diffIDs, [Digest.sha256(of: rootfs)], "diffID of the uncompressed stream")
        XCTAssertEqual(config.config.cmd, ["/bin/tool", "-v"])
        XCTAssertEqual(config.config.env, ["A=b", "C=d", "Q=q r", "P=b/x"])
        XCTAssertEqual(config.config.exposedPorts, ["80/tcp", "53/udp"])
        XCTAssertEqual(config.config.labels, ["x": "y", "with space": "d"])
        XCTAssertEqual(config.config.user, "1000:1000")
        XCTAssertEqual(config.config.volumes, ["/data"])
        XCTAssertEqual(config.config.workingDir, "/app/sub")
        XCTAssertEqual(config.config.onBuild, ["RUN echo hi"])
        XCTAssertEqual(config.history.count, 1)
        XCTAssertEqual(config.history[0].comment, "Imported from -")
        XCTAssertNil(config.history[0].createdBy)
        let raw = try JSONSerialization.jsonObject(with: configBytes) as! [String: Any]
        XCTAssertEqual(raw["comment"] as? String, "Imported from -")
        XCTAssertEqual(raw["architecture"] as? String, "amd64")

        // The layer blob is the input stream, uncompressed (compressed only when the image leaves the machine).
        let manifest = try JSONDecoder().decode(Manifest.self, from: store.read(image.manifestDescriptor.digest))
        XCTAssertEqual(manifest.layers.count, 1)
        XCTAssertEqual(manifest.layers[0].mediaType, .ociLayer)
        XCTAssertEqual(manifest.layers[0].digest, Digest.sha256(of: Data(rootfs)))
        XCTAssertEqual(Array(try Data(contentsOf: store.open(manifest.layers[0].digest))), rootfs)
    }

    func testImportMessageEntrypointAndShellForm() async throws {
        let file = try write(try Self.layerTar(), "rootfs.tar")
        let store = try makeStore("s")
        let image = try await ImageLoader(store: store).importRootfs(
            from: file, reference: nil, changes: ["CMD echo one", "ENTRYPOINT /bin/sh -c 'x'"], message: "my message",
            platform: try Platform(os: "linux", architecture: "arm64", variant: "v8"))
        let config = try JSONDecoder().decode(ImageConfig.self, from: store.read(ArchiveImageResolver(store: store).imageID(of: image.manifestDescriptor)))
        XCTAssertEqual(config.config.cmd, ["/bin/sh", "-c", "echo one"], "CMD set before ENTRYPOINT stays")
        XCTAssertEqual(config.config.entrypoint, ["/bin/sh", "-c", "/bin/sh -c 'x'"])
        XCTAssertEqual(config.history.first?.comment, "my message")
        XCTAssertEqual(config.platform.architecture, "arm64")
        XCTAssertTrue(try store.list().isEmpty)
    }

    func testInvalidChangesAndInputsAreRejected() async throws {
        let file = try write(try Self.layerTar(), "rootfs.tar")
        let store = try makeStore("s")
        let loader = ImageLoader(store: store)
        let platform = try Platform(os: "linux", architecture: "amd64")
        for change in ["RUN echo hi", "FROM busybox", "COPY a b", "EXPOSE notaport"] {
            do {
                _ = try await loader.importRootfs(from: file, reference: nil, changes: [change], message: nil, platform: platform)
                XCTFail("\(change) should be refused")
            } catch let error as ArchiveError {
                XCTAssertEqual(error.code, .invalidChange, "\(change): \(error)")
            }
        }
        let notTar = try write(Array(repeating: 7, count: 2000), "garbage")
        do {
            _ = try await loader.importRootfs(from: notTar, reference: nil, changes: [], message: nil, platform: platform)
            XCTFail("garbage is not a tar")
        } catch let error as ArchiveError {
            XCTAssertEqual(error.code, .invalidArchive)
        }
    }
}
