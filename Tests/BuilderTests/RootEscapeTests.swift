@testable import Builder
import Foundation
import LayerArchive
import XCTest

/// Issue 12: every operation the builder does in an image's root filesystem from the host goes
/// through ConfinedFS. An earlier RUN plants symlinks to `/..`, to `../../../../../../..`, to a
/// canary directory on the host and to /proc/self/root; the operation goes through them; the
/// canary (and the host's `/`) stays untouched and the result in the image is the path resolved
/// as if the rootfs were `/` — as root and as a non-root user.
final class RootEscapeTests: BuilderTestCase {
    private var canary: String!
    private var id: String!
    private var before: [String] = []

    override func setUp() async throws {
        try await super.setUp()
        id = UUID().uuidString
        canary = "/tmp/kiln-escape-canary-\(id!)"
        try FileManager.default.createDirectory(atPath: canary + "/sub", withIntermediateDirectories: true)
        try Data("root:x:0:0::/root:/bin/sh\nhostuser:x:4242:4343::/:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: canary + "/passwd"))
        try Data("root:x:0:\nhostgroup:x:4343:\n".utf8).write(to: URL(fileURLWithPath: canary + "/group"))
        before = Self.snapshot(canary)
        try write("f", "context file\n")
    }

    override func tearDown() async throws {
        if let canary {
            XCTAssertEqual(Self.snapshot(canary), before, "the host canary changed")
            try? FileManager.default.removeItem(atPath: canary)
        }
        for name in ["wd", "cp", "mt"] {
            let host = "/kiln-\(name)-\(id!)"
            XCTAssertFalse(FileManager.default.fileExists(atPath: host), "created on the host: \(host)")
            try? FileManager.default.removeItem(atPath: host)
        }
        try await super.tearDown()
    }

    /// The RUN that plants the four escape links.
    private var plant: String {
        "RUN ln -s /.. /l-up && ln -s ../../../../../../.. /l-dots && ln -s \(canary!) /l-host && ln -s /proc/self/root /l-self"
    }

    func testWorkdirThroughEscapeLinks() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        for user in ["", "1234:1234"] {
            let dockerfile = """
            FROM \(base)
            \(plant)
            \(user.isEmpty ? "" : "USER \(user)")
            WORKDIR /l-up/kiln-wd-\(id!)/up
            WORKDIR /l-dots/kiln-wd-\(id!)/dots
            WORKDIR /l-host/wd
            WORKDIR /l-self/kiln-wd-\(id!)/self
            WORKDIR /
            """
            let (result, _) = try await build(dockerfile, noCache: true)
            let image = try unpackImage(result)
            let uid: UInt32 = user.isEmpty ? 0 : 1234
            for path in ["/kiln-wd-\(id!)/up", "/kiln-wd-\(id!)/dots", canary + "/wd", "/proc/self/root/kiln-wd-\(id!)/self"] {
                XCTAssertEqual(owner(image + path, type: S_IFDIR), uid, "\(user): \(path)")
            }
        }
    }

