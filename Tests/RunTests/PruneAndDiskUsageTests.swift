import Foundation
import XCTest

/// `kiln system df`, the prune commands (Docker's warnings, confirmation, what each removes),
/// `images -a/--filter/--format` and `build --cache-from`, through the built binary.
final class PruneAndDiskUsageTests: RunTestCase {
    /// Writes a context with `dockerfile` and builds it; the build's output (stderr).
    @discardableResult
    func buildOutput(_ tag: String, _ dockerfile: String, flags: String = "", status: Int32 = 0) throws -> String {
        let context = work.appendingPathComponent("ctx-\(tag.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ":", with: "-"))")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data(dockerfile.utf8).write(to: context.appendingPathComponent("Dockerfile"))
        return check("\(kiln) build --progress plain \(flags) -t \(tag) '\(context.path)'", status: status)
    }

    static let multistage = """
        FROM kiln-test/busybox:latest AS builder
        RUN echo built-$RANDOM > /out
        FROM kiln-test/busybox:latest
        COPY --from=builder /out /out
        RUN cat /out
        """

    func testPruneKeepsTheCacheOfBuilderStagesOfImagesInTheStore() throws {
        try buildOutput("kiln-test/ms:1", Self.multistage)
        let first = check("\(kiln) run --rm kiln-test/ms:1 cat /out")
        // The old command (now system prune) keeps the build cache of images still in the store:
        // the unchanged rebuild is cached, builder stage included.
        let prune = check("\(kiln) prune -f")
        XCTAssertTrue(prune.contains("Total reclaimed space: "), prune)
        var rebuild = try buildOutput("kiln-test/ms:1", Self.multistage)
        XCTAssertEqual(rebuild.components(separatedBy: " CACHED\n").count - 1, 3, rebuild)
        // builder prune removes only dangling cache: still cached.
        check("\(kiln) builder prune -f")
        rebuild = try buildOutput("kiln-test/ms:1", Self.multistage)
        XCTAssertEqual(rebuild.components(separatedBy: " CACHED\n").count - 1, 3, rebuild)
        XCTAssertEqual(check("\(kiln) run --rm kiln-test/ms:1 cat /out"), first)
        // Once no image uses it, it is dangling: builder prune says what it deleted, and the next
        // build runs its steps again.
        check("\(kiln) rmi kiln-test/ms:1")
        check("\(kiln) image prune -f")
        let removed = check("\(kiln) builder prune -f")
        XCTAssertTrue(removed.hasPrefix("Deleted build cache objects:\n"), removed)
        XCTAssertEqual(removed.split(separator: "\n").count, 5, removed)  // header, 3 steps, total
        rebuild = try buildOutput("kiln-test/ms:1", Self.multistage)
        XCTAssertFalse(rebuild.contains(" CACHED\n"), rebuild)
        XCTAssertNotEqual(check("\(kiln) run --rm kiln-test/ms:1 cat /out"), first)
        // -a removes all of it, in use or not.
        XCTAssertTrue(check("\(kiln) builder prune -a -f").hasPrefix("Deleted build cache objects:\n"))
        XCTAssertFalse(try buildOutput("kiln-test/ms:1", Self.multistage).contains(" CACHED\n"))
    }

