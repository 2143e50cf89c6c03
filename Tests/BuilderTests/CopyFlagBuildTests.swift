import Builder
import Glibc
import Foundation
import LayerArchive
import XCTest

/// COPY/ADD --link, --parents and --exclude. Docker 20.10 (the reference engine here) predates
/// them, so the expectations come from the Dockerfile reference (docs.docker.com/reference/
/// dockerfile, COPY --link / --parents / --exclude) and BuildKit's frontend/dockerfile tests and
/// dispatch code, named per test.
final class CopyFlagBuildTests: BuilderTestCase {
    /// Every path in the built image below `under` (directories end with `/`).
    func paths(in result: BuildResult, under: String = "") throws -> Set<String> {
        let dir = root.appendingPathComponent("tree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        var out: Set<String> = []
        let base = dir.path + "/"
        let walker = FileManager.default.enumerator(atPath: dir.path)
        while let relative = walker?.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = base + relative
            let attrs = try? FileManager.default.attributesOfItem(atPath: full)
            let isLink = (attrs?[.type] as? FileAttributeType) == .typeSymbolicLink
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
            let path = relative + (isDir.boolValue && !isLink ? "/" : "")
            if path.hasPrefix(under) { out.insert(String(path.dropFirst(under.count))) }
        }
        return out
    }

    private func cachedSteps(_ lines: [String], containing text: String) -> [Bool] {
        lines.filter { $0.contains(text) && !$0.hasSuffix(" CACHED") }.compactMap { line -> Bool? in
            guard let number = line.split(separator: " ").first else { return nil }
            return lines.contains("\(number) CACHED")
        }
    }

    // Dockerfile reference, COPY --link: the layer does not depend on the state below it, so it is
    // reused when the base changes; later steps still see the new base. BuildKit's dispatchCopy
    // links only when --chmod is not given (`cfg.link && cfg.chmod == ""`).
    func testLinkedCopyStaysCachedWhenTheBaseChanges() async throws {
        try requireContainers()
        let busybox = try await loadBusybox()
        try write("a.txt", "a\n")
        try write("b.txt", "b\n")
        try write("c.txt", "c\n")
        let dockerfile = { (word: String) in """
            FROM \(busybox) AS base
            RUN echo \(word) > /base.txt
            FROM base
            COPY --link a.txt /app/
            ADD --link b.txt /app/
            COPY --link --chmod=600 c.txt /app/
            RUN cat /base.txt /app/a.txt /app/b.txt > /out
            """ }
        let (first, _) = try await build(dockerfile("one"))
        let (second, lines) = try await build(dockerfile("two"))
        XCTAssertEqual(cachedSteps(lines, containing: "COPY --link a.txt"), [true], lines.joined(separator: "\n"))
        XCTAssertEqual(cachedSteps(lines, containing: "ADD --link b.txt"), [true], lines.joined(separator: "\n"))
        XCTAssertEqual(cachedSteps(lines, containing: "--chmod=600"), [false], lines.joined(separator: "\n"))
        XCTAssertEqual(cachedSteps(lines, containing: "RUN cat"), [false], lines.joined(separator: "\n"))
        XCTAssertEqual(first.manifest.layers[2], second.manifest.layers[2])  // the very same blob
        XCTAssertEqual(first.manifest.layers[3], second.manifest.layers[3])
        XCTAssertEqual(try file("out", in: second), "two\na\nb\n")
        XCTAssertEqual(try file("app/c.txt", in: second), "c\n")
    }

    // Dockerfile reference, COPY --link ("Incompatibilities with --link=false"): a linked copy reads
    // nothing from the previous state, so it cannot follow a symlink in the destination path; the
    // path it creates holds only directories. Without --link the symlink is followed.
    func testLinkedCopyDoesNotFollowSymlinksOfTheBase() async throws {
        try requireContainers()
        let busybox = try await loadBusybox()
        try write("a.txt", "a\n")
        let (linked, _) = try await build("""
            FROM \(busybox)
            RUN mkdir /target && ln -s /target /app
            COPY --link a.txt /app/
            """)
        let tree = try paths(in: linked)
        XCTAssertTrue(tree.contains("app/"), "\(tree.filter { $0.hasPrefix("app") || $0.hasPrefix("target") })")
        XCTAssertTrue(tree.contains("app/a.txt"))
        XCTAssertFalse(tree.contains("target/a.txt"))

        let (plain, _) = try await build("""
            FROM \(busybox)
            RUN mkdir /target && ln -s /target /app
            COPY a.txt /app/
            """)
        let plainTree = try paths(in: plain)
        XCTAssertTrue(plainTree.contains("target/a.txt"))
        XCTAssertTrue(plainTree.contains("app"))  // still the symlink
    }