    func testCopyChownLooksUpNamesInsideTheImage() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        // /etc/passwd and /etc/group lead to the host's canary files: not readable from the image.
        let error = try await buildError("""
        FROM \(base)
        RUN ln -sf \(canary!)/passwd /etc/passwd && ln -sf /proc/self/root\(canary!)/group /etc/group
        COPY --chown=hostuser:hostgroup f /f
        """)
        XCTAssertTrue(error.message.contains("unable to find user hostuser"), error.message)
        let error2 = try await buildError("""
        FROM \(base)
        RUN ln -sf ../../../../../..\(canary!)/passwd /etc/passwd
        COPY --chown=hostuser f /f
        """)
        XCTAssertTrue(error2.message.contains("unable to find user hostuser"), error2.message)
        // Reached through escape links, the image's own files are used.
        let (result, _) = try await build("""
        FROM \(base)
        RUN echo 'imguser:x:777:778::/:/bin/sh' > /passwd.real && echo 'imggroup:x:779:' > /group.real && \\
            ln -sf ../../../../../../passwd.real /etc/passwd && ln -sf /../group.real /etc/group
        COPY --chown=imguser:imggroup f /f
        COPY --chown=imguser f /g
        """, noCache: true)
        let image = try unpackImage(result)
        XCTAssertEqual(owner(image + "/f", type: S_IFREG), 777)
        XCTAssertEqual(group(image + "/f"), 779)
        XCTAssertEqual(group(image + "/g"), 778)
    }

    func testCopyAndAddDestinationsThroughEscapeLinks() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        for chown in ["", "--chown=1234:1234 "] {
            let dockerfile = """
            FROM \(base)
            \(plant)
            COPY \(chown)f /l-up/kiln-cp-\(id!)/up
            COPY \(chown)f /l-dots/kiln-cp-\(id!)/dots/
            COPY \(chown)f /l-host/cp
            ADD \(chown)f /l-self/kiln-cp-\(id!)/self
            """
            let (result, _) = try await build(dockerfile, noCache: true)
            let image = try unpackImage(result)
            let uid: UInt32 = chown.isEmpty ? 0 : 1234
            for path in ["/kiln-cp-\(id!)/up", "/kiln-cp-\(id!)/dots/f", canary + "/cp", "/proc/self/root/kiln-cp-\(id!)/self"] {
                XCTAssertEqual(owner(image + path, type: S_IFREG), uid, "\(chown): \(path)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: canary + "/cp"))
        }
    }

    func testRunMountTargetsThroughEscapeLinks() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        for user in ["", "1234:1234"] {
            let dockerfile = """
            FROM \(base)
            \(plant)
            \(user.isEmpty ? "" : "USER \(user)")
            RUN --mount=type=bind,target=/l-up/kiln-mt-\(id!)/b cat /kiln-mt-\(id!)/b/f
            RUN --mount=type=cache,target=/l-dots/kiln-mt-\(id!)/c,uid=1234 ls -d /kiln-mt-\(id!)/c && echo cache-ok
            RUN --mount=type=tmpfs,target=/l-host/t ls -d \(canary!)/t && echo tmpfs-ok
            RUN --mount=type=secret,id=s,target=/l-up/kiln-mt-\(id!)/s,uid=1234 cat /kiln-mt-\(id!)/s
            RUN --mount=type=bind,source=f,target=/l-self/kiln-mt-\(id!)/file cat /l-self/kiln-mt-\(id!)/file
            """
            let (_, lines) = try await build(dockerfile, noCache: true) { $0.secrets["s"] = Array("secret-value".utf8) }
            let output = outputLines(lines)
            for expected in ["context file", "cache-ok", "tmpfs-ok", "****"] {
                XCTAssertTrue(output.contains(expected), "\(user): \(expected) missing in \(output)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: canary + "/t"))
        }
    }

    func testEtcFilesThroughEscapeLinks() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        // Planted in an earlier layer (a RUN cannot replace them: they are mounted during RUN).
        let fm = FileManager.default
        try fm.createDirectory(atPath: context.appendingPathComponent("etc").path, withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: context.appendingPathComponent("etc/hosts").path, withDestinationPath: canary + "/hosts")
        try fm.createSymbolicLink(atPath: context.appendingPathComponent("etc/resolv.conf").path,
                                  withDestinationPath: "/proc/self/root" + canary + "/resolv.conf")
        try fm.createSymbolicLink(atPath: context.appendingPathComponent("etc/hostname").path,
                                  withDestinationPath: "../../../../.." + canary + "/hostname")
        for user in ["", "1234:1234"] {
            let dockerfile = """
            FROM \(base)
            COPY etc/ /etc/
            \(user.isEmpty ? "" : "USER \(user)")
            RUN cat /etc/hosts /etc/hostname && ls \(canary!)
            """
            let (_, lines) = try await build(dockerfile, noCache: true)
            let output = outputLines(lines)
            XCTAssertTrue(output.contains(where: { $0.contains("localhost") }), lines.joined(separator: "\n"))
            XCTAssertTrue(output.contains("buildkitsandbox"), lines.joined(separator: "\n"))
            XCTAssertTrue(output.contains("hosts"), "the hosts mountpoint is made inside the image: \(output)")
        }
    }

    // MARK: - helpers

    private func unpackImage(_ result: BuildResult) throws -> String {
        let dir = root.appendingPathComponent("unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        return dir.path
    }

    /// The uid of `path` (in the test's own unpacked tree), nil when missing or of another type.
    private func owner(_ path: String, type: mode_t) -> UInt32? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == type else { return nil }
        return info.st_uid
    }

    private func group(_ path: String) -> UInt32? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_gid
    }

    static func snapshot(_ dir: String) -> [String] {
        var lines: [String] = []
        func walk(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { lines.append("\(path) missing"); return }
            var line = "\(path) \(info.st_mode) \(info.st_uid):\(info.st_gid) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            if info.st_mode & S_IFMT == S_IFREG { line += " " + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?") }
            lines.append(line)
            if info.st_mode & S_IFMT == S_IFDIR {
                for child in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() { walk(path + "/" + child) }
            }
        }
        walk(dir)
        return lines
    }
}
