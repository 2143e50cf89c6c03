import XCTest

/// `kiln run` / ps / logs / stop / kill / rm / exec / port, as Docker's CLI reference describes them.
final class ContainerLifecycleTests: RunTestCase {
    func testExitStatusBecomesKilns() {
        // "The exit code from docker run gives information about why the container failed to run
        // or why it exited": the command's own status; 127 when it cannot be found.
        check("\(kiln) run --rm \(Self.busybox) sh -c 'exit 3'", status: 3)
        check("\(kiln) run --rm \(Self.busybox) true")
        check("\(kiln) run --rm \(Self.busybox) no-such-command", status: 127)
        // A name is used once (docker run: 125 and the daemon's conflict message).
        check("\(kiln) run --name dup \(Self.busybox) true")
        started.append("dup")
        XCTAssertTrue(check("\(kiln) run --name dup \(Self.busybox) true", status: 125).contains("The container name \"/dup\" is already in use"))
    }

    func testSignalIsForwarded() throws {
        // SIGINT and SIGTERM sent to kiln reach the container's process (Docker's --sig-proxy);
        // the trap's exit status becomes kiln's.
        for (signal, name, code) in [(SIGTERM, "TERM", 7), (SIGINT, "INT", 8)] {
            let out = work.appendingPathComponent("signal-\(name).out").path
            let pid = spawn("exec env \(kiln) run --rm \(Self.busybox) sh -c 'trap \"echo got \(name); exit \(code)\" \(name); echo ready; while true; do sleep 1; done' >'\(out)' 2>&1 </dev/null")
            let start = Date()
            while Date().timeIntervalSince(start) < 20, !((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("ready") {
                usleep(100_000)
            }
            kill(pid, signal)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            XCTAssertEqual((status >> 8) & 0xff, Int32(code), name)
            XCTAssertTrue(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("got \(name)"), name)
        }
        // A process killed by a signal exits 128 + the signal, as Docker reports it.
        let pid = spawn("exec env \(kiln) run --name killed \(Self.busybox) sleep 100 >/dev/null 2>&1 </dev/null")
        started.append("killed")
        _ = waitFor("killed", in: "\(kiln) ps")
        check("\(kiln) kill killed")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        XCTAssertEqual((status >> 8) & 0xff, 137)
    }

    func testWritesGoneAfterRmAndImageUnchanged() throws {
        // "any changes the container makes go into a temporary writable layer on top": deleting
        // /bin in one container leaves the next container of the same image untouched.
        check("\(kiln) run --name deleter \(Self.busybox) rm -rf /bin")
        started.append("deleter")
        let ids = check("\(kiln) ps -a -q --no-trunc").split(separator: "\n").map(String.init)
        XCTAssertEqual(ids.count, 1)
        let folder = storeRoot.appendingPathComponent("kiln/containers/\(ids[0])")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("upper/bin").path), "the whiteout of /bin is in the upper dir")
        check("\(kiln) run --rm \(Self.busybox) ls /bin/sh")
        check("\(kiln) rm deleter")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "kiln rm deletes the writable layer")
        // --rm removes it as soon as the container ends.
        check("\(kiln) run --rm \(Self.busybox) touch /made")
        XCTAssertEqual(check("\(kiln) ps -a -q"), "")
    }

    func testDetachedPsLogsStopRm() throws {
        let id = check("\(kiln) run -d --name worker \(Self.busybox) sh -c 'echo hello; echo oops >&2; sleep 100'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        started.append("worker")
        XCTAssertNotNil(id.range(of: "^[0-9a-f]{64}$", options: .regularExpression), id)
        let ps = check("\(kiln) ps")
        XCTAssertTrue(ps.hasPrefix("CONTAINER ID   IMAGE"), ps)
        XCTAssertTrue(ps.contains(String(id.prefix(12))) && ps.contains("Up ") && ps.contains("worker"), ps)
        // COMMAND: quoted, cut to 20 characters with an ellipsis (docker ps without --no-trunc).
        XCTAssertTrue(ps.contains(#""sh -c 'echo hello; …""#), ps)
        XCTAssertTrue(waitFor("oops", in: "\(kiln) logs worker").contains("hello"))
        // stdout and stderr lines keep their streams.
        XCTAssertEqual(check("\(kiln) logs worker 2>/dev/null"), "hello\n")
        XCTAssertEqual(check("\(kiln) logs \(id.prefix(5)) 2>&1 >/dev/null"), "oops\n")
        // sh as PID 1 ignores SIGTERM: stop kills it after -t seconds.
        let start = Date()
        XCTAssertEqual(check("\(kiln) stop -t 1 worker"), "worker\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 8)
        XCTAssertEqual(check("\(kiln) ps -q"), "")
        XCTAssertTrue(check("\(kiln) ps -a").contains("Exited (137)"))
        check("\(kiln) rm worker")
        XCTAssertEqual(check("\(kiln) ps -a -q"), "")
        XCTAssertTrue(check("\(kiln) rm worker", status: 1).contains("No such container: worker"))
    }

    func testStopSignalAndKill() throws {
        // STOPSIGNAL of the image is what stop sends.
        try build("kiln-test/stopsignal:1", "FROM \(Self.busybox)\nSTOPSIGNAL SIGUSR1\nCMD [\"sh\", \"-c\", \"trap 'echo usr1; exit 0' USR1; echo ready; while true; do sleep 1; done\"]\n")
        check("\(kiln) run -d --name graceful kiln-test/stopsignal:1")
        started.append("graceful")
        _ = waitFor("ready", in: "\(kiln) logs graceful")
        check("\(kiln) stop graceful")
        XCTAssertTrue(check("\(kiln) logs graceful").contains("usr1"))
        XCTAssertTrue(check("\(kiln) ps -a").contains("Exited (0)"))
        // kill -s: the signal given; a running container is required.
        check("\(kiln) run -d --name victim \(Self.busybox) sh -c 'trap \"exit 9\" HUP; while true; do sleep 1; done'")
        started.append("victim")
        usleep(500_000)
        XCTAssertEqual(check("\(kiln) kill -s HUP victim"), "victim\n")
        _ = waitFor("Exited (9)", in: "\(kiln) ps -a")
        XCTAssertTrue(check("\(kiln) ps -a").contains("Exited (9)"))
        check("\(kiln) kill victim", status: 1)
        // rm refuses a running container unless -f.
        check("\(kiln) run -d --name occupied \(Self.busybox) sleep 100")
        started.append("occupied")
        XCTAssertTrue(check("\(kiln) rm occupied", status: 1).contains("container is running"))
        check("\(kiln) rm -f occupied")
        XCTAssertFalse(check("\(kiln) ps -a").contains("occupied"))
    }

    func testHealthcheckShowsInPs() throws {
        // HEALTHCHECK: "(health: starting)", then "(healthy)" after a passing check, "(unhealthy)"
        // after `retries` failing ones (Dockerfile reference, HEALTHCHECK).
        try build("kiln-test/healthy:1", "FROM \(Self.busybox)\nHEALTHCHECK --interval=1s CMD [\"true\"]\nCMD [\"sleep\", \"100\"]\n")
        try build("kiln-test/unhealthy:1", "FROM \(Self.busybox)\nHEALTHCHECK --interval=1s --retries=1 CMD test -e /nothing\nCMD [\"sleep\", \"100\"]\n")
        check("\(kiln) run -d --name fine kiln-test/healthy:1")
        started.append("fine")
        check("\(kiln) run -d --name sick kiln-test/unhealthy:1")
        started.append("sick")
        XCTAssertTrue(check("\(kiln) ps").contains("(health: starting)"))
        _ = waitFor("(healthy)", in: "\(kiln) ps")
        let ps = waitFor("(unhealthy)", in: "\(kiln) ps")
        XCTAssertTrue(ps.contains("(healthy)") && ps.contains("(unhealthy)"), ps)
    }

    func testDetachedFailureVolumesReadOnlyAndFollow() throws {
        // A command that cannot be found: `docker run -d` reports it and exits 127 too.
        let missing = sh("\(kiln) run -d --name missing \(Self.busybox) no-such-command")
        started.append("missing")
        XCTAssertEqual(missing.status, 127, missing.output)
        XCTAssertTrue(missing.output.contains("executable file not found"), missing.output)
        // -v SRC:DST binds a host directory; :ro makes it read-only.
        let host = work.appendingPathComponent("volume").path
        check("\(kiln) run --rm -v '\(host)':/data \(Self.busybox) sh -c 'echo written > /data/file'")
        XCTAssertEqual(try String(contentsOfFile: host + "/file", encoding: .utf8), "written\n")
        XCTAssertNotEqual(sh("\(kiln) run --rm -v '\(host)':/data:ro \(Self.busybox) touch /data/other").status, 0)
        // --read-only: the root filesystem cannot be written.
        XCTAssertNotEqual(sh("\(kiln) run --rm --read-only \(Self.busybox) touch /made").status, 0)
        // logs -f follows the output until the container ends.
        check("\(kiln) run -d --name talker \(Self.busybox) sh -c 'echo first; sleep 1; echo second'")
        started.append("talker")
        XCTAssertEqual(check("\(kiln) logs -f talker"), "first\nsecond\n")
    }

    func testPruneKeepsTheLayersOfContainers() throws {
        // A running container's image becomes dangling (its tag moves): prune must not delete the
        // snapshots the container's root filesystem is made of.
        try build("kiln-test/moving:1", "FROM \(Self.busybox)\nCOPY file /file\n", files: ["file": "layer content\n"])
        check("\(kiln) run -d --name holder kiln-test/moving:1 sleep 100")
        started.append("holder")
        check("\(kiln) tag \(Self.busybox) kiln-test/moving:1")
        check("\(kiln) prune -f")
        XCTAssertEqual(check("\(kiln) exec holder cat /file"), "layer content\n")
    }

    func testExec() throws {
        check("\(kiln) run -d --name box -e FROM_RUN=1 \(Self.busybox) sleep 100")
        started.append("box")
        // The container's environment (from its first process) plus -e; -u and -w.
        XCTAssertEqual(check("\(kiln) exec -e EXTRA=2 box sh -c 'echo $FROM_RUN$EXTRA'"), "12\n")
        XCTAssertEqual(check("\(kiln) exec -u 1000 -w /tmp box sh -c 'id -u; pwd'"), "1000\n/tmp\n")
        check("\(kiln) exec box sh -c 'exit 4'", status: 4)
        XCTAssertEqual(check("echo piped | \(kiln) exec -i box cat"), "piped\n")
        // The image of a running container cannot be deleted (Docker: "cannot be forced").
        XCTAssertTrue(check("\(kiln) rmi -f \(Self.busybox)", status: 1).contains("image is being used by running container"))
    }

    func testInteractiveAndTerminal() throws {
        // -i passes stdin.
        XCTAssertEqual(check("printf 'abc\\n' | \(kiln) run --rm -i \(Self.busybox) cat"), "abc\n")
        // Without -i the container's stdin is empty.
        XCTAssertEqual(check("printf 'abc\\n' | \(kiln) run --rm \(Self.busybox) cat"), "")
        // -it under a pseudo-terminal (script(1)): the process has a terminal and reads the typed line.
        let output = check("printf 'typed\\n' | script -qec \"\(kiln) run --rm -it \(Self.busybox) sh -c 'tty; read line; echo got:\\$line'\" /dev/null")
        XCTAssertTrue(output.contains("/dev/pts/"), output)
        XCTAssertTrue(output.contains("got:typed"), output)
    }

    func testPublishedPortsAreRecorded() throws {
        // -p forms of Docker's reference; `kiln port` prints them as `docker port` does.
        check("\(kiln) run -d --name ports -p 127.0.0.1:18080:80 -p 127.0.0.1:18053:53/udp \(Self.busybox) sleep 100")
        started.append("ports")
        XCTAssertEqual(check("\(kiln) port ports"), "80/tcp -> 127.0.0.1:18080\n53/udp -> 127.0.0.1:18053\n")
        XCTAssertEqual(check("\(kiln) port ports 80"), "127.0.0.1:18080\n")
        XCTAssertTrue(check("\(kiln) ps").contains("127.0.0.1:18080->80/tcp, 127.0.0.1:18053->53/udp"))
        // -P publishes every EXPOSEd port on a free host port.
        try build("kiln-test/exposing:1", "FROM \(Self.busybox)\nEXPOSE 80 8443/tcp\n")
        // Tests bind only to loopback: KILN_PUBLISH_IP (dockerd's --ip) sets the address for -P and for
        // -p without one.
        check("KILN_PUBLISH_IP=127.0.0.1 \(kiln) run -d --name all -P -p 9:9/udp kiln-test/exposing:1 sleep 100")
        started.append("all")
        let lines = check("\(kiln) port all").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, "\(lines)")
        XCTAssertTrue(lines.contains("9/udp -> 127.0.0.1:9"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("80/tcp -> 127.0.0.1:") } && lines.contains { $0.hasPrefix("8443/tcp -> 127.0.0.1:") }, "\(lines)")
    }
}
