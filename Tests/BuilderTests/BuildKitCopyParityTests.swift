@testable import Builder
import Foundation
import ImageSpec
import LayerArchive
import XCTest

/// COPY/ADD behaviours of current BuildKit (issue 21), each ported from the frontend test named in
/// its comment (moby/buildkit frontend/dockerfile/dockerfile_add_test.go, dockerfile_copy_test.go).
final class BuildKitCopyParityTests: BuilderTestCase {
    /// A tar at `name` in the context holding `entries` (regular files take their content).
    private func writeTar(_ name: String, _ entries: [(TarHeader, String)], gzip: Bool = false) throws -> Data {
        let path = context.appendingPathComponent(name).path
        var writer = TarWriter(try FileDescriptor.create(writing: path))
        for (header, content) in entries { try writer.append(header, content: Array(content.utf8)) }
        try writer.finish()
        if gzip {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "gzip -n -c '\(path)' > '\(path).gz' && mv '\(path).gz' '\(path)'"]
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    private func mode(_ path: String, in dir: URL) -> UInt32? { info(path, in: dir).map { UInt32($0.st_mode & 0o7777) } }

    // testDockerfileAddArchive (--unpack, Dockerfile 1.17): a local archive is extracted by
    // default and copied as it is with --unpack=false; COPY never extracts; a downloaded archive
    // is copied by default and extracted with --unpack=true.
    func testAddUnpackFlag() async throws {
        let archive = try writeTar("t.tar.gz", [(TarHeader(path: "foo", type: .regular), "content0")], gzip: true)
        var (result, _) = try await build("FROM scratch\nADD t.tar.gz /\n") { _ in }
        XCTAssertEqual(try file("foo", in: result), "content0")
        (result, _) = try await build("FROM scratch\nADD --unpack=false t.tar.gz /\n") { _ in }
        var dir = try unpack(result)
        XCTAssertNil(info("foo", in: dir))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("t.tar.gz")), archive)
        (result, _) = try await build("FROM scratch\nCOPY t.tar.gz /\n") { _ in }
        XCTAssertEqual(try Data(contentsOf: try unpack(result).appendingPathComponent("t.tar.gz")), archive)