    // BuildKit dockerfile_parents_test.go, testCopyParents.
    func testCopyParents() async throws {
        try write("foo1/foo2/bar", "testing")
        try write("foo1/foo2/baz", "testing2")
        let (result, _) = try await build("""
            FROM scratch
            COPY --parents foo1/foo2/bar /
            WORKDIR /test
            COPY --parents foo1/foo2/ba* .
            """)
        XCTAssertEqual(try file("foo1/foo2/bar", in: result), "testing")
        XCTAssertEqual(try file("test/foo1/foo2/bar", in: result), "testing")
        XCTAssertEqual(try file("test/foo1/foo2/baz", in: result), "testing2")
        XCTAssertEqual(result.config.history.first?.createdBy, "COPY --parents foo1/foo2/bar / # buildkit")
    }

    // BuildKit dockerfile_parents_test.go, testCopyRelativeParents: the `/./` pivot, `**`, wildcards
    // before the pivot, several sources.
    func testCopyRelativeParents() async throws {
        for file in ["a/b/c/d/foo", "a/b/c/d/e/bay", "a/b2/c/d/e/bar", "a/b/c2/d/e/baz", "a/b/c2/d/e2/baz"] {
            try write("tree/" + file, "")
        }
        let stages: [(String, String)] = [
            ("middle", "/test/a/b/./c/d /out/"),
            ("end", "/test/a/b/c/d/. /out/"),
            ("start", "./test/a/b/c/d /out/"),
            ("double", "/test/a/./b/./c /out/"),
            ("wildcard", "/test/a/./*/c /out/"),
            ("doublewildcard", "/test/a/b*/./c/**/e /out/"),
            ("doubleinputs", "/test/a/b/c*/./d/**/baz /test/a/b*/./c/**/bar /out/"),
        ]
        var trees: [String: Set<String>] = [:]
        for (name, operands) in stages {
            let (result, _) = try await build("""
                FROM scratch AS base
                COPY tree /test
                FROM scratch
                COPY --from=base --parents \(operands)
                """)
            trees[name] = try paths(in: result, under: "out/")
        }
        func check(_ stage: String, has: [String], lacks: [String] = []) {
            let tree = trees[stage] ?? []
            for path in has { XCTAssertTrue(tree.contains(path), "\(stage): \(path) missing from \(tree.sorted())") }
            for path in lacks { XCTAssertFalse(tree.contains(path), "\(stage): \(path) in \(tree.sorted())") }
        }
        check("middle", has: ["c/d/e/", "c/d/foo"], lacks: ["a/", "e/"])
        check("end", has: ["test/a/b/c/d/e/", "test/a/b/c/d/foo"])
        check("start", has: ["test/a/b/c/d/e/", "test/a/b/c/d/foo"])
        check("double", has: ["b/c/d/e/", "b/c/d/foo"])
        check("wildcard", has: ["b/c/d/e/", "b2/c/d/e/bar"])
        check("doublewildcard", has: ["c/d/e/", "c/d/e/bay", "c/d/e/bar"])
        check("doubleinputs", has: ["d/e/baz", "d/e2/baz", "c/d/e/bar"], lacks: ["d/e/bay"])
    }

