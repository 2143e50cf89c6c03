import Foundation
import TestVectors
import XCTest

/// Runtime secrets stay out of the store; the web server example serves its page.
final class SecretsAndWebTests: RunTestCase {
    func testEnvironmentValuesAreNeverStored() throws {
        // The tutorial: secrets are passed at runtime as environment variables — they reach the
        // process but no file of the store (config, state, log, runtime state) holds them.
        let secret = "s3cr3t-\(UUID().uuidString)"
        let fileSecret = "f1le-\(UUID().uuidString)"
        let envFile = work.appendingPathComponent("secrets.env")
        try Data("# a comment\n\nFILE_SECRET=\(fileSecret)\n".utf8).write(to: envFile)
        // The command compares checksums, so the values themselves appear nowhere but in the environment.
        let sums = check("printf %s '\(secret)' | md5sum; printf %s '\(fileSecret)' | md5sum")
            .split(separator: "\n").map { $0.split(separator: " ")[0] }
        let compare = "test $(printf %s \"$SECRET_TOKEN\" | md5sum | cut -d\\  -f1) = \(sums[0]) && test $(printf %s \"$FILE_SECRET\" | md5sum | cut -d\\  -f1) = \(sums[1]) && echo match"
        check("\(kiln) run -d --name holder -e SECRET_TOKEN=\(secret) --env-file '\(envFile.path)' \(Self.busybox) sh -c '\(compare); sleep 100'")
        started.append("holder")
        XCTAssertTrue(waitFor("match", in: "\(kiln) logs holder").contains("match"))
        // exec sees the container's environment too.
        XCTAssertEqual(check("\(kiln) exec holder sh -c '\(compare)'"), "match\n")
        for value in [secret, fileSecret] {
            // -s: the network namespace file of a running container (nsfs) cannot be read; it holds no data.
            let grep = sh("grep -r -a -l -s -F '\(value)' '\(storeRoot.path)'")
            XCTAssertEqual(grep.output, "", "the store holds \(value)")
            XCTAssertNotEqual(grep.status, 0)
        }
        check("\(kiln) rm -f holder")
        // Foreground too.
        XCTAssertEqual(check("\(kiln) run --name fg -e SECRET_TOKEN=\(secret) --env-file '\(envFile.path)' \(Self.busybox) sh -c '\(compare)'"), "match\n")
        started.append("fg")
        XCTAssertEqual(sh("grep -r -a -l -s -F '\(secret)' '\(storeRoot.path)'").output, "")
    }

    func testWebExampleServesPageWithHostNetwork() throws {
        // examples/web: busybox httpd serving the copied index.html. With --network host it
        // listens on the host's loopback directly (published ports come with the network stack).
        let example = Vectors.repositoryRoot.appendingPathComponent("examples/web")
        check("\(kiln) build -q -t kiln-test/web:1 --build-arg BASE=\(Self.busybox) '\(example.path)'")
        let port = freePort()
        check("\(kiln) run -d --name web --network host kiln-test/web:1 httpd -f -p 127.0.0.1:\(port) -h /www")
        started.append("web")
        let page = try String(contentsOf: example.appendingPathComponent("index.html"), encoding: .utf8)
        let fetched = waitFor("Hello from kiln", in: "curl -sf http://127.0.0.1:\(port)/")
        XCTAssertEqual(fetched, page)
        // httpd has no SIGTERM handler and is PID 1: stop kills it after the timeout, in time.
        let start = Date()
        check("\(kiln) stop -t 2 web")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertNotEqual(sh("curl -sf http://127.0.0.1:\(port)/").status, 0)
        XCTAssertTrue(check("\(kiln) ps -a").contains("Exited (137)"))
        // The image's EXPOSE and CMD.
        let inspect = check("\(kiln) inspect kiln-test/web:1")
        XCTAssertTrue(inspect.contains("80/tcp"), inspect)
    }

    func testWebExampleThroughPublishedPort() throws {
        // Issue 6 / the tutorial: EXPOSE documents the port, `-p 127.0.0.1:HOST:80` publishes it. The
        // container has its own network namespace (the default `private` network, served by pasta);
        // the page comes back through the host port, and `kiln port` prints Docker's `80/tcp -> IP:PORT`.
        let example = Vectors.repositoryRoot.appendingPathComponent("examples/web")
        check("\(kiln) build -q -t kiln-test/web:2 --build-arg BASE=\(Self.busybox) '\(example.path)'")
        let port = freePort()
        check("\(kiln) run -d --name webp -p 127.0.0.1:\(port):80 kiln-test/web:2")
        started.append("webp")
        let page = try String(contentsOf: example.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertEqual(waitFor("Hello from kiln", in: "curl -sf http://127.0.0.1:\(port)/"), page)
        XCTAssertEqual(check("\(kiln) port webp").trimmingCharacters(in: .whitespacesAndNewlines), "80/tcp -> 127.0.0.1:\(port)")
        XCTAssertTrue(check("\(kiln) ps").contains("127.0.0.1:\(port)->80/tcp"))
        check("\(kiln) stop -t 1 webp")
        // The published port is released with the container's network.
        XCTAssertNotEqual(sh("curl -sf http://127.0.0.1:\(port)/").status, 0)
        check("\(kiln) rm webp")
        // Only this test's store counts: other builds on the machine may run pasta of their own.
        let pastas = sh("for f in $(grep -lsa 'network/net[n]s' /proc/[0-9]*/cmdline); do grep -qsaF '\(storeRoot.path)' $f && echo $f; done")
        XCTAssertEqual(pastas.output, "", "pasta left running")
    }

    func testPrivateNetworkHasLoopbackRouteAndDNSForwarder() throws {
        // `--network private`: loopback up, a default route via pasta's gateway, and resolv.conf naming
        // pasta's DNS forwarder when the host has a resolver; `none` has only loopback.
        let out = check("\(kiln) run --rm \(Self.busybox) sh -c 'ip route; cat /etc/resolv.conf'")
        XCTAssertTrue(out.contains("default via"), out)
        let none = check("\(kiln) run --rm --network none \(Self.busybox) ip route")
        XCTAssertFalse(none.contains("default"), none)
    }
}