        let www = root.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        try archive.write(to: www.appendingPathComponent("t.tar.gz"))
        let server = try StaticFileServer(root: www.path)
        defer { server.stop() }
        (result, _) = try await build("FROM scratch\nADD \(server.baseURL)/t.tar.gz /\n") { _ in }
        dir = try unpack(result)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("t.tar.gz")), archive)
        XCTAssertNil(info("foo", in: dir))
        (result, _) = try await build("FROM scratch\nADD --unpack=true \(server.baseURL)/t.tar.gz /dest/\n") { _ in }
        XCTAssertEqual(try file("dest/foo", in: result), "content0")
        // source/http writes a download 0600 (testAddURLChmod covers octal modes); a symbolic
        // --chmod starts from those bits.
        (result, _) = try await build("FROM scratch\nADD --chmod=g+r \(server.baseURL)/t.tar.gz /plain\nADD --chmod=u+x \(server.baseURL)/t.tar.gz /exe\n") { _ in }
        dir = try unpack(result)
        XCTAssertEqual(mode("plain", in: dir), 0o640)
        XCTAssertEqual(mode("exe", in: dir), 0o700)
        // moby/buildkit#386: a downloaded archive under a new name is a file of that name.
        (result, _) = try await build("FROM scratch\nADD \(server.baseURL)/t.tar.gz /newname.tar.gz\n") { _ in }
        XCTAssertEqual(try Data(contentsOf: try unpack(result).appendingPathComponent("newname.tar.gz")), archive)
    }

    // testCopySocket: a socket in the context arrives as a regular (empty) file.
    func testCopySocketBecomesRegularFile() async throws {
        let path = context.appendingPathComponent("socket.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        XCTAssertEqual(chmod(path, 0o600), 0)
        let (result, _) = try await build("FROM scratch\nCOPY . /\n") { _ in }
        let dir = try unpack(result)
        let stat = try XCTUnwrap(info("socket.sock", in: dir))
        XCTAssertEqual(stat.st_mode & S_IFMT, S_IFREG)
        XCTAssertEqual(stat.st_size, 0)
        XCTAssertEqual(stat.st_mode & 0o7777, 0o600)
    }

    // testDockerfileAddArchiveThroughAbsoluteSymlink: an archive whose entries go through an
    // absolute symlink of the image (var/run -> /run) lands where the symlink points, hard links
    // included; the symlink stays.
    func testAddArchiveThroughAbsoluteSymlink() async throws {
        _ = try writeTar("rootfs.tar", [
            (TarHeader(path: "run/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/run", type: .symlink, mode: 0o777, linkName: "/run"), ""),
        ])
        let head = "ref: refs/heads/main\n"
        _ = try writeTar("payload.tar", [
            (TarHeader(path: "var/run/act/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/run/act/actions/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/run/act/actions/broad/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/run/act/actions/broad/.git/", type: .directory, mode: 0o755), ""),
            (TarHeader(path: "var/run/act/actions/broad/.git/HEAD", type: .regular, mode: 0o644), head),
            (TarHeader(path: "var/run/act/actions/broad/.git/HEAD.link", type: .hardlink, mode: 0o644,
                       linkName: "var/run/act/actions/broad/.git/HEAD"), ""),
        ])
        let (result, _) = try await build("FROM scratch\nADD rootfs.tar /\nADD payload.tar /\n") { _ in }
        let dir = try unpack(result)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("run/act/actions/broad/.git/HEAD"), encoding: .utf8), head)
        let file = try XCTUnwrap(info("run/act/actions/broad/.git/HEAD", in: dir))
        let link = try XCTUnwrap(info("run/act/actions/broad/.git/HEAD.link", in: dir))
        XCTAssertEqual(file.st_ino, link.st_ino, "HEAD.link is a hard link of HEAD")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("var/run").path), "/run")
        // Implied parents (moby/moby#53257, testDockerfileAddArchiveWithImpliedParentDir) are made.
        _ = try writeTar("t.tar", [(TarHeader(path: "etc/dnf/", type: .directory, mode: 0o755), ""),
                                   (TarHeader(path: "etc/dnf/dnf.conf", type: .regular), "content0")])
        let (implied, _) = try await build("FROM scratch\nADD t.tar /\n") { _ in }
        XCTAssertEqual(try self.file("etc/dnf/dnf.conf", in: implied), "content0")
    }

    // testCopyChmod (moby/buildkit 75c457af; fsutil copy.Copy makes missing parents with the
    // copy's mode): --chmod sets the copied file's bits and those of the directories it creates;
    // an existing directory keeps its own.
    func testChmodAppliesToCreatedParents() async throws {
        try write("foo", "foo-contents")
        try write("bar", "bar-contents")
        _ = chmod(context.appendingPathComponent("foo").path, 0o600)
        _ = chmod(context.appendingPathComponent("bar").path, 0o700)
        let dockerfile = """
        FROM scratch
        COPY --chmod=0644 foo /
        COPY --chmod=777 bar /baz
        COPY --chmod=0 foo /foobis
        COPY --chmod=777 foo /parent/foo
        COPY --chmod=770 foo /parent/sub/foo
        ARG mode
        COPY --chmod=${mode} foo /footer
        """
        let (result, _) = try await build(dockerfile) { $0.buildArgs = ["mode": "755"] }
        let dir = try unpack(result)
        XCTAssertEqual(mode("foo", in: dir), 0o644)
        XCTAssertEqual(mode("baz", in: dir), 0o777)
        XCTAssertEqual(mode("foobis", in: dir), 0)
        XCTAssertEqual(mode("parent", in: dir), 0o777)
        XCTAssertEqual(mode("parent/sub", in: dir), 0o770)
        XCTAssertEqual(mode("footer", in: dir), 0o755)
        // Without --chmod, created parents are 0755.
        let (plain, _) = try await build("FROM scratch\nCOPY foo /a/b/foo\n") { _ in }
        XCTAssertEqual(mode("a/b", in: try unpack(plain)), 0o755)
    }

    // testChmodNonOctal (Dockerfile 1.14, moby/buildkit e42889df): symbolic modes act on each
    // copied entry's own bits as chmod(1) does; the expected bits come from the host's chmod.
    func testSymbolicChmod() async throws {
        let cases: [(dst: String, mode: String, isDir: Bool)] = [
            ("f1", "go-w", false), ("f2", "u=rw,g=r,o=r", false), ("f3", "a+X", false),
            ("d1", "go-w", true), ("d2", "u+rw,g+r,o-x,o+w", true), ("d3", "a+X", true),
            ("f4", "u+x,g=u", false), ("d4", "a=rX", true), ("f5", "u+s", false),
        ]
        var dockerfile = "FROM scratch\n"
        let expected = root.appendingPathComponent("expected")
        try FileManager.default.createDirectory(at: expected, withIntermediateDirectories: true)
        for c in cases {
            if c.isDir {
                // COPY copies a directory's contents: the directory to chmod is one level down.
                let path = context.appendingPathComponent("input/\(c.dst)/\(c.dst)")
                try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
                XCTAssertEqual(chmod(path.path, 0o124), 0)
                dockerfile += "COPY --chmod=\(c.mode) input/\(c.dst) /\n"
                try FileManager.default.createDirectory(at: expected.appendingPathComponent(c.dst), withIntermediateDirectories: true)
                XCTAssertEqual(chmod(expected.appendingPathComponent(c.dst).path, 0o124), 0)
            } else {
                try write("input/file-\(c.dst)", "x")
                XCTAssertEqual(chmod(context.appendingPathComponent("input/file-\(c.dst)").path, 0o666), 0)
                dockerfile += "COPY --chmod=\(c.mode) input/file-\(c.dst) /\(c.dst)\n"
                try Data("x".utf8).write(to: expected.appendingPathComponent(c.dst))
                XCTAssertEqual(chmod(expected.appendingPathComponent(c.dst).path, 0o666), 0)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/chmod")
            process.arguments = [c.mode, expected.appendingPathComponent(c.dst).path]
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
        }
        let (result, _) = try await build(dockerfile) { _ in }
        let dir = try unpack(result)
        for c in cases {
            XCTAssertEqual(mode(c.dst, in: dir), mode(c.dst, in: expected), "--chmod=\(c.mode) on \(c.dst)")
        }
        // Without u/g/o/a a clause changes every class (BuildKit parses with umask 0).
        try write("plain", "p")
        _ = chmod(context.appendingPathComponent("plain").path, 0o644)
        // `t` or `s` for "other" alone changes nothing (BSD setmode, unlike GNU chmod's o+t).
        let (plus, _) = try await build("""
            FROM scratch
            COPY --chmod=+x plain /plain
            COPY --chmod=-r plain /unreadable
            COPY --chmod=o+t,o+s plain /other
            COPY --chmod=+t plain /sticky
            """) { _ in }
        let plusDir = try unpack(plus)
        XCTAssertEqual(mode("plain", in: plusDir), 0o755)
        XCTAssertEqual(mode("unreadable", in: plusDir), 0o200)
        XCTAssertEqual(mode("other", in: plusDir), 0o644)
        XCTAssertEqual(mode("sticky", in: plusDir), 0o1644)
        await assertBuildFails("FROM scratch\nCOPY --chmod=u+q plain /\n", line: 2,
                               ["invalid chmod parameter: 'u+q'. it should be octal string and between 0 and 07777"])
    }
}
