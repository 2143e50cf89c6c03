import Foundation
import XCTest

/// The flags scripts written for Docker use (issue 16): inspect --format and container inspect,
/// ps --format/--filter, logs --tail/--since/--until, start/restart, --add-host, kiln's own error
/// wording, a busy published port — through the built binary, with runc.
final class DockerHabitsTests: RunTestCase {
    func testInspectFormatOfContainersAndImages() throws {
        check("\(kiln) run -d --name insp -l team=web \(Self.busybox) sleep 100")
        started.append("insp")
        XCTAssertEqual(check("\(kiln) inspect --format '{{.State.Status}} {{.Name}} {{.Config.Image}} {{.State.Running}}' insp 2>&1"),
                       "running /insp \(Self.busybox) true\n")
        XCTAssertEqual(check("\(kiln) container inspect -f '{{json .Config.Labels}} {{index .Config.Labels \"team\"}} {{.Path}} {{.Args}}' insp"),
                       "{\"team\":\"web\"} web sleep [100]\n")
        let id = check("\(kiln) images -q --no-trunc \(Self.busybox)").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(check("\(kiln) image inspect --format '{{.Id}} {{range .RepoTags}}<{{.}}>{{end}} {{.Config.Cmd}}' \(Self.busybox)"),
                       "\(id) <\(Self.busybox)> [sh]\n")
        // The container's Image is the image ID; one line per object.
        XCTAssertEqual(check("\(kiln) inspect -f '{{.Image}}' insp"), "\(id)\n")
        let containerID = check("\(kiln) ps -q --no-trunc").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(check("\(kiln) inspect -f '{{.Id}}' insp \(Self.busybox)"), "\(containerID)\n\(id)\n")
        XCTAssertEqual(check("\(kiln) inspect -f '{{.Image}}' \(Self.busybox)", status: 1),
                       "kiln: error: template: executing at <.Image>: can't evaluate field Image\n")
        // Without --format: a JSON array in Docker's container shape.
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(check("\(kiln) inspect insp 2>/dev/null").utf8)) as? [[String: Any]]).first
        XCTAssertEqual(document?["Name"] as? String, "/insp")
        XCTAssertEqual((document?["State"] as? [String: Any])?["Status"] as? String, "running")
        XCTAssertEqual((document?["HostConfig"] as? [String: Any])?["NetworkMode"] as? String, "default")
        // Types and missing objects, in Docker's words.
        XCTAssertEqual(check("\(kiln) container inspect \(Self.busybox)", status: 1), "[]\nError: No such container: \(Self.busybox)\n")
        XCTAssertEqual(check("\(kiln) inspect nosuch", status: 1), "[]\nError: No such object: nosuch\n")
        // A template error is one clear line and exit status 1.
        let bad = check("\(kiln) inspect -f '{{.State.Status' insp", status: 1)
        XCTAssertTrue(bad.hasPrefix("kiln: error: template parsing error:"), bad)
        check("\(kiln) stop -t 1 insp")
        XCTAssertEqual(check("\(kiln) inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' insp"), "exited 137 false\n")
    }

    func testPsFormatAndFilters() throws {
        check("\(kiln) run -d --name alpha -l tier=front \(Self.busybox) sleep 100")
        check("\(kiln) run --name bravo \(Self.busybox) sh -c 'exit 3'", status: 3)
        check("\(kiln) run --name charlie \(Self.busybox) true")
        started += ["alpha", "bravo", "charlie"]
        XCTAssertEqual(check("\(kiln) ps --format '{{.Names}} {{.State}} {{.Labels}}'"), "alpha running tier=front\n")
        // Status filters look at every container (newest first), as in Docker.
        XCTAssertEqual(check("\(kiln) ps --filter status=exited --format '{{.Names}}'"), "charlie\nbravo\n")
        XCTAssertEqual(check("\(kiln) ps -a --filter exited=3 --format '{{.Names}}'"), "bravo\n")
        XCTAssertEqual(check("\(kiln) ps -a --filter name=^al --format '{{.Names}}'"), "alpha\n")
        XCTAssertEqual(check("\(kiln) ps -a --filter label=tier=front -q").count, 13)
        XCTAssertEqual(check("\(kiln) ps -a --filter ancestor=\(Self.busybox) --format '{{.Names}}'"), "charlie\nbravo\nalpha\n")
        XCTAssertEqual(check("\(kiln) ps -a --filter ancestor=kiln-test/other -q"), "")
        XCTAssertEqual(check("\(kiln) ps -a --filter status=exited --filter name=ch --format '{{.Names}}'"), "charlie\n")
        XCTAssertEqual(check("\(kiln) ps -a -n 1 --format '{{.Names}}'"), "charlie\n")
        let table = check("\(kiln) ps -a --format 'table {{.Names}}\\t{{.Status}}'").split(separator: "\n").map(String.init)
        XCTAssertEqual(table.first, "NAMES     STATUS")
        XCTAssertTrue(table.contains { $0.hasPrefix("bravo     Exited (3) ") }, "\(table)")
        let json = check("\(kiln) ps --format json")
        XCTAssertTrue(json.hasPrefix("{\"Command\":\"\\\"sleep 100\\\"\","), json)
        XCTAssertEqual(check("\(kiln) ps --filter nope=1", status: 1), "kiln: error: invalid filter 'nope'\n")
    }

    func testLogsTailSinceUntil() throws {
        check("\(kiln) run --name lines \(Self.busybox) sh -c 'for i in 1 2 3 4 5; do echo line$i; done'")
        check("\(kiln) run --name errs \(Self.busybox) sh -c 'echo e1 >&2; echo e2 >&2'")
        started += ["lines", "errs"]
        XCTAssertEqual(check("\(kiln) logs --tail 2 lines"), "line4\nline5\n")
        XCTAssertEqual(check("\(kiln) logs -n 1 errs 2>&1 >/dev/null"), "e2\n")
        XCTAssertEqual(check("\(kiln) logs --tail all lines"), "line1\nline2\nline3\nline4\nline5\n")
        XCTAssertEqual(check("\(kiln) logs -n 0 lines"), "")
        XCTAssertEqual(check("\(kiln) logs --since 1h lines"), "line1\nline2\nline3\nline4\nline5\n")
        XCTAssertEqual(check("\(kiln) logs --since 2999-01-01T00:00:00Z lines"), "")
        XCTAssertEqual(check("\(kiln) logs --until 2000-01-01 lines"), "")
        XCTAssertEqual(check("\(kiln) logs --until 1000000000.5 lines"), "")
        XCTAssertEqual(check("\(kiln) logs --since 1h --until 2999-01-01T00:00 --tail 1 lines"), "line5\n")
        XCTAssertTrue(check("\(kiln) logs --since yesterday lines", status: 1).hasPrefix("kiln: error: invalid value for --since: yesterday"))
        XCTAssertTrue(check("\(kiln) logs --tail x lines", status: 1).hasPrefix("kiln: error: invalid value for --tail: x"))
    }

    func testStartAndRestartKeepTheWritableLayer() throws {
        check("\(kiln) run --name counter \(Self.busybox) sh -c 'echo x >> /count; wc -l < /count'")
        started.append("counter")
        XCTAssertEqual(check("\(kiln) start counter"), "counter\n")
        XCTAssertEqual(waitFor("2", in: "\(kiln) logs counter"), "1\n2\n")
        check("\(kiln) run -d --name server \(Self.busybox) sh -c 'echo up; exec sleep 100'")
        started.append("server")
        XCTAssertEqual(check("\(kiln) start server"), "server\n")  // already running: nothing to do
        XCTAssertEqual(check("\(kiln) restart -t 1 server"), "server\n")
        XCTAssertEqual(check("\(kiln) inspect -f '{{.State.Status}}' server"), "running\n")
        XCTAssertEqual(waitFor("up\nup", in: "\(kiln) logs server"), "up\nup\n")
        XCTAssertTrue(check("\(kiln) start nosuch", status: 1).contains("kiln: error: No such container: nosuch"))
    }

    func testAddHostInRunAndBuild() throws {
        let hosts = check("\(kiln) run --rm --add-host db:10.1.2.3 --add-host v6=[2001:db8::1] --network host --add-host me:host-gateway \(Self.busybox) cat /etc/hosts")
        XCTAssertTrue(hosts.hasSuffix("10.1.2.3\tdb\n2001:db8::1\tv6\n127.0.0.1\tme\n"), hosts)
        check("\(kiln) run -d --name hosted --add-host db:10.1.2.3 \(Self.busybox) sleep 100")
        started.append("hosted")
        XCTAssertEqual(check("\(kiln) inspect -f '{{json .HostConfig.ExtraHosts}}' hosted"), "[\"db:10.1.2.3\"]\n")
        let bad = check("\(kiln) run --rm --add-host nonsense \(Self.busybox) true", status: 125)
        XCTAssertTrue(bad.hasPrefix("kiln: error: invalid argument \"nonsense\" for \"--add-host\""), bad)
        let context = work.appendingPathComponent("addhost")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        try Data("FROM \(Self.busybox)\nRUN grep -q '^10.9.8.7\tregistry.internal$' /etc/hosts\n".utf8).write(to: context.appendingPathComponent("Dockerfile"))
        check("\(kiln) build -q --add-host registry.internal:10.9.8.7 '\(context.path)'")
        check("\(kiln) build -q '\(context.path)'", status: 1)
    }

    func testBusyPortIsOneClearLineStatus125AndNoContainer() throws {
        // Something else listens on the port.
        let port = freePort()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(fd, 1), 0)
        for mode in ["--rm", "", "-d"] {
            let output = check("\(kiln) run \(mode) -p 127.0.0.1:\(port):80 \(Self.busybox) true", status: 125)
            XCTAssertEqual(output, "kiln: error: cannot set up the container's network: cannot publish port: 127.0.0.1:\(port)/tcp is already in use on the host\n", mode)
            XCTAssertEqual(check("\(kiln) ps -a -q"), "", "no container left behind (\(mode))")
        }
    }

    func testErrorsSayKilnNotDaemon() {
        for command in ["rm nosuch", "kill nosuch", "logs nosuch", "stop nosuch", "run --network nope \(Self.busybox) true",
                        "run --stop-signal NOPE \(Self.busybox) true", "exec nosuch true", "start nosuch"] {
            let output = sh("\(kiln) \(command)").output
            XCTAssertFalse(output.contains("daemon"), "\(command): \(output)")
            XCTAssertTrue(output.hasPrefix("kiln: error: "), "\(command): \(output)")
        }
    }
}
