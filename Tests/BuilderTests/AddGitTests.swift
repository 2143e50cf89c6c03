@testable import Builder
import Foundation
import XCTest

/// `ADD <git repository>`: expectations from BuildKit's frontend/dockerfile/dockerfile_addgit_test.go
/// (testAddGit, testAddGitChecksumCache, testGitQueryString) and the Dockerfile reference ("Adding
/// files from a Git repository": `#ref:subdir`, `--keep-git-dir`). All builds are FROM scratch,
/// so no container runtime is needed; the repository is served by a static HTTP server on
/// 127.0.0.1 (git's dumb transport), as in BuildKit's tests.
final class AddGitTests: BuilderTestCase {
    var repo: GitTestRepository!

    override func setUp() async throws {
        try await super.setUp()
        repo = try GitTestRepository(at: root.appendingPathComponent("repo"))
    }

    override func tearDown() async throws {
        repo?.stop()
        try await super.tearDown()
    }

    /// testAddGit "Basic case": a tag's files, without .git; files owned by root (COPY semantics),
    /// modes as checked out (0644, 0755 for an executable; directories 0755).
    func testTagIsAddedWithoutGitDirOwnedByRoot() async throws {
        let (result, _) = try await build("FROM scratch\nADD \(repo.url)#v0.0.1 /x\n") { _ in }
        let dir = try unpack(result)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("x/foo"), encoding: .utf8), "foo of v0.0.1\n")
        XCTAssertNil(info("x/.git", in: dir), "no .git without --keep-git-dir (testAddGit: [ ! -d /nogitdir/.git ])")
        let foo = try XCTUnwrap(info("x/foo", in: dir))
        XCTAssertEqual(foo.st_uid, 0)
        XCTAssertEqual(foo.st_gid, 0)
        XCTAssertEqual(foo.st_mode & 0o7777, 0o644)
        XCTAssertEqual(result.config.history.last?.createdBy, "ADD \(repo.url)#v0.0.1 /x # buildkit")
    }

    /// Dockerfile reference: `ADD https://…/repo.git#branch:subdir /dest` adds the subdirectory's
    /// content; testGitQueryString "sub old-style" (`#feature:sub` gives sub/foo = subfeature).
    func testBranchWithSubdirectory() async throws {
        let (result, _) = try await build("FROM scratch\nADD \(repo.url)#feature:sub /src/\n") { _ in }
        let dir = try unpack(result)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("src/foo"), encoding: .utf8), "subfeature\n")
        XCTAssertEqual(try XCTUnwrap(info("src/run.sh", in: dir)).st_mode & 0o7777, 0o755, "the executable bit as git checks it out")
        XCTAssertNil(info("src/sub", in: dir))
    }

    /// testGitQueryString "v2 ref by commit", "sub query", "querystring branch", "tag as branch".
    func testCommitHashAndQueryForms() async throws {
        let commit = repo.commits["v0.0.2"]!
        var (result, _) = try await build("FROM scratch\nADD \(repo.url)#\(commit) /x\n") { _ in }
        XCTAssertEqual(try file("x/foo", in: result), "foo of v0.0.2\n")
        (result, _) = try await build("FROM scratch\nADD \(repo.url)?subdir=sub&ref=feature /x\n") { _ in }
        XCTAssertEqual(try file("x/foo", in: result), "subfeature\n")
        (result, _) = try await build("FROM scratch\nADD \(repo.url)?branch=master /x\n") { _ in }
        XCTAssertEqual(try file("x/foo", in: result), "foo of v0.0.3\n")
        await assertBuildFails("FROM scratch\nADD \(repo.url)?branch=v0.0.2 /x\n", line: 2, ["repository does not contain ref"])
        await assertBuildFails("FROM scratch\nADD \(repo.url)#nope /x\n", line: 2, ["repository does not contain ref nope"])
    }

    /// testAddGit "Complicated case": `--keep-git-dir=true --chown=4242:8484 --checksum=<commit>`:
    /// owned by 4242:8484, `git status -s` is empty in the kept checkout. BuildKit's checkout has
    /// a detached HEAD at the commit and `origin` set to the URL (source/git checkout).
    func testKeepGitDirWithChownAndChecksum() async throws {
        let commit = repo.commits["v0.0.2"]!
        let (result, _) = try await build("""
            FROM scratch
            ARG REPO=\(repo.url)
            ARG TAG=v0.0.2
            ADD --keep-git-dir=true --chown=4242:8484 --checksum=\(commit) ${REPO}#${TAG} /buildkit-chowned
            """) { _ in }
        let dir = try unpack(result)
        let checkout = dir.appendingPathComponent("buildkit-chowned")
        XCTAssertEqual(try String(contentsOf: checkout.appendingPathComponent("foo"), encoding: .utf8), "foo of v0.0.2\n")
        let foo = try XCTUnwrap(info("buildkit-chowned/foo", in: dir))
        XCTAssertEqual(foo.st_uid, 4242)
        XCTAssertEqual(foo.st_gid, 8484)
        XCTAssertNotNil(info("buildkit-chowned/.git/HEAD", in: dir))
        XCTAssertEqual(try GitTestRepository.git(["status", "-s"], in: checkout), "")
        XCTAssertEqual(try GitTestRepository.git(["rev-parse", "HEAD"], in: checkout), commit)
        XCTAssertEqual(try GitTestRepository.git(["remote", "get-url", "origin"], in: checkout), repo.url)
        XCTAssertNil(info("buildkit-chowned/.git/FETCH_HEAD", in: dir))
    }

    /// testAddGit: a checksum not matching the ref fails with "expected checksum to match", a
    /// non-hex one with "invalid checksum … expected hex commit hash"; an annotated tag matches by
    /// its commit (BuildKit also accepts the tag object's hash).
    func testGitChecksum() async throws {
        await assertBuildFails("FROM scratch\nADD --checksum=\(repo.commits["v0.0.2"]!) \(repo.url)#v0.0.3 /faildir\n",
                               line: 2, ["expected checksum to match", repo.commits["v0.0.3"]!])
        await assertBuildFails("FROM scratch\nADD --checksum=foobar \(repo.url)#v0.0.3 /faildir\n",
                               line: 2, ["invalid checksum", "expected hex commit hash"])
        let (result, _) = try await build("FROM scratch\nADD --checksum=\(repo.commits["v0.0.3"]!.prefix(12)) \(repo.url)#v0.0.3 /ok\n") { _ in }
        XCTAssertEqual(try file("ok/foo", in: result), "foo of v0.0.3\n")
        let (tagged, _) = try await build("FROM scratch\nADD --checksum=\(repo.commits["v0.0.3-tag-object"]!) \(repo.url)#v0.0.3 /ok\n") { _ in }
        XCTAssertEqual(try file("ok/foo", in: tagged), "foo of v0.0.3\n")
    }

    /// testAddGitChecksumCache: the step's cache key is the resolved commit, so the same ref with
    /// or without `--checksum` is cached; a moved branch gets the new commit.
    func testCacheFollowsTheResolvedCommit() async throws {
        let dockerfile = "FROM scratch\nADD \(repo.url)#master /repo\n"
        let (first, _) = try await build(dockerfile) { _ in }
        let (second, lines) = try await build(dockerfile) { _ in }
        XCTAssertTrue(lines.contains { $0.hasSuffix("CACHED") }, "\(lines)")
        XCTAssertEqual(first.manifest.layers, second.manifest.layers)
        let (withChecksum, checksumLines) = try await build("FROM scratch\nADD --checksum=\(repo.commits["v0.0.3"]!) \(repo.url)#master /repo\n") { _ in }
        XCTAssertTrue(checksumLines.contains { $0.hasSuffix("CACHED") }, "\(checksumLines)")
        XCTAssertEqual(withChecksum.manifest.layers, first.manifest.layers)
        // Move master: a new commit is fetched.
        try Data("foo of v0.0.4\n".utf8).write(to: repo.directory.appendingPathComponent("foo"))
        try GitTestRepository.git(["commit", "-q", "-am", "v0.0.4"], in: repo.directory)
        try GitTestRepository.git(["update-server-info"], in: repo.directory)
        let (moved, movedLines) = try await build(dockerfile) { _ in }
        XCTAssertFalse(movedLines.contains { $0.hasSuffix("CACHED") }, "\(movedLines)")
        XCTAssertEqual(try file("repo/foo", in: moved), "foo of v0.0.4\n")
    }

    /// Newer BuildKit (moby/buildkit#6600): with SOURCE_DATE_EPOCH set, a git snapshot's mtimes are
    /// the commit time; without, they are the checkout time. The epoch is later than the commit here:
    /// kiln also clamps every layer mtime to the epoch (issue 5), which would hide the commit time.
    func testSourceDateEpochGivesCommitTimeMtimes() async throws {
        let time = Int(try GitTestRepository.git(["log", "-1", "--format=%ct", "v0.0.1"], in: repo.directory))!
        let epoch = "\(Int(Date().timeIntervalSince1970) + 86400)"
        let (result, _) = try await build("FROM scratch\nADD \(repo.url)#v0.0.1 /x\n") { $0.buildArgs["SOURCE_DATE_EPOCH"] = epoch }
        let dir = try unpack(result)
        XCTAssertEqual(try XCTUnwrap(info("x/foo", in: dir)).st_mtim.tv_sec, time)
    }

    /// How BuildKit tells a git source from a local path or a plain URL (util/gitutil ParseGitRef,
    /// dfgitutil; BuildKit's git_ref_test.go cases).
    func testDetection() throws {
        XCTAssertEqual(try GitReference.detect("https://github.com/moby/buildkit.git#v0.10.0:docs"),
                       GitReference(remote: "https://github.com/moby/buildkit.git", ref: "v0.10.0", subdir: "docs"))
        XCTAssertEqual(try GitReference.detect("git@github.com:moby/buildkit.git#main")?.remote, "git@github.com:moby/buildkit.git")
        XCTAssertEqual(try GitReference.detect("git://github.com/moby/buildkit#main")?.ref, "main")
        XCTAssertEqual(try GitReference.detect("ssh://git@host/repo.git")?.remote, "ssh://git@host/repo.git")
        XCTAssertEqual(try GitReference.detect("https://host/repo.git##ref=v1,subdir=docs")?.subdir, "docs")
        XCTAssertNil(try GitReference.detect("https://example.com/file.tar.gz"), "an HTTP URL needs a .git path")
        XCTAssertNil(try GitReference.detect("./repo.git"))
        XCTAssertNil(try GitReference.detect("github.com/moby/buildkit"), "indistinguishable from a local path")
        XCTAssertNil(try GitReference.detect("file:with:colons"))
        XCTAssertNil(try GitReference.detect("ftp://host/repo.git"))
        XCTAssertThrowsError(try GitReference.detect("https://host/repo.git?tag=v1#refs/heads/master"), "ref conflicts")
        XCTAssertEqual(GitFetcher.redacted("https://user:secret@host/repo.git"), "https://user:xxxxx@host/repo.git")
    }
}
