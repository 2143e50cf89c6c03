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
            let grep = sh("grep -r -a -l -F '\(value)' '\(storeRoot.path)'")
            XCTAssertEqual(grep.status, 1, "the store holds \(value):\n\(grep.output)")
        }
        check("\(kiln) rm -f holder")
        // Foreground too.
        XCTAssertEqual(check("\(kiln) run --name fg -e SECRET_TOKEN=\(secret) --env-file '\(envFile.path)' \(Self.busybox) sh -c '\(compare)'"), "match\n")
        started.append("fg")
        XCTAssertEqual(sh("grep -r -a -l -F '\(secret)' '\(storeRoot.path)'").status, 1)
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
}