    // BuildKit dockerfile_excludepatterns_test.go, testExcludedFilesOnCopy (plain-directory part).
    func testExcludedFilesOnCopy() async throws {
        let files = ["dir1/file-101.png": "2", "dir1/file-102.txt": "3", "dir1/file-103.jpeg": "4",
                     "dir2/file-201.pdf": "6", "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
                     "dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10"]
        for (name, content) in files { try write(name, content) }
        let (result, _) = try await build("""
            FROM scratch as builder1
            COPY --exclude=*/*.png --exclude=*/*.jpeg . /1
            FROM scratch as builder2
            COPY --exclude=*/*.pdf --exclude=*/*.txt . /2
            FROM scratch as builder3
            ADD --exclude=*.mp3 dir3/ /3/
            FROM scratch as builder4
            COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf --exclude=*.txt dir* /4/
            FROM scratch as builder5
            ADD --exclude=*.mp* --exclude=*.jpeg --exclude=*.png --exclude=*.pdf dir* /5
            FROM scratch as builder6
            ADD --exclude=* dir* /6
            FROM scratch
            COPY --from=builder1 / /builder1
            COPY --from=builder2 / /builder2
            COPY --from=builder3 / /builder3
            COPY --from=builder4 / /builder4
            COPY --from=builder5 / /builder5
            COPY --from=builder6 / /builder6
            """)
        let tree = try paths(in: result)
        let kept: [String: String] = [
            "builder1/1/dir1/file-102.txt": "3", "builder1/1/dir2/file-201.pdf": "6",
            "builder1/1/dir3/file-301.mp3": "9", "builder1/1/dir3/file-302.mpeg": "10",
            "builder2/2/dir1/file-101.png": "2", "builder2/2/dir1/file-103.jpeg": "4",
            "builder2/2/dir2/file-202.jpeg": "7", "builder2/2/dir2/file-203.png": "8",
            "builder2/2/dir3/file-301.mp3": "9", "builder2/2/dir3/file-302.mpeg": "10",
            "builder3/3/file-302.mpeg": "10",
            "builder4/4/file-302.mpeg": "10",
            "builder5/5/file-102.txt": "3",
        ]
        for (path, content) in kept { XCTAssertEqual(try file(path, in: result), content, path) }
        let files6 = tree.filter { $0.hasPrefix("builder6/6/") && $0 != "builder6/6/" }
        XCTAssertTrue(tree.contains("builder6/6/"), "\(tree.sorted())")
        XCTAssertEqual(files6, [], "everything excluded leaves the destination empty")
        for prefix in ["builder1/", "builder2/", "builder3/", "builder4/", "builder5/"] {
            let regular = Set(tree.filter { $0.hasPrefix(prefix) && !$0.hasSuffix("/") })
            XCTAssertEqual(regular, Set(kept.keys.filter { $0.hasPrefix(prefix) }), prefix)
        }
    }

    // Dockerfile reference, COPY --exclude: `COPY --exclude=*.txt hom* /mydir/` adds the files
    // starting with "hom" but not the .txt ones; several --exclude flags add up. The patterns go to
    // fsutil's copy as ExcludePatterns (moby/patternmatcher), where a later `!` pattern re-includes.
    func testExcludeReferenceExamplesAndReinclusion() async throws {
        for name in ["hommie.txt", "homer.md", "home.go", "other.go", "homedir/keep.txt", "homedir/drop.txt"] {
            try write(name, name)
        }
        let (result, _) = try await build("""
            FROM scratch
            COPY --exclude=*.txt hom* /mydir/
            COPY --exclude=*.txt --exclude=*.md hom* /two/
            COPY --exclude=*.txt --exclude=!keep.txt homedir /three/
            """)
        let tree = try paths(in: result)
        XCTAssertEqual(Set(tree.filter { $0.hasPrefix("mydir/") }), ["mydir/", "mydir/homer.md", "mydir/home.go"])
        XCTAssertEqual(Set(tree.filter { $0.hasPrefix("two/") }), ["two/", "two/home.go"])
        XCTAssertEqual(Set(tree.filter { $0.hasPrefix("three/") }), ["three/", "three/keep.txt"])
        XCTAssertEqual(result.config.history.map { $0.createdBy ?? "" }.first, "COPY hom* /mydir/ # buildkit")
    }
}

extension CopyFlagBuildTests {
    // moby/buildkit#2987 / docker/buildx#1526: a linked copy is made on an empty filesystem, so
    // --chown takes numbers and `root` only (llb parseUID); a name fails (kiln says why, at the line).
    func testLinkedCopyChownTakesNumbersOnly() async throws {
        try write("a.txt", "a\n")
        let (result, _) = try await build("""
            FROM scratch
            COPY --link --chown=1234 a.txt /numeric
            COPY --link --chown=root:5 a.txt /root-name
            """)
        let dir = root.appendingPathComponent("owners")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        var owners: [String: (Int, Int)] = [:]
        for name in ["numeric", "root-name"] {
            var info = stat()
            XCTAssertEqual(lstat(dir.path + "/" + name, &info), 0, name)
            owners[name] = (Int(info.st_uid), Int(info.st_gid))
        }
        XCTAssertEqual(owners["numeric"]?.0, 1234)
        XCTAssertEqual(owners["numeric"]?.1, 1234)
        XCTAssertEqual(owners["root-name"]?.0, 0)
        XCTAssertEqual(owners["root-name"]?.1, 5)
        do {
            _ = try await build("FROM scratch\nCOPY a.txt /x\nCOPY --link --chown=daemon a.txt /y\n")
            XCTFail("expected a failure")
        } catch let error as BuildError {
            XCTAssertEqual(error.range?.start.line, 3)
            XCTAssertTrue(error.message.contains("numeric"), error.message)
        }
    }
}

