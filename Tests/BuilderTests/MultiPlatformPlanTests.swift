@testable import Builder
import Foundation
import ImageSpec
import XCTest

/// Issue 19: one plan per target platform, the stages they share, the index they make, and the
/// binfmt_misc check a foreign RUN passes first (on fake handler directories: the machine's own
/// handlers are not touched).
final class MultiPlatformPlanTests: XCTestCase {
    let amd64 = try! Platform(parsing: "linux/amd64")
    let arm64 = try! Platform(parsing: "linux/arm64")

    func options(_ dockerfile: String) -> BuildOptions {
        BuildOptions(dockerfileText: dockerfile, contextDirectory: nil)
    }

    func testPlansHaveTheTargetPlatformArgsAsBuildKitSetsThem() throws {
        let plan = try BuildPlan(options: options("FROM scratch\n"), platform: arm64)
        XCTAssertEqual(plan.platform, arm64)
        XCTAssertEqual(plan.global.value(of: "TARGETPLATFORM"), "linux/arm64")
        XCTAssertEqual(plan.global.value(of: "TARGETARCH"), "arm64")
        XCTAssertEqual(plan.global.value(of: "TARGETOS"), "linux")
        XCTAssertEqual(plan.global.value(of: "BUILDPLATFORM"), Builder.platformArgValue(.host))
    }

    func testABuildPlatformStageWithoutTargetArgsIsSharedAndTheOthersAreNot() throws {
        let dockerfile = """
            FROM --platform=$BUILDPLATFORM busybox AS tool
            RUN echo tool > /tool
            FROM --platform=$BUILDPLATFORM busybox AS cross
            ARG TARGETARCH
            RUN echo $TARGETARCH > /arch
            FROM busybox
            COPY --from=tool /tool /tool
            COPY --from=cross /arch /arch
            RUN uname -m
            """
        let a = try BuildPlan(options: options(dockerfile), platform: amd64).stageKeys(options: options(dockerfile))
        let b = try BuildPlan(options: options(dockerfile), platform: arm64).stageKeys(options: options(dockerfile))
        XCTAssertEqual(a[0], b[0], "the build-platform stage without TARGET args is one stage")
        XCTAssertNotEqual(a[1], b[1], "ARG TARGETARCH imports a different value per platform")
        XCTAssertNotEqual(a[2], b[2], "the final stage runs on each target platform")
    }

    func testAStageNeedingAPlatformSpecificStageIsNotShared() throws {
        let dockerfile = """
            FROM busybox AS base
            FROM --platform=linux/amd64 busybox
            COPY --from=base /bin/sh /sh
            """
        let a = try BuildPlan(options: options(dockerfile), platform: amd64).stageKeys(options: options(dockerfile))
        let b = try BuildPlan(options: options(dockerfile), platform: arm64).stageKeys(options: options(dockerfile))
        XCTAssertNotEqual(a[1], b[1])
    }

    func testTheIndexListsEachManifestWithItsPlatform() throws {
        let one = Descriptor(mediaType: .ociManifest, digest: .sha256(of: Data("a".utf8)), size: 1)
        let two = Descriptor(mediaType: .ociManifest, digest: .sha256(of: Data("b".utf8)), size: 1)
        let images = [PlatformImage(platform: amd64, result: result(one)), PlatformImage(platform: arm64, result: result(two))]
        let index = PlatformIndex.index(images.map(\.manifestDescriptor))
        XCTAssertEqual(index.mediaType, .ociIndex)
        XCTAssertEqual(index.manifests.map(\.digest), [one.digest, two.digest])
        XCTAssertEqual(index.manifests.map { $0.platform?.description }, ["linux/amd64", "linux/arm64"],
                       "arm64 without the implied v8 variant, as BuildKit writes it")
        XCTAssertThrowsError(try MultiPlatformBuild(options: options("FROM scratch"), platforms: [arm64, try Platform(parsing: "linux/arm64/v8")]))
    }

    private func result(_ manifest: Descriptor) -> BuildResult {
        let config = ImageConfig(platform: amd64, config: ContainerConfig())
        return BuildResult(manifestDescriptor: manifest, manifest: Manifest(mediaType: .ociManifest, config: manifest, layers: []),
                           configDescriptor: manifest, config: config, snapshots: [])
    }

    // MARK: - binfmt_misc

    func testAForeignRunNeedsAnEnabledHandlerWithTheFixBinaryFlag() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-binfmt-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let handlers = BinfmtHandlers(directory: dir.path)
        let foreign = Platform.host.normalized().architecture == "arm64" ? amd64 : arm64
        let name = foreign == arm64 ? "qemu-aarch64" : "qemu-x86_64"
        XCTAssertNoThrow(try handlers.checkRunnable(.host), "the host's own architecture needs no emulator")
        XCTAssertThrowsError(try handlers.checkRunnable(foreign)) { error in
            let message = (error as? BuildError)?.message ?? ""
            XCTAssertTrue(message.contains("not mounted") && message.contains("kiln setup-binfmt"), message)
        }
        try Data("enabled\n".utf8).write(to: dir.appendingPathComponent("status"))
        XCTAssertThrowsError(try handlers.checkRunnable(foreign)) { error in
            let message = (error as? BuildError)?.message ?? ""
            XCTAssertTrue(message.contains(name) && message.contains("qemu-user-static"), message)
        }
        let magic = foreign == arm64 ? "7f454c460201010000000000000000000200b700" : "7f454c4602010100000000000000000002003e00"
        let entry = "enabled\ninterpreter /usr/libexec/qemu-binfmt/x-binfmt-P\nflags: %@\noffset 0\nmagic \(magic)\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
        try Data(String(format: entry, "P").utf8).write(to: dir.appendingPathComponent(name))
        XCTAssertThrowsError(try handlers.checkRunnable(foreign)) { error in
            XCTAssertTrue(((error as? BuildError)?.message ?? "").contains("F (fix binary) flag"), "\(error)")
        }
        try Data(String(format: entry, "PF").utf8).write(to: dir.appendingPathComponent(name))
        XCTAssertNoThrow(try handlers.checkRunnable(foreign))
        XCTAssertThrowsError(try handlers.checkRunnable(try Platform(parsing: "linux/riscv64"))) { error in
            XCTAssertTrue(((error as? BuildError)?.message ?? "").contains("qemu-riscv64"), "\(error)")
        }
    }
}
