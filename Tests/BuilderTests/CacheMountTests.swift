@testable import Builder
import Foundation
import XCTest

/// `RUN --mount=type=cache`, `type=bind`, `type=tmpfs`.
final class CacheMountTests: BuilderTestCase {
    // The acceptance test (Dockerfile reference: cache mounts persist between builds and
    // are not part of the image): a second build sees the first one's line; the image holds
    // nothing under /cache (Docker 20.10 leaves the empty mount point directory); after
    // `kiln prune --cache-mounts` the cache starts empty again.
    func testCacheMountPersistsAcrossBuildsAndStaysOutOfTheImage() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = "FROM \(base)\nRUN --mount=type=cache,target=/cache sh -c 'echo x >> /cache/f; cat /cache/f'\n"
        let (_, first) = try await build(dockerfile)
        XCTAssertEqual(outputLines(first).filter { $0 == "x" }.count, 1, first.joined(separator: "\n"))
        let (second, lines) = try await build(dockerfile, noCache: true)
        XCTAssertEqual(outputLines(lines).filter { $0 == "x" }.count, 2, lines.joined(separator: "\n"))
        XCTAssertNil(try file("cache/f", in: second))
        XCTAssertEqual(CacheMounts.prune(stateDirectory: service.store.location.stateDirectory), 1)
        let (_, third) = try await build(dockerfile, noCache: true)
        XCTAssertEqual(outputLines(third).filter { $0 == "x" }.count, 1, third.joined(separator: "\n"))
        // FEATURES.md §2: cache ids are namespaced by the BUILDKIT_CACHE_MOUNT_NS build arg.
        let (_, namespaced) = try await build(dockerfile, noCache: true) { $0.buildArgs["BUILDKIT_CACHE_MOUNT_NS"] = "other" }
        XCTAssertEqual(outputLines(namespaced).filter { $0 == "x" }.count, 1, namespaced.joined(separator: "\n"))
    }

    // Dockerfile reference: `from`/`source` seed the cache from a stage path; `id` shares a cache
    // between targets; uid/gid/mode set the new directory's owner and mode; `readonly` mounts it read-only.
    func testCacheMountOptions() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        let dockerfile = """
        FROM \(base) AS seed
        RUN mkdir /data && echo seeded > /data/s
        FROM \(base)
        RUN --mount=type=cache,target=/c,from=seed,source=/data cat /c/s
        RUN --mount=type=cache,id=shared,target=/one sh -c 'echo via-one > /one/f'
        RUN --mount=type=cache,id=shared,target=/two cat /two/f
        RUN --mount=type=cache,target=/o,uid=1000,gid=1001,mode=0700 stat -c 'owner %u %g %a' /o
        RUN --mount=type=cache,id=shared,target=/r,readonly sh -c 'touch /r/new 2>/dev/null || echo read-only'
        RUN --mount=type=cache,id=lk,target=/l,sharing=locked sh -c 'echo locked > /l/f && cat /l/f'
        RUN --mount=type=cache,id=lk,target=/p,sharing=private cat /p/f
        """
        let (_, lines) = try await build(dockerfile)
        let out = outputLines(lines)
        for expected in ["seeded", "via-one", "owner 1000 1001 700", "read-only", "locked"] {
            XCTAssertTrue(out.contains(expected), "\(expected) missing in:\n" + lines.joined(separator: "\n"))
        }
        // private reuses the cache when no one else holds it.
        XCTAssertEqual(out.filter { $0 == "locked" }.count, 2, lines.joined(separator: "\n"))
    }

    // BuildKit's cache sharing modes: `private` gets another directory while one is busy;
    // `locked` waits until the holder is done.
    func testSharingModes() async throws {
        let dir = root.appendingPathComponent("leases").path
        let make: (String) async throws -> Void = { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) }
        let a = try await CacheMounts.lease(base: "h", in: dir, sharing: .private, create: make)
        let b = try await CacheMounts.lease(base: "h", in: dir, sharing: .private, create: make)
        XCTAssertNotEqual(a.path, b.path)
        let shared = try await CacheMounts.lease(base: "s", in: dir, sharing: .shared, create: make)
        let shared2 = try await CacheMounts.lease(base: "s", in: dir, sharing: .shared, create: make)
        XCTAssertEqual(shared.path, shared2.path)
        shared.release(); shared2.release()
        let locked = try await CacheMounts.lease(base: "l", in: dir, sharing: .locked, create: make)
        let started = Date()
        Task { try await Task.sleep(nanoseconds: 300_000_000); locked.release() }
        let waiter = try await CacheMounts.lease(base: "l", in: dir, sharing: .locked, create: make)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.25)
        XCTAssertEqual(waiter.path, locked.path)
        for lease in [a, b, waiter] { lease.release() }
    }

    // Dockerfile reference: bind mounts are read-only by default; `rw` allows writes, which are
    // discarded; `from` mounts a stage or an image; tmpfs `size` limits the tmpfs.
    // (The failed redirection's message is sent to /dev/null from outside a subshell: the shell reports
    // it before `2>/dev/null` applies, and runc relays stderr and stdout separately, so its pieces
    // could land inside the "ro-bind" line.)
    func testBindAndTmpfs() async throws {
        try requireContainers()
        let base = try await loadBusybox()
        try write("a.txt", "original\n")
        let dockerfile = """
        FROM \(base) AS build
        RUN mkdir /out && echo built > /out/f
        FROM \(base)
        RUN --mount=type=bind,target=/ctx sh -c 'cat /ctx/a.txt; (echo no >> /ctx/a.txt) 2>/dev/null || echo ro-bind'
        RUN --mount=type=bind,target=/ctx,rw sh -c 'echo changed > /ctx/a.txt && cat /ctx/a.txt'
        RUN --mount=type=bind,source=a.txt,target=/one.txt,rw sh -c 'echo more >> /one.txt && wc -l < /one.txt'
        RUN --mount=type=bind,from=build,source=/out,target=/in cat /in/f
        RUN --mount=type=bind,from=\(base),source=/bin,target=/image-bin sh -c 'test -x /image-bin/busybox && echo from-image'
        RUN --mount=type=tmpfs,target=/t,size=1m sh -c 'df -k /t | tail -1 | awk "{print \\"tmpfs \\" \\$2}"'
        """
        let (result, lines) = try await build(dockerfile)
        let out = outputLines(lines)
        for expected in ["original", "ro-bind", "changed", "2", "built", "from-image", "tmpfs 1024"] {
            XCTAssertTrue(out.contains(expected), "\(expected) missing in:\n" + lines.joined(separator: "\n"))
        }
        XCTAssertEqual(try String(contentsOf: context.appendingPathComponent("a.txt"), encoding: .utf8), "original\n")
        XCTAssertNil(try file("ctx/a.txt", in: result))
    }
}