    func testPruneCommandsWarnAskAndCount() throws {
        check("\(kiln) run --name stopped1 \(Self.busybox) true")
        check("\(kiln) run --name stopped2 \(Self.busybox) sh -c 'head -c 5000 /dev/zero > /data'")
        check("\(kiln) run -d --name running1 \(Self.busybox) sleep 100")
        started += ["stopped1", "stopped2", "running1"]
        // No answer (stdin ends): nothing is removed.
        let refused = check("\(kiln) container prune")
        XCTAssertTrue(refused.hasPrefix("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "), refused)
        XCTAssertTrue(refused.contains("nothing removed"), refused)
        XCTAssertEqual(check("\(kiln) ps -a -q").split(separator: "\n").count, 3)
        XCTAssertEqual(check("echo n | \(kiln) container prune 2>/dev/null"), "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ")
        let ids = check("\(kiln) ps -a -q --no-trunc --filter status=exited").split(separator: "\n").map(String.init)
        let pruned = check("echo y | \(kiln) container prune")
        XCTAssertEqual(pruned, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n"
                       + ids.reversed().joined(separator: "\n") + "\n\nTotal reclaimed space: 5kB\n")
        XCTAssertEqual(check("\(kiln) ps -a --format '{{.Names}}'"), "running1\n")

        // A tag that moves leaves a dangling image, listed as Docker lists it.
        try build("kiln-test/moving:1", "FROM \(Self.busybox)\nLABEL v=1\nRUN echo 1 > /v\n")
        let old = check("\(kiln) images -q kiln-test/moving:1").trimmingCharacters(in: .whitespacesAndNewlines)
        try build("kiln-test/moving:1", "FROM \(Self.busybox)\nLABEL v=2\nRUN echo 2 > /v\n")
        XCTAssertEqual(check("\(kiln) images --filter dangling=true --format '{{.Repository}}:{{.Tag}} {{.ID}}'"), "<none>:<none> \(old)\n")
        let listed = check("\(kiln) images -a")
        XCTAssertTrue(listed.split(separator: "\n").contains { $0.hasPrefix("<none> ") && $0.contains(" <none>    \(old) ") }, listed)
        XCTAssertEqual(check("\(kiln) images --filter dangling=false --filter reference='kiln-test/*' --format '{{.Repository}}:{{.Tag}}'"),
                       "kiln-test/moving:1\nkiln-test/busybox:latest\n")
        XCTAssertEqual(check("\(kiln) images --filter label=v=2 --format '{{.Tag}}'"), "1\n")
        XCTAssertEqual(check("\(kiln) images --filter reference='*/busybox:lat*' -q").count, 13)
        XCTAssertEqual(check("\(kiln) images --filter nope=1", status: 1), "kiln: error: invalid filter 'nope'\n")
        let table = check("\(kiln) images --format 'table {{.Repository}}\\t{{.Tag}}' kiln-test/moving").split(separator: "\n")
        XCTAssertEqual(table, ["REPOSITORY         TAG", "kiln-test/moving   1"])
        // The dangling image is still named by its ID (as Docker).
        XCTAssertEqual(check("\(kiln) inspect -f '{{.Config.Labels.v}} {{len .RepoTags}}' \(old)"), "1 0\n")

        // image prune removes it, and only it.
        let images = check("\(kiln) image prune -f")
        XCTAssertTrue(images.hasPrefix("Deleted Images:\ndeleted: sha256:\(old)"), images)
        XCTAssertEqual(check("\(kiln) images --filter dangling=true -q"), "")
        XCTAssertEqual(check("\(kiln) images -q").split(separator: "\n").count, 2)

        // system prune: its warning lists what it removes.
        check("\(kiln) stop -t 0 running1")
        let system = check("\(kiln) system prune </dev/null")
        XCTAssertTrue(system.hasPrefix("WARNING! This will remove:\n  - all stopped containers\n  - all dangling images\n  - all dangling build cache\n"), system)
        XCTAssertTrue(check("\(kiln) system prune -f").hasPrefix("Deleted Containers:\n"))
        XCTAssertEqual(check("\(kiln) ps -a -q"), "")
        // image prune -a: every image no container uses.
        let all = check("\(kiln) image prune -a -f")
        XCTAssertTrue(all.contains("untagged: kiln-test/moving:1\n") && all.contains("untagged: kiln-test/busybox:latest\n"), all)
        XCTAssertEqual(check("\(kiln) images -a -q"), "")
    }

