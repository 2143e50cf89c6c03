import Builder
import Foundation
import ImageSpec
import LayerArchive
import XCTest

/// `--isolation chroot`: RUN steps in a chroot of the step's root filesystem, no namespaces, no OCI
/// runtime. Run as root here: the same Dockerfile gives the same files as the oci isolation.
final class ChrootIsolationTests: BuilderTestCase {
    func testChrootBuildGivesTheSameFilesAsOCI() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "from context\n")
        let dockerfile = """
            FROM \(base)
            ARG GREETING=hi
            ENV COLOR=blue
            WORKDIR /work/deep
            COPY a.txt .
            RUN echo "$GREETING $COLOR $(cat a.txt) $(pwd)" > out.txt && id -u >> out.txt
            RUN mkdir -p /home/u && chown 1000:1000 /home/u && chmod 0750 /home/u && ln -s out.txt link \
                && rm /bin/yes && echo gone
            RUN ["touch", "exec-form"]
            USER 1000:1000
            RUN id -u > /home/u/uid.txt && id -g >> /home/u/uid.txt
            """
        let (oci, _) = try await build(dockerfile)
        let (chroot, _) = try await build(dockerfile) { $0.chrootIsolation = true }
        XCTAssertEqual(try file("work/deep/out.txt", in: chroot), "hi blue from context /work/deep\n0\n")
        XCTAssertEqual(try file("home/u/uid.txt", in: chroot), "1000\n1000\n")
        XCTAssertNil(try file("bin/yes", in: chroot))
        XCTAssertEqual(try file("work/deep/exec-form", in: chroot), "")  // exec form: looked up in the image's PATH
        XCTAssertEqual(chroot.manifest.layers.count, oci.manifest.layers.count)
        let ociTree = try tree(oci), chrootTree = try tree(chroot)
        XCTAssertEqual(chrootTree.count, ociTree.count)
        for (path, entry) in ociTree where chrootTree[path] != entry {
            XCTFail("\(path): oci \(entry), chroot \(chrootTree[path] ?? "missing")")
        }
        for path in chrootTree.keys where ociTree[path] == nil { XCTFail("\(path) only in the chroot build") }
    }

    func testChrootFailureNamesExitCodeAndOutput() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        do {
            _ = try await build("FROM \(base)\nRUN echo about to fail >&2 && exit 3\n") { $0.chrootIsolation = true }
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, 2)
            XCTAssertTrue(error.message.contains("exit code: 3"), error.message)
            XCTAssertEqual(error.details.last, "about to fail")
        }
        do {
            _ = try await build("FROM \(base)\nRUN [\"no-such-command\"]\n") { $0.chrootIsolation = true }
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertTrue(error.message.contains("exit code: 127"), error.message)
            XCTAssertTrue(error.details.joined().contains("no-such-command"), "\(error.details)")
        }
    }

    /// RUN --mount (tmpfs, cache, a bind of the context) and a heredoc: kiln mounts them itself; the
    /// layers hold the same files as with oci (mount stubs removed as there), and the cache persists.
    func testChrootRunMountsAndHeredocs() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("ctx.txt", "bound\n")
        let dockerfile = """
            FROM \(base)
            RUN --mount=type=tmpfs,target=/t --mount=type=cache,target=/cache --mount=type=bind,target=/ctx \\
                echo scratch > /t/f && cat /ctx/ctx.txt > /seen && echo cached > /cache/c && ls /t >> /seen
            RUN --mount=type=cache,target=/cache cat /cache/c >> /seen
            RUN <<EOF
            echo from heredoc >> /seen
            test ! -e /t/f && echo tmpfs-gone >> /seen
            EOF
            """
        let (oci, _) = try await build(dockerfile)
        let (chroot, _) = try await build(dockerfile) { $0.chrootIsolation = true }
        XCTAssertEqual(try file("seen", in: chroot), "bound\nf\ncached\nfrom heredoc\ntmpfs-gone\n")
        let ociTree = try tree(oci), chrootTree = try tree(chroot)
        for (path, entry) in ociTree where chrootTree[path] != entry {
            XCTFail("\(path): oci \(entry), chroot \(chrootTree[path] ?? "missing")")
        }
        for path in chrootTree.keys where ociTree[path] == nil { XCTFail("\(path) only in the chroot build") }
    }

    /// Every path of the built image with its type, mode, owner and content (or link target); /proc,
    /// /dev and /sys stubs and the /etc files an OCI runtime provides are left out.
    private func tree(_ result: BuildResult) throws -> [String: String] {
        let dir = root.appendingPathComponent("tree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: dir.path)!
        while let relative = enumerator.nextObject() as? String {
            let path = dir.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            var entry = "\(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid)"
            if (info.st_mode & S_IFMT) == S_IFLNK {
                entry += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                entry += " " + ((try? Data(contentsOf: URL(fileURLWithPath: path)))?.base64EncodedString() ?? "?")
            }
            entries[relative] = entry
        }
        return entries
    }
}
