import Containers
import ContainerRuntime
import ImageSpec
import XCTest

/// The pure parts of a container's settings: environment, signals, ports, hosts, health, security.
final class ContainerSettingsTests: XCTestCase {
    func testEnvironmentIsDefaultsThenImageThenUserReplacingInPlace() {
        let env = ContainerEnvironment.merge(hostname: "abc", tty: true, imageEnv: ["PATH=/app", "A=1"], userEnv: ["A=2", "B=3"])
        XCTAssertEqual(env, ["PATH=/app", "HOSTNAME=abc", "TERM=xterm", "A=2", "B=3"])
        XCTAssertEqual(ContainerEnvironment.replaceOrAppend(["K=1", "K2=x"], ["K="]), ["K=", "K2=x"])
    }

    func testSignalNamesAsDockerReadsThem() {
        XCTAssertEqual(Signals.number("SIGTERM"), 15)
        XCTAssertEqual(Signals.number("term"), 15)
        XCTAssertEqual(Signals.number("9"), 9)
        XCTAssertEqual(Signals.number("RTMIN+2"), 36)
        XCTAssertNil(Signals.number("0"))
        XCTAssertNil(Signals.number("NOPE"))
    }

    func testPortTexts() {
        let v4 = PortSpec(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "tcp")
        XCTAssertEqual(v4.portLine, "80/tcp -> 127.0.0.1:8080")
        XCTAssertEqual(v4.psText, "127.0.0.1:8080->80/tcp")
        let v6 = PortSpec(hostIP: "::1", hostPort: 53, containerPort: 53, proto: "udp")
        XCTAssertEqual(v6.portLine, "53/udp -> [::1]:53")
    }

    func testHostsLines() {
        XCTAssertEqual(ContainerHosts.lines(["db:10.0.0.2", "v6:::1", "broken"]), ["10.0.0.2\tdb", "::1\tv6"])
    }

    func testHealthcheckArgv() {
        XCTAssertEqual(HealthSettings(test: ["CMD-SHELL", "curl -f", "x"], interval: 0, timeout: 0, startPeriod: 0, retries: 0).argv,
                       ["/bin/sh", "-c", "curl -f x"])
        XCTAssertEqual(HealthSettings(test: ["CMD", "true", "x"], interval: 0, timeout: 0, startPeriod: 0, retries: 0).argv, ["true", "x"])
    }

    func testImageHealthcheckBecomesSettingsInSeconds() {
        let check = Healthcheck(test: ["CMD", "true"], interval: .milliseconds(1500), timeout: .seconds(2), startPeriod: .seconds(3), retries: 4)
        let settings = HealthSettings(image: check)
        XCTAssertEqual(settings?.interval, 1.5)
        XCTAssertEqual(settings?.timeout, 2)
        XCTAssertEqual(settings?.startPeriod, 3)
        XCTAssertEqual(settings?.retries, 4)
        XCTAssertNil(HealthSettings(image: Healthcheck(test: ["NONE"])))
        XCTAssertNil(HealthSettings(image: Healthcheck(test: ["CMD"])))
    }

    func testSecurityOptionsFromTheRecord() throws {
        var record = ContainerRecord(id: "1", name: "n", image: "i", imageID: "sha256:x", created: Date(), path: "sh", args: [],
                                     workingDir: "", user: "", tty: false, interactive: false, autoRemove: false, readOnly: false,
                                     network: "none", ports: [], binds: [], stopSignal: "SIGTERM", healthcheck: nil, lowerDirs: [])
        XCTAssertFalse(try record.securityOptions().noNewPrivileges)
        record.seccomp = "unconfined"
        record.noNewPrivileges = true
        let options = try record.securityOptions()
        XCTAssertTrue(options.noNewPrivileges)
        guard case .unconfined = options.seccomp else { return XCTFail("seccomp \(options.seccomp)") }
        record.seccomp = "not json"
        XCTAssertThrowsError(try record.securityOptions())
    }
}
