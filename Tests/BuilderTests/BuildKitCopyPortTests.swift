import Builder
import Foundation
import XCTest

/// BuildKit's frontend COPY tests that need no container, ported as kiln builds
/// (moby/buildkit frontend/dockerfile/dockerfile_copy_test.go; the name of each test is its
/// source). Checks that BuildKit makes with RUN are made here on the unpacked image.
final class BuildKitCopyPortTests: BuilderTestCase {
    private func symlink(_ target: String, _ name: String) throws {
        try FileManager.default.createSymbolicLink(atPath: context.appendingPathComponent(name).path, withDestinationPath: target)
    }

    private func mkdir(_ name: String) throws {
        try FileManager.default.createDirectory(at: context.appendingPathComponent(name), withIntermediateDirectories: true)
    }

    // testEmptyDestDir: an empty destination (`$empty`) copies into the working directory.
    func testEmptyDestDir() async throws {
        try write("testfile", "contents0")
        let (result, _) = try await build("FROM scratch\nENV empty=\"\"\nCOPY testfile $empty\n") { _ in }
        XCTAssertEqual(try file("testfile", in: result), "contents0")
    }

    // testPreserveDestDirSlash: `COPY testfile /sample/` makes /sample/testfile.
    func testPreserveDestDirSlash() async throws {
        try write("testfile", "contents0")
        let (result, _) = try await build("FROM scratch\nCOPY testfile /sample/\n") { _ in }
        XCTAssertEqual(try file("sample/testfile", in: result), "contents0")
    }

    // testEmptyWildcard: a wildcard matching nothing next to a real source is no error.
    func testEmptyWildcard() async throws {
        try write("foo", "contents0")
        let (result, _) = try await build("FROM scratch\nCOPY foo nomatch* /\n") { _ in }
        XCTAssertEqual(try file("foo", in: result), "contents0")
    }

    // testCopyThroughSymlinkContext: a source path through a context symlink is followed.
    func testCopyThroughSymlinkContext() async throws {
        try mkdir("sub")
        try write("sub/foo", "contents")
        try symlink("sub", "link")
        let (result, _) = try await build("FROM scratch\nCOPY link/foo .\n") { _ in }
        XCTAssertEqual(try file("foo", in: result), "contents")
    }

    // testCopyFollowAllSymlinks (#1197): a directory holding a link that leaves it, then the link
    // itself as a source (followed to the file it names).
    func testCopyFollowAllSymlinks() async throws {
        try write("bar", "bar-contents")
        try mkdir("foo")
        try symlink("../bar", "foo/sub")
        let (result, _) = try await build("FROM scratch\nCOPY foo /\nCOPY foo/sub bar\n") { _ in }
        XCTAssertEqual(try file("bar", in: result), "bar-contents")
        let dir = try unpack(result)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("sub").path), "../bar")
    }

    // testCopySymlinks: a source that is a symlink is copied as its target's content; wildcard
    // matches that are links are followed, through chains of links.
    func testCopySymlinks() async throws {
        try write("bar", "bar-contents")
        try symlink("bar", "foo")
        try mkdir("sub")
        try write("sub/lfile", "lfile-contents")
        try symlink("subfile", "sub/l0")
        try write("sub/subfile", "subfile-contents")
        try symlink("second", "sub/l1")
        try symlink("baz", "sub/second")
        try write("sub/baz", "baz-contents")
        let (result, _) = try await build("FROM scratch\nCOPY foo /\nCOPY sub/l* alllinks/\n") { _ in }
        XCTAssertEqual(try file("foo", in: result), "bar-contents")
        XCTAssertEqual(try file("alllinks/l0", in: result), "subfile-contents")
        XCTAssertEqual(try file("alllinks/lfile", in: result), "lfile-contents")
        XCTAssertEqual(try file("alllinks/l1", in: result), "baz-contents")
    }

    // testCopyOverrideFiles: copying the same directories and files again over themselves works.
    func testCopyOverrideFiles() async throws {
        try write("sub/dir1/dir2/foo", "foo-contents")
        try write("files/foo.go", "foo.go-contents")
        let dockerfile = """
        FROM scratch AS base
        COPY sub sub
        COPY sub sub
        COPY files/foo.go dest/foo.go
        COPY files/foo.go dest/foo.go
        COPY files dest
        """
        let (result, _) = try await build(dockerfile) { _ in }
        XCTAssertEqual(try file("sub/dir1/dir2/foo", in: result), "foo-contents")
        XCTAssertEqual(try file("dest/foo.go", in: result), "foo.go-contents")
    }

    // testCopyWildcards: wildcards in names and directories, `.` and trailing-slash sources.
    func testCopyWildcards() async throws {
        try write("foo.go", "foo-contents")
        try write("bar.go", "bar-contents")
        try write("sub/dir1/dir2/foo", "foo-contents")
        let dockerfile = """
        FROM scratch AS base
        COPY *.go /gofiles/
        COPY f*.go foo2.go
        COPY sub/* /subdest/
        COPY sub/*/dir2/foo /subdest2/
        COPY sub/*/dir2/foo /subdest3/bar
        COPY . all/
        COPY sub/dir1/ subdest4
        COPY sub/dir1/. subdest5
        COPY sub/dir1 subdest6
        """
        let (result, _) = try await build(dockerfile) { _ in }
        for (path, content) in [("gofiles/foo.go", "foo-contents"), ("gofiles/bar.go", "bar-contents"), ("foo2.go", "foo-contents"),
                                ("subdest/dir2/foo", "foo-contents"), ("subdest2/foo", "foo-contents"),
                                ("subdest3/bar", "foo-contents"), ("all/foo.go", "foo-contents"),
                                ("subdest4/dir2/foo", "foo-contents"), ("subdest5/dir2/foo", "foo-contents"),
                                ("subdest6/dir2/foo", "foo-contents")] {
            XCTAssertEqual(try file(path, in: result), content, path)
        }
    }

    // testCopyRelative: relative destinations follow WORKDIR (RUN checks made on the image).
    func testCopyRelative() async throws {
        try write("foo", "hello")
        let dockerfile = """
        FROM scratch
        WORKDIR /test1
        WORKDIR test2
        COPY foo ./
        ADD foo ./bar/baz
        COPY foo ./bar/baz2
        WORKDIR ..
        COPY foo ./
        COPY foo /test3/
        WORKDIR /test4
        COPY . .
        WORKDIR /test5/test6
        COPY foo ../
        """
        let (result, _) = try await build(dockerfile) { _ in }
        XCTAssertEqual(result.config.config.workingDir, "/test5/test6")
        for path in ["test1/test2/foo", "test1/test2/bar/baz", "test1/test2/bar/baz2", "test1/foo", "test3/foo", "test4/foo", "test5/foo"] {
            XCTAssertEqual(try file(path, in: result), "hello", path)
        }
    }
}