extension CopyFlagBuildTests {
    /// mode and owner of `path` once every layer is applied.
    private func metadata(_ path: String, in result: BuildResult) throws -> (mode: UInt32, uid: UInt32)? {
        let dir = root.appendingPathComponent("stat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for layer in result.manifest.layers {
            _ = try LayerApplier(target: dir.path).apply(blobFile: try service.store.open(layer.digest).path)
        }
        var info = Glibc.stat()
        guard lstat(dir.path + "/" + path, &info) == 0 else { return nil }
        return (UInt32(info.st_mode) & 0o7777, info.st_uid)
    }

    // Dockerfile reference, COPY --link: the files are copied into an empty directory that becomes
    // the layer, so the destination's parent directories are made fresh (0755, root) and replace
    // what the base had there (moby/buildkit#2987 notes --link changing an existing destination's
    // permissions and owner); a plain COPY leaves the existing directory as it is.
    func testLinkedCopyMakesDestinationDirectoriesFresh() async throws {
        try requireContainers()
        let busybox = try await loadBusybox()
        try write("a.txt", "a\n")
        let setup = "FROM \(busybox)\nRUN mkdir -m 700 /app && chown 5:5 /app\n"
        let (linked, _) = try await build(setup + "COPY --link a.txt /app/\n")
        let (plain, _) = try await build(setup + "COPY a.txt /app/\n")
        XCTAssertEqual(try metadata("app", in: linked)?.mode, 0o755)
        XCTAssertEqual(try metadata("app", in: linked)?.uid, 0)
        XCTAssertEqual(try metadata("app", in: plain)?.mode, 0o700)
        XCTAssertEqual(try metadata("app", in: plain)?.uid, 5)
        XCTAssertEqual(try file("app/a.txt", in: linked), "a\n")
    }
}

extension CopyFlagBuildTests {
    // BuildKit dockerfile_excludepatterns_test.go, testExcludedFilesOnCopy, second half: the same
    // patterns over `COPY --from=base` (there a git checkout, here a stage holding the same files).
    func testExcludedFilesOnCopyFromAStage() async throws {
        let files = ["dir1/file-101.png": "2", "dir1/file-102.txt": "3", "dir1/file-103.jpeg": "4",
                     "dir2/file-201.pdf": "6", "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
                     "dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10"]
        for (name, content) in files { try write("src/" + name, content) }
        let (result, _) = try await build("""
            FROM scratch AS base
            COPY src /
            FROM scratch as builder1
            COPY --from=base --exclude=*/*.png --exclude=*/*.jpeg . /1
            FROM scratch as builder3
            COPY --from=base --exclude=*.mp3 dir3/ /3/
            FROM scratch as builder4
            COPY --from=base --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf --exclude=*.txt dir* /4/
            FROM scratch as builder5
            COPY --from=base --exclude=*.mp* --exclude=*.jpeg --exclude=*.png --exclude=*.pdf dir* /5
            FROM scratch as builder6
            COPY --from=base --exclude=* dir* /6
            FROM scratch
            COPY --from=builder1 / /builder1
            COPY --from=builder3 / /builder3
            COPY --from=builder4 / /builder4
            COPY --from=builder5 / /builder5
            COPY --from=builder6 / /builder6
            """)
        let tree = try paths(in: result)
        let regular = Set(tree.filter { !$0.hasSuffix("/") })
        XCTAssertEqual(regular, [
            "builder1/1/dir1/file-102.txt", "builder1/1/dir2/file-201.pdf", "builder1/1/dir3/file-301.mp3",
            "builder1/1/dir3/file-302.mpeg", "builder3/3/file-302.mpeg", "builder4/4/file-302.mpeg",
            "builder5/5/file-102.txt",
        ])
        XCTAssertTrue(tree.contains("builder6/6/"))
        XCTAssertEqual(try file("builder4/4/file-302.mpeg", in: result), "10")
    }
}