    func testSystemDfRowsAddUp() throws {
        try build("kiln-test/app:1", "FROM \(Self.busybox)\nRUN head -c 100000 /dev/zero > /blob\n")
        check("\(kiln) run -d --name app-up kiln-test/app:1 sleep 100")
        check("\(kiln) run --name app-done kiln-test/app:1 sh -c 'head -c 3000 /dev/zero > /scratch'")
        started += ["app-up", "app-done"]
        let rows = check("\(kiln) system df").split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(rows[0], ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
        // Two images (busybox, app), one in use; busybox's layer counted once: 1.99MB + 100kB. The
        // active image's size less its shared size (busybox's layer) is not reclaimable.
        XCTAssertEqual(rows[1], ["Images", "2", "1", "2.086MB", "1.986MB", "(95%)"])
        // Two containers, one running; the stopped one's writable layer is reclaimable.
        XCTAssertEqual(Array(rows[2].prefix(3)), ["Containers", "2", "1"])
        XCTAssertEqual(rows[2].last, "(100%)")
        XCTAssertEqual(rows[3], ["Local", "Volumes", "0", "0", "0B", "0B"])
        XCTAssertEqual(rows[4], ["Build", "Cache", "1", "0", "0B", "0B"])  // its layer is app's, counted there

        let verbose = check("\(kiln) system df -v")
        XCTAssertTrue(verbose.contains("\nImages space usage:\n\nREPOSITORY          TAG       IMAGE ID       CREATED"), verbose)
        let appRow = verbose.split(separator: "\n").first { $0.hasPrefix("kiln-test/app ") }.map(String.init) ?? ""
        XCTAssertTrue(appRow.hasSuffix("2.086MB   1.986MB       100kB         2"), appRow)
        let busyboxRow = verbose.split(separator: "\n").first { $0.hasPrefix("kiln-test/busybox ") }.map(String.init) ?? ""
        XCTAssertTrue(busyboxRow.hasSuffix("1.986MB   1.986MB       0B            0"), busyboxRow)
        XCTAssertTrue(verbose.contains("\nContainers space usage:\n\nCONTAINER ID   IMAGE"), verbose)
        XCTAssertTrue(verbose.contains("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n"), verbose)
        XCTAssertTrue(verbose.contains("\nBuild cache usage: 0B\n\nCACHE ID"), verbose)
    }

    func testCacheFromReusesTheLayersOfAnImage() throws {
        let dockerfile = "FROM \(Self.busybox)\nENV A=1\nRUN echo $RANDOM$RANDOM > /stamp\nRUN cat /stamp > /copy\n"
        try buildOutput("kiln-test/cached:1", dockerfile)
        let stamp = check("\(kiln) run --rm kiln-test/cached:1 cat /stamp /copy")
        // No local cache left: the RUN steps run again without --cache-from…
        check("\(kiln) builder prune -a -f")
        try buildOutput("kiln-test/other:1", dockerfile)
        XCTAssertNotEqual(check("\(kiln) run --rm kiln-test/other:1 cat /stamp"), stamp)
        check("\(kiln) builder prune -a -f")
        // …and reuse the image's layers with it.
        let output = try buildOutput("kiln-test/again:1", dockerfile, flags: "--cache-from kiln-test/cached:1 --cache-from kiln-test/other:1")
        XCTAssertEqual(output.components(separatedBy: " CACHED\n").count - 1, 2, output)
        XCTAssertEqual(check("\(kiln) run --rm kiln-test/again:1 cat /stamp /copy"), stamp)
        // A step whose text differs runs, and so does every step after it.
        check("\(kiln) builder prune -a -f")
        let changed = try buildOutput("kiln-test/changed:1", dockerfile.replacingOccurrences(of: "ENV A=1", with: "ENV A=2"),
                                      flags: "--cache-from kiln-test/cached:1")
        XCTAssertFalse(changed.contains(" CACHED\n"), changed)
        // An image that cannot be had is a warning; the build goes on.
        let missing = try buildOutput("kiln-test/warned:1", "FROM \(Self.busybox)\nRUN true\n", flags: "--cache-from 127.0.0.1:1/nope:1")
        XCTAssertTrue(missing.contains("WARNING: --cache-from 127.0.0.1:1/nope:1: cannot use it as a cache source"), missing)
        // A BuildKit cache import that cannot be reached is a warning too (docs/CACHE.md); an
        // unknown cache type is an error before anything runs.
        let unreachable = try buildOutput("kiln-test/warned:2", "FROM \(Self.busybox)\n", flags: "--cache-from type=registry,ref=127.0.0.1:1/nope:c")
        XCTAssertTrue(unreachable.contains("WARNING: --cache-from type=registry,ref=127.0.0.1:1/nope:c: not used as a build cache"), unreachable)
        try buildOutput("kiln-test/bad:1", "FROM \(Self.busybox)\n", flags: "--cache-from type=gha,scope=x", status: 1)
    }
}
